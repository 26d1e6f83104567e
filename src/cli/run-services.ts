import { fileURLToPath } from 'node:url';
import type { BusPort } from '../bus/index.js';
import type { SluiceConfig } from '../config/index.js';
import { registerConsole } from '../console-server/index.js';
import { buildGateway, type Gateway } from '../gateway/index.js';
import type { Logger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';
import { createWorker, type Worker } from '../worker/index.js';
import { createDeliveryService, type DeliveryService } from '../delivery/index.js';
import { deferredStore } from './deferred-store.js';
import { serveMetrics, type MetricsServer } from './metrics-server.js';
import { loadEntities, loadSubscriptions, openBus, openStore, orderingKeyFor, packageVersion } from './wiring.js';

export interface Services {
  readonly gateway?: Gateway;
  readonly worker?: Worker;
  readonly delivery?: DeliveryService;
  readonly address?: string;
  stop(): Promise<void>;
}

const CONSOLE_DIR = fileURLToPath(new URL('../../console-dist/', import.meta.url));

/**
 * Starts the gateway, the worker, the deliveries to subscriptions, or several of them on one
 * bus and store. The gateway listens as soon as
 * the bus is ready (a 202 needs only the bus); the store opens meanwhile and is migrated
 * before the worker starts.
 */
export async function runServices(
  config: SluiceConfig,
  logger: Logger,
  parts: { gateway: boolean; worker: boolean; migrate: boolean; deliver?: boolean },
): Promise<Services> {
  const metrics = createMetrics();
  const entities = await loadEntities(config, logger);
  // Read before anything starts: a mistake in the file stops the process with its line.
  const declared = parts.deliver === true ? await loadSubscriptions(config, logger) : null;
  const opening = openStore(config, logger).then(async (store) => {
    try {
      if (parts.migrate) {
        await store.migrate(entities.definitions, { dataIndex: config.database.dataIndex });
        logger.info('database migrated');
      }
      return store;
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  });
  opening.catch(() => undefined);
  const onServer = config.database.url !== null;
  const store: StorePort = deferredStore({ kind: onServer ? 'postgres' : 'embedded', concurrentWrites: onServer }, opening);
  let bus: BusPort | undefined;
  let gateway: Gateway | undefined;
  let metricsServer: MetricsServer | undefined;
  let delivery: DeliveryService | undefined;
  try {
    bus = await openBus(config, logger);
    gateway = parts.gateway
      ? await buildGateway({
          bus,
          store,
          config,
          metrics,
          logger: logger.child({ part: 'gateway' }),
          version: packageVersion(),
          plugins: [(app) => registerConsole(app, { distDir: CONSOLE_DIR })],
        })
      : undefined;
    const address = await gateway?.listen();
    if (address !== undefined) logger.info({ address }, 'gateway listening');
    await opening;
    const worker = parts.worker
      ? createWorker({
          bus,
          store,
          entities: entities.model,
          metrics,
          logger: logger.child({ part: 'worker' }),
          consumer: config.worker.consumer,
          stream: config.nats.stream,
          batchSize: config.worker.batchSize,
          gatherMs: config.worker.gatherMs,
          ackWaitMs: config.worker.ackWaitMs,
          maxDeliver: config.worker.maxDeliver,
          archiveRetentionMs: config.archiveRetentionMs,
        })
      : undefined;
    await worker?.start();
    delivery =
      parts.deliver === true
        ? createDeliveryService({
            bus,
            store,
            metrics,
            logger: logger.child({ part: 'delivery' }),
            declared,
            allowPrivateTargets: config.subscriptions.allowPrivateTargets,
            retryBaseMs: config.subscriptions.retryBaseMs,
            orderingKey: orderingKeyFor(entities.model),
          })
        : undefined;
    await delivery?.start();
    if (config.metricsPort !== null) {
      metricsServer = await serveMetrics({ port: config.metricsPort, host: config.http.host, metrics, bus, store, version: packageVersion() });
      logger.info({ port: metricsServer.port }, 'metrics listening');
    }
    const openBusRef = bus;
    const openGateway = gateway;
    const openMetrics = metricsServer;
    const openDelivery = delivery;
    let stopping: Promise<void> | undefined;
    const stopAll = async (): Promise<void> => {
      await openGateway?.stop();
      await openMetrics?.close();
      await worker?.stop({ timeoutMs: 10_000 });
      await openDelivery?.stop();
      await openBusRef.stop();
      await store.close();
    };
    return {
      ...(gateway !== undefined ? { gateway } : {}),
      ...(worker !== undefined ? { worker } : {}),
      ...(delivery !== undefined ? { delivery } : {}),
      ...(address !== undefined ? { address } : {}),
      // Stopping twice (a signal during a stop, a test's cleanup) waits for the one stop.
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await delivery?.stop().catch(() => undefined);
    await gateway?.stop().catch(() => undefined);
    await metricsServer?.close().catch(() => undefined);
    await bus?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}
