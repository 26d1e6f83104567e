export { createEmbeddedBus } from './embedded-bus.js';
export type { EmbeddedBusLogger, EmbeddedBusOptions } from './embedded-bus.js';
