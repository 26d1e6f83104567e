import type { BusPort } from '../bus/index.js';
import type { SluiceConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';
import type { Publisher } from './publisher.js';
import type { Replayer } from './replayer.js';

/** What the routes share. The gateway takes ports, never concrete clients. */
export interface GatewayContext {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly config: SluiceConfig;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  readonly version: string;
  readonly publisher: Publisher;
  readonly replayer: Replayer;
}
