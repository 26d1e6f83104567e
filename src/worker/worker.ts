import { failedWriteDelayMs, type BusPort, type ConsumerHandle, type Delivery } from '../bus/index.js';
import type { EntityModel } from '../entities/index.js';
import { asError } from '../errors/index.js';
import { startBatchSpan, traceFields, type Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import { isConnectionError, type StorePort, type WriteItem } from '../store/index.js';
import { prepareItems } from './prepare.js';
import { ProgressMarks, recoverAtStart } from './recover.js';
import { checkStreamIdentity } from './stream-identity.js';

export interface WorkerOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly entities: EntityModel | null;
  readonly metrics: SluiceMetrics;
  readonly logger: Logger;
  readonly consumer: string;
  readonly stream: string;
  readonly batchSize: number;
  readonly ackWaitMs: number;
  /** Failed deliveries caused by the event itself before it is failed and dead-lettered. */
  readonly maxDeliver: number;
  readonly archiveRetentionMs: number | null;
}

export interface Worker {
  start(): Promise<void>;
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

const MAX_PAUSE_MS = 10_000;
const LAG_INTERVAL_MS = 5_000;
const MAINTENANCE_INTERVAL_MS = 3_600_000;
/** Batches of at least this many events are written as two concurrent transactions (PostgreSQL). */
const SPLIT_AT = 64;

/**
 * The consume → validate → write → ack loop. A batch is written in one transaction (two
 * concurrent ones for a large batch on PostgreSQL, split by event id) and each event is acked
 * only after its transaction commits. An unreachable database pauses the worker (never counted against the
 * events); an event that breaks its batch is isolated, retried with growing delays, and after
 * `maxDeliver` failures marked failed and dead-lettered.
 */
export function createWorker(options: WorkerOptions): Worker {
  let handle: ConsumerHandle | undefined;
  let pauseMs = 0;
  const timers: NodeJS.Timeout[] = [];
  const progress = new ProgressMarks(options.consumer);
  const { bus, store, metrics, logger } = options;

  const pause = async (reason: string): Promise<void> => {
    pauseMs = Math.min(MAX_PAUSE_MS, pauseMs === 0 ? 500 : pauseMs * 2);
    logger.warn({ pauseMs, reason }, 'database unavailable; pausing');
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  };

  /**
   * Publishes an event's dead letter and returns the reason to record. The bus makes every dead
   * letter fit; should it still refuse this one for what it carries, the event is settled
   * without it (the reason says so) rather than retried for ever. Throws only on a bus outage.
   */
  const deadLetter = async (item: WriteItem, delivery: Delivery, reason: string): Promise<string> => {
    const fields = { id: item.envelope.id, type: item.envelope.type, reason, ...traceFields(item.envelope.traceparent) };
    try {
      await bus.publishDeadLetter({ envelope: item.envelope, seq: item.seq, streamSeq: delivery.streamSeq }, reason);
    } catch (error) {
      if (isOutage(error)) throw error;
      logger.error({ ...fields, err: asError(error).message }, 'event failed; its dead letter was refused');
      return `${reason} (no dead letter: ${asError(error).message})`;
    }
    metrics.deadLetters.inc();
    logger.warn(fields, 'event failed; dead-lettered');
    return reason;
  };

  /** Writes items and settles their deliveries; throws only for a database connection failure. */
  const write = async (prepared: WriteItem[], deliveries: readonly Delivery[]): Promise<void> => {
    const items = [...prepared];
    // Dead letters first: if the commit then fails the redelivery publishes again under the same message id.
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.failure === undefined) continue;
      const failure = await deadLetter(item, deliveries[i]!, item.failure);
      if (failure !== item.failure) items[i] = { ...item, failure };
    }
    const failures = items.filter((i) => i.failure !== undefined);
    const started = performance.now();
    const mark = progress.next();
    const outcomes = await store.writeBatch(items, mark);
    progress.committed(mark);
    metrics.dbWriteDuration.observe((performance.now() - started) / 1000);
    let persisted = 0;
    outcomes.forEach((o, i) => {
      if (o.duplicate) metrics.duplicatesSkipped.inc();
      else if (items[i]!.failure === undefined) persisted++;
    });
    metrics.eventsPersisted.inc(persisted);
    if (logger.isLevelEnabled('debug')) logWritten(logger, items, outcomes);
    if (failures.length > 0) metrics.eventsFailed.inc(failures.length);
    for (const d of deliveries) d.ack();
  };

  /**
   * Settles an event the database will not take as it is: its dead letter, then `failed` with
   * the reason, in a write its content cannot make fail (see `StorePort.settleFailed`).
   */
  const settle = async (delivery: Delivery, item: WriteItem, reason: string): Promise<void> => {
    const failure = await deadLetter(item, delivery, reason);
    await store.settleFailed({ ...item, failure });
    metrics.eventsFailed.inc();
    delivery.ack();
  };

  /**
   * Writes one event on its own. A failure that is the event's fault is counted against this
   * message; the event is settled as failed once the database refused its content (class 22:
   * the same bytes fail every time) or after `maxDeliver` failures, else retried with a growing
   * delay. Only an outage is thrown: whatever else goes wrong hands back this event alone.
   */
  const handleOne = async (delivery: Delivery, item: WriteItem): Promise<void> => {
    let error: unknown;
    try {
      await write([item], [delivery]);
      return;
    } catch (caught) {
      if (isOutage(caught)) throw caught;
      error = caught;
    }
    const reason = asError(error).message;
    let failed = delivery.deliveryCount;
    try {
      [failed = 1] = await store.recordFailedAttempts([
        { envelope: item.envelope, entityType: item.entityType, error: reason, streamSeq: delivery.streamSeq },
      ]);
      if (isRefusedContent(error)) return await settle(delivery, item, item.failure ?? `the database refused the event: ${reason}`);
      if (failed >= options.maxDeliver) return await settle(delivery, item, `gave up after ${failed} failed deliveries: ${reason}`);
    } catch (settling) {
      if (isOutage(settling)) throw settling;
      logger.error({ id: item.envelope.id, err: asError(settling).message, ...traceFields(item.envelope.traceparent) }, 'could not settle a failed event; will retry it');
    }
    metrics.eventsRetried.inc();
    logger.warn({ id: item.envelope.id, failed, err: reason, ...traceFields(item.envelope.traceparent) }, 'event write failed; will retry');
    delivery.nak(failedWriteDelayMs(failed));
  };

  /** Hands deliveries back after an outage of the database or the bus, and pauses on a database outage. */
  const backOff = async (deliveries: readonly Delivery[], error: unknown): Promise<void> => {
    metrics.eventsRetried.inc(deliveries.length);
    for (const d of deliveries) d.nak(Math.max(1000, pauseMs));
    if (isConnectionError(error)) await pause(asError(error).message);
    else logger.warn({ err: asError(error).message }, 'bus unavailable; batch handed back for redelivery');
  };

  /** Writes part of a batch in one transaction; a bad event in it is isolated by writing its events one by one. */
  const handlePart = async (items: WriteItem[], batch: readonly Delivery[]): Promise<void> => {
    try {
      await write(items, batch);
      pauseMs = 0;
      return;
    } catch (error) {
      if (isOutage(error)) return backOff(batch, error);
      if (batch.length > 1) logger.warn({ err: asError(error).message, size: batch.length }, 'batch write failed; writing events one by one');
    }
    // Something in the batch is bad: write each on its own so only the culprit is retried.
    for (let i = 0; i < batch.length; i++) {
      try {
        await handleOne(batch[i]!, items[i]!);
      } catch (error) {
        return backOff(batch.slice(i), error);
      }
    }
    pauseMs = 0;
  };

  const handleBatch = async (all: readonly Delivery[]): Promise<void> => {
    // A replay meant for one subscription changes nothing in the database: pass it by.
    let batch = all;
    if (all.some((d) => d.replayTarget !== undefined)) {
      batch = all.filter((d) => d.replayTarget === undefined);
      for (const d of all) if (d.replayTarget !== undefined) d.ack();
    }
    if (batch.length === 0) return;
    metrics.workerBatchSize.observe(batch.length);
    const items = await prepareItems(batch, options.entities);
    if (!store.concurrentWrites || batch.length < SPLIT_AT) return handlePart(items, batch);
    // Two transactions on two connections: one part's rows are sent while the database writes
    // the other's, and the server works on both at once. The parts split by event id, so every
    // copy of an id (a replay next to its original) stays in one transaction and the parts
    // touch disjoint status and archive rows; entity rows they share are locked table by table
    // in one fixed order and in key order within a table (see entity-tables.ts), so the two
    // cannot deadlock.
    const parts: Array<{ items: WriteItem[]; batch: Delivery[] }> = [
      { items: [], batch: [] },
      { items: [], batch: [] },
    ];
    for (let i = 0; i < batch.length; i++) {
      const part = parts[batch[i]!.envelope.id.charCodeAt(batch[i]!.envelope.id.length - 1) & 1]!;
      part.items.push(items[i]!);
      part.batch.push(batch[i]!);
    }
    await Promise.all(parts.map((p) => (p.batch.length === 0 ? undefined : handlePart(p.items, p.batch))));
  };

  /** One OpenTelemetry span per batch, linked to each event's trace (a no-op without an SDK). */
  const tracedBatch = async (batch: readonly Delivery[]): Promise<void> => {
    const span = startBatchSpan('sluice.worker.batch', batch.map((d) => d.envelope.traceparent), { 'messaging.batch.message_count': batch.length });
    try {
      await handleBatch(batch);
    } finally {
      span.end();
    }
  };

  const updateLag = async (): Promise<void> => {
    // An idle worker learns of a database outage here, not from a failed write.
    metrics.databaseUp.set((await store.ping()) ? 1 : 0);
    const lag = await bus.consumerLag(options.consumer);
    if (lag === null) return;
    progress.observed(lag.ackFloor);
    metrics.consumerPending.set({ stream: options.stream, consumer: options.consumer }, lag.pending);
    metrics.consumerAckPending.set({ stream: options.stream, consumer: options.consumer }, lag.ackPending);
  };

  const maintain = async (): Promise<void> => {
    try {
      await store.maintainPartitions(new Date(), options.archiveRetentionMs);
    } catch (error) {
      logger.warn({ err: asError(error).message }, 'archive partition maintenance failed; will try again');
    }
  };

  return {
    async start() {
      await checkStreamIdentity(bus, store, logger);
      await maintain();
      const { restored } = await recoverAtStart({ bus, store, entities: options.entities, logger, consumer: options.consumer, batchSize: options.batchSize, isOutage });
      metrics.eventsPersisted.inc(restored);
      handle = await bus.consume({ durable: options.consumer, batchSize: options.batchSize, ackWaitMs: options.ackWaitMs }, tracedBatch);
      await updateLag();
      timers.push(setInterval(() => void updateLag(), LAG_INTERVAL_MS), setInterval(() => void maintain(), MAINTENANCE_INTERVAL_MS));
      for (const t of timers) t.unref();
      logger.info({ consumer: options.consumer, batchSize: options.batchSize }, 'worker started');
    },
    async stop(stopOptions) {
      for (const t of timers) clearInterval(t);
      await handle?.stop(stopOptions);
      await progress.recordFinal(bus, store, logger);
      logger.info('worker stopped');
    },
  };
}

/**
 * PostgreSQL refused a value the event carries (SQLSTATE class 22, data exception: a number
 * `jsonb` cannot hold, a time out of range, a NUL in text), or its time has no valid day: the
 * same event fails the same way on every delivery, so retrying it only holds others back.
 */
function isRefusedContent(error: unknown): boolean {
  if (error instanceof RangeError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** The database or the bus is away: nobody's fault but the outage's; never counted against an event. */
function isOutage(error: unknown): boolean {
  return isConnectionError(error) || (error as { code?: string })?.code === 'bus_unavailable';
}

/** Debug: one line per event written, carrying its trace ids so the trace continues in the logs. */
function logWritten(logger: Logger, items: readonly WriteItem[], outcomes: ReadonlyArray<{ duplicate: boolean }>): void {
  items.forEach((item, i) => {
    if (item.failure !== undefined) return;
    logger.debug(
      { id: item.envelope.id, type: item.envelope.type, seq: item.seq, duplicate: outcomes[i]?.duplicate === true, ...traceFields(item.envelope.traceparent) },
      'event persisted',
    );
  });
}
