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
  StreamMessage,
  StreamState,
} from './port.js';
export { nakDelayMs } from './nak-delay.js';
// The adapters live in ./jetstream and ./embedded; only the CLI wires them, and loads just the one it uses.
