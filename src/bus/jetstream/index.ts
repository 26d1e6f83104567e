export { NatsConfigurationError, connectToNats, connectionOptions, isFatalConnectError } from './connect.js';
export type { NatsConnectionSettings } from './connect.js';
export { deadLetterStreamConfig, ensureStream, eventsStreamConfig } from './stream-setup.js';
export type { StreamSettings } from './stream-setup.js';
export { HEADER, decodeEnvelope, envelopeHeaders, rawContentType } from './wire.js';
export type { DecodedMessage } from './wire.js';
export { createJetStreamBus } from './jetstream-bus.js';
export type { BusLogEvent, JetStreamBusOptions } from './jetstream-bus.js';
