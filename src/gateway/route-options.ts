import type { BusPort } from '../bus/index.js';
import type { SluiceConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';
import type { BatchIngestOptions, IngestOptions } from './ingest-options.js';
import type { Publisher } from './publisher.js';
import type { Replayer } from './replayer.js';
import type { ListEventsOptions } from './routes/list-events.js';
import type { LookupOptions } from './routes/lookup.js';
import type { OperateOptions } from './routes/operate.js';
import type { ReplayOptions } from './routes/replay.js';
import type { SubscriptionRoutesOptions } from './routes/subscriptions.js';
import type { StoreHealth } from './store-health.js';

/**
 * The part of the configuration the gateway reads: its HTTP settings, the workers' consumer
 * (whose ack floor ends a listing's page and bounds a replay) and the subscription target rule.
 * The bus's and the database's connection settings (NATS credentials, `DATABASE_URL`) are not in it.
 */
export interface GatewayConfig {
  readonly http: SluiceConfig['http'];
  readonly worker: Pick<SluiceConfig['worker'], 'consumer'>;
  readonly subscriptions: Pick<SluiceConfig['subscriptions'], 'allowPrivateTargets'>;
}

/** What the gateway builds once and its routes share. */
export interface GatewayServices {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  readonly version: string;
  readonly publisher: Publisher;
  readonly replayer: Replayer;
  readonly storeHealth: StoreHealth;
}

/** Every route's options: each gets what it uses, nothing more. */
export interface RouteOptions {
  readonly typedIngest: IngestOptions;
  readonly cloudEventsIngest: BatchIngestOptions;
  readonly messageIngest: BatchIngestOptions;
  readonly lookups: LookupOptions;
  readonly listEvents: ListEventsOptions;
  readonly replay: ReplayOptions;
  readonly subscriptions: SubscriptionRoutesOptions;
  readonly operate: OperateOptions;
  /** The request log and the error handler. */
  readonly observe: { readonly logger: Logger; readonly metrics: SluiceMetrics };
}

/** The one place the routes' options are made from the services and the configuration. */
export function routeOptions(services: GatewayServices, config: GatewayConfig): RouteOptions {
  const { bus, store, metrics, logger, version, publisher, replayer, storeHealth } = services;
  const ingest = { publisher, metrics };
  const batchIngest = { ...ingest, maxBatchEvents: config.http.maxBatchEvents };
  return {
    typedIngest: ingest,
    cloudEventsIngest: batchIngest,
    messageIngest: batchIngest,
    lookups: { bus, store },
    listEvents: { bus, store, consumer: config.worker.consumer },
    replay: { store, replayer },
    subscriptions: { store, bus, logger, allowPrivateTargets: config.subscriptions.allowPrivateTargets },
    operate: { bus, store, storeHealth, metrics, version },
    observe: { logger, metrics },
  };
}
