import type { BusPort } from '../bus/index.js';
import type { EntityModel } from '../entities/model.js';
import { asError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { isConnectionError, type StorePort, type WriteItem } from '../store/index.js';
import { prepareItem } from './prepare.js';

export interface RecoveryOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly entities: EntityModel | null;
  readonly logger: Logger;
  readonly consumer: string;
  readonly batchSize: number;
}

export interface RecoveryResult {
  /** Messages read back from the bus. */
  readonly read: number;
  /** Of those, events the database did not have (or had failed to keep): written again. */
  readonly restored: number;
}

/**
 * Makes the database's own record decide what is written again at start. The bus may hold
 * as acknowledged events whose rows the database lost after it said they were committed (the
 * embedded database does not fsync: a power cut takes its last commits). Every message the
 * consumer may have acknowledged after the recorded progress is read back from the bus and
 * written again; the write is idempotent (an event already there is left as it is), so each
 * event is in the database once. Runs before the worker consumes.
 */
export async function recoverLostWrites(options: RecoveryOptions): Promise<RecoveryResult> {
  const { bus, store, logger, consumer } = options;
  const position = await bus.consumerLag(consumer);
  if (position === null) return { read: 0, restored: 0 };
  const recorded = await store.readProgress(consumer);
  if (recorded === null) {
    // Events written before progress was recorded: nothing tells which were lost. Record from here on.
    await store.recordProgress({ consumer, writtenThrough: position.ackFloor });
    logger.info({ consumer, writtenThrough: position.ackFloor }, 'worker progress recorded from now on');
    return { read: 0, restored: 0 };
  }
  let read = 0;
  let restored = 0;
  if (position.delivered > recorded) {
    for await (const page of bus.readRange(recorded + 1, position.delivered, options.batchSize)) {
      read += page.length;
      restored += await writeAgain(store, logger, page.map((m) => prepareItem(m, options.entities)));
    }
  }
  // Everything acknowledged before this start is now in the database.
  await store.recordProgress({ consumer, writtenThrough: position.ackFloor });
  if (restored > 0) logger.warn({ consumer, from: recorded + 1, to: position.delivered, read, restored }, 'events the database had lost were written again from the bus');
  else if (read > 0) logger.info({ consumer, from: recorded + 1, to: position.delivered, read }, 'checked the events acknowledged after the recorded progress: none lost');
  return { read, restored };
}

/** Writes a page; an event that cannot be written now is left to its delivery (if unacknowledged) and logged. */
async function writeAgain(store: StorePort, logger: Logger, items: WriteItem[]): Promise<number> {
  const count = (outcomes: ReadonlyArray<{ duplicate: boolean }>): number => outcomes.filter((o) => !o.duplicate).length;
  try {
    return count(await store.writeBatch(items));
  } catch (error) {
    if (isOutage(error)) throw error;
    let written = 0;
    for (const item of items) {
      try {
        written += count(await store.writeBatch([item]));
      } catch (error) {
        if (isOutage(error)) throw error;
        logger.error({ id: item.envelope.id, seq: item.seq, err: asError(error).message }, 'an event read back from the bus could not be written again');
      }
    }
    return written;
  }
}

/** The database or the bus is away: worth another try, not a reason to skip an event. */
export function isOutage(error: unknown): boolean {
  return isConnectionError(error) || (error as { code?: string })?.code === 'bus_unavailable';
}
