/**
 * `sluice/bus`: a typed event bus for applications, in memory or on NATS JetStream. Events
 * published here are the same on the wire as those the gateway publishes, so Sluice's
 * workers and an application's subscribers see one stream.
 */
export { busFromConfig, createBus } from './create-bus.js';
export { RETRY_BASE_MS, RETRY_MAX_MS, retryDelayMs } from './retry-delay.js';
export type { EventType, TypesMatching } from './pattern-types.js';
export type {
  AnyEvents,
  BatchEntry,
  Bus,
  BusConfig,
  BusEvent,
  DataOf,
  EventFor,
  EventHandler,
  EventMap,
  IteratedEvent,
  JetStreamBusConfig,
  MemoryBusConfig,
  PublishFailure,
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  Subscription,
} from './types.js';
export { SluiceError } from '../errors/index.js';
export type { ErrorCode } from '../errors/index.js';
export { ConfigError } from '../config/index.js';
export { NatsConfigurationError } from '../bus/index.js';
