import type { BusPort } from '../bus/index.js';
import type { SluiceConfig } from '../config/index.js';
import { buildGateway, type Gateway } from '../gateway/index.js';
import type { Logger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';
import { createWorker, type Worker } from '../worker/index.js';
import { loadEntities, openBus, openStore, packageVersion } from './wiring.js';

export interface Services {
  readonly gateway?: Gateway;
  readonly worker?: Worker;
  readonly address?: string;
  stop(): Promise<void>;
}

/**
 * Starts the gateway, the worker, or both on one bus and store. The store is migrated first
 * when a worker runs (it owns the tables) or when `migrate` is asked for.
 */
export async function runServices(
  config: SluiceConfig,
  logger: Logger,
  parts: { gateway: boolean; worker: boolean; migrate: boolean },
): Promise<Services> {
  const metrics = createMetrics();
  const entities = await loadEntities(config, logger);
  const store: StorePort = await openStore(config, logger);
  let bus: BusPort | undefined;
  try {
    if (parts.migrate) {
      await store.migrate(entities.definitions);
      logger.info('database migrated');
    }
    bus = await openBus(config, logger);
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
          ackWaitMs: config.worker.ackWaitMs,
          maxDeliver: config.worker.maxDeliver,
          archiveRetentionMs: config.archiveRetentionMs,
        })
      : undefined;
    await worker?.start();
    const gateway = parts.gateway
      ? await buildGateway({ bus, store, config, metrics, logger: logger.child({ part: 'gateway' }), version: packageVersion() })
      : undefined;
    const address = await gateway?.listen();
    if (address !== undefined) logger.info({ address }, 'gateway listening');
    const openBusRef = bus;
    return {
      ...(gateway !== undefined ? { gateway } : {}),
      ...(worker !== undefined ? { worker } : {}),
      ...(address !== undefined ? { address } : {}),
      async stop() {
        await gateway?.stop();
        await worker?.stop({ timeoutMs: 10_000 });
        await openBusRef.stop();
        await store.close();
      },
    };
  } catch (error) {
    await bus?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}
