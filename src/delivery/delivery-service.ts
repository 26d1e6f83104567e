import type { BusPort } from '../bus/index.js';
import type { EventEnvelope } from '../envelope/index.js';
import { asError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';
import { consumerNameOf, type Subscription, type SubscriptionInput } from '../subscriptions/index.js';
import { SubscriptionRunner } from './subscription-runner.js';

export interface DeliveryServiceOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  /** The subscription file's definitions; null: no file (declared subscriptions are left as they are). */
  readonly declared: ReadonlyArray<SubscriptionInput & { secret: string }> | null;
  readonly allowPrivateTargets: boolean;
  readonly retryBaseMs: number;
  /** The key `ordered` subscriptions deliver one at a time (entity key, else event id). */
  readonly orderingKey?: (envelope: EventEnvelope) => string;
  /** How often subscriptions are read again (changes made through any gateway). */
  readonly refreshMs?: number;
}

export interface DeliveryService {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const LAG_INTERVAL_MS = 5_000;

/**
 * Runs every subscription that is not paused, and follows changes: subscriptions are read
 * from the database every `refreshMs` (2 s), so one added, changed, paused or removed through
 * any gateway is picked up by every delivering process. A removed subscription's durable
 * consumer is deleted.
 */
export function createDeliveryService(options: DeliveryServiceOptions): DeliveryService {
  const { bus, store, metrics } = options;
  const logger = options.logger;
  const runners = new Map<string, SubscriptionRunner>();
  /** Each known subscription's id and version, to tell a change from a repeat. */
  const known = new Map<string, Subscription>();
  let timer: NodeJS.Timeout | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> = Promise.resolve();
  let stopped = false;

  const runnerFor = (subscription: Subscription) =>
    new SubscriptionRunner({
      subscription,
      bus,
      store,
      metrics,
      logger,
      allowPrivateTargets: options.allowPrivateTargets,
      retryBaseMs: options.retryBaseMs,
      orderingKey: options.orderingKey ?? ((envelope) => envelope.id),
    });

  const stopRunner = async (id: string): Promise<void> => {
    const runner = runners.get(id);
    if (runner === undefined) return;
    runners.delete(id);
    await runner.stop().catch((error) => logger.warn({ err: asError(error).message, subscription: runner.subscription.name }, 'subscription did not stop cleanly'));
  };

  const apply = async (current: readonly Subscription[]): Promise<void> => {
    const byId = new Map(current.map((s) => [s.id, s]));
    for (const [id, before] of known) {
      if (byId.has(id)) continue;
      known.delete(id);
      await stopRunner(id);
      metrics.subscriptionPending.remove({ subscription: before.name });
      await bus.deleteConsumer(consumerNameOf(before)).catch((error) => logger.warn({ err: asError(error).message, subscription: before.name }, 'could not delete the consumer of a removed subscription'));
      logger.info({ subscription: before.name }, 'subscription removed');
    }
    for (const s of current) {
      const before = known.get(s.id);
      if (before !== undefined && before.updatedAt === s.updatedAt && runners.has(s.id) === !s.paused) continue;
      known.set(s.id, s);
      await stopRunner(s.id);
      if (s.paused) {
        if (before !== undefined && !before.paused) logger.info({ subscription: s.name }, 'subscription paused');
        continue;
      }
      const runner = runnerFor(s);
      try {
        await runner.start();
        runners.set(s.id, runner);
      } catch (error) {
        // Tried again on the next refresh.
        known.delete(s.id);
        await runner.stop().catch(() => undefined);
        logger.error({ err: asError(error).message, subscription: s.name }, 'subscription could not start; retrying');
      }
    }
  };

  const refresh = async (): Promise<void> => {
    let current: Subscription[];
    try {
      current = await store.subscriptions.list();
    } catch (error) {
      logger.warn({ err: asError(error).message }, 'subscriptions not read (database unavailable?); delivering the ones known');
      return;
    }
    if (!stopped) await apply(current);
  };

  const schedule = (): void => {
    timer = setTimeout(() => {
      refreshing = refresh().finally(() => {
        if (!stopped) schedule();
      });
    }, options.refreshMs ?? 2_000);
    timer.unref();
  };

  const updateLag = async (): Promise<void> => {
    for (const s of known.values()) {
      const lag = await bus.consumerLag(consumerNameOf(s)).catch(() => null);
      if (lag !== null) metrics.subscriptionPending.set({ subscription: s.name }, lag.pending + lag.ackPending);
    }
  };

  return {
    async start() {
      if (options.declared !== null) {
        const { added, removed } = await store.subscriptions.syncDeclared(options.declared);
        if (added.length > 0 || removed.length > 0) logger.info({ added, removed }, 'declared subscriptions updated from the file');
      }
      await refresh();
      schedule();
      lagTimer = setInterval(() => void updateLag(), LAG_INTERVAL_MS);
      lagTimer.unref();
      logger.info({ subscriptions: [...known.values()].map((s) => s.name) }, 'delivery started');
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(lagTimer);
      await refreshing;
      await Promise.all([...runners.keys()].map(stopRunner));
      logger.info('delivery stopped');
    },
  };
}
