export type {
  BatchHandler,
  BusHealth,
  BusPort,
  ConsumeOptions,
  ConsumerHandle,
  ConsumerLag,
  Delivery,
  FoundMessage,
  PublishAck,
  PublishRequest,
  ReplayMark,
} from './port.js';
export { nakDelayMs } from './nak-delay.js';
export { createJetStreamBus } from './jetstream/jetstream-bus.js';
export type { BusLogEvent, JetStreamBusOptions } from './jetstream/jetstream-bus.js';
export { NatsConfigurationError } from './jetstream/connect.js';
