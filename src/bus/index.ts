import type { JetStreamLink, JetStreamLinkSettings } from './jetstream/jetstream-link.js';

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
export { withDeadline } from './deadline.js';
export { FAILED_HANDLER_DELAY, FAILED_WRITE_DELAY, failedHandlerDelayMs, failedWriteDelayMs } from './redelivery-delays.js';
// The adapters live in ./jetstream and ./embedded; only the CLI wires them, and loads just the one it uses.

// The bus library's (sluice/bus) JetStream plumbing: the types, and an opener that loads nats.js
// on first use, so nothing that imports the port loads the JetStream adapter.
export type { NatsConnectionSettings } from './jetstream/connect.js';
export type { StreamSettings } from './jetstream/stream-setup.js';
export type { JetStreamLink, JetStreamLinkSettings, LinkBatchHandler, LinkConsumer, LinkConsumerSpec } from './jetstream/jetstream-link.js';
export type { ConsumerStart } from './jetstream/subscriber-consumer.js';
export { NatsConfigurationError } from './jetstream/configuration-error.js';

/** Connects to NATS and sets up the events stream for the bus library (see `JetStreamLink`). */
export async function openJetStreamLink(settings: JetStreamLinkSettings): Promise<JetStreamLink> {
  const { JetStreamLink } = await import('./jetstream/jetstream-link.js');
  return JetStreamLink.open(settings);
}
