import type { BusPort } from '../bus/index.js';
import type { EntityModel } from '../entities/index.js';
import { asError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { ProgressMark, StorePort, WriteItem } from '../store/index.js';
import { prepareItems } from './prepare.js';

export interface RecoveryOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly entities: EntityModel | null;
  readonly logger: Logger;
  readonly consumer: string;
  readonly batchSize: number;
  /** The database or the bus is away (worth another try, not a reason to skip an event). */
  readonly isOutage: (error: unknown) => boolean;
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
      restored += await writeAgain(options, await prepareItems(page, options.entities));
    }
  }
  // Everything acknowledged before this start is now in the database.
  await store.recordProgress({ consumer, writtenThrough: position.ackFloor });
  if (restored > 0) logger.warn({ consumer, from: recorded + 1, to: position.delivered, read, restored }, 'events the database had lost were written again from the bus');
  else if (read > 0) logger.info({ consumer, from: recorded + 1, to: position.delivered, read }, 'checked the events acknowledged after the recorded progress: none lost');
  return { read, restored };
}

/** Writes a page; an event the database refuses is settled as failed, as the worker settles it. */
async function writeAgain({ store, logger, isOutage }: RecoveryOptions, items: WriteItem[]): Promise<number> {
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
        // Acknowledged already, so the bus will not hand it over again: settle it here (it was
        // settled as failed before the loss, and its dead letter was published then), so its
        // status never goes missing.
        const reason = asError(error).message;
        logger.error({ id: item.envelope.id, seq: item.seq, err: reason }, 'an event read back from the bus could not be written again; settled as failed');
        await store.settleFailed({ ...item, failure: item.failure ?? `the database refused the event: ${reason}` });
      }
    }
    return written;
  }
}


const RECOVERY_ATTEMPTS = 5;

/** `recoverLostWrites`, with an outage of the database or the bus waited out a few times (0.5 s, then doubling). */
export async function recoverAtStart(options: RecoveryOptions): Promise<RecoveryResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recoverLostWrites(options);
    } catch (error) {
      if (!options.isOutage(error) || attempt >= RECOVERY_ATTEMPTS) throw error;
      const delayMs = 500 * 2 ** (attempt - 1);
      options.logger.warn({ err: asError(error).message, delayMs }, 'start-up check of acknowledged events waits for the database and the bus');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

/**
 * The progress a worker records with its batches. A floor read from the bus is recorded by
 * the next batch that begins after the read: that batch commits after every ack the floor
 * covers, so if its commit survives, theirs did. Only a floor higher than the last recorded
 * is written (one per lag poll, every 5 s), so batches do not queue on the progress row.
 */
export class ProgressMarks {
  private toRecord: number | undefined;
  private recorded = 0;

  constructor(private readonly consumer: string) {}

  /** An acknowledgement floor just read from the bus. */
  observed(ackFloor: number): void {
    if (ackFloor > this.recorded) this.toRecord = ackFloor;
  }

  /** What the next batch records (taken before its transaction begins), if anything. */
  next(): ProgressMark | undefined {
    return this.toRecord === undefined ? undefined : { consumer: this.consumer, writtenThrough: this.toRecord };
  }

  /** A batch that recorded `mark` committed. */
  committed(mark: ProgressMark | undefined): void {
    if (mark === undefined) return;
    if (mark.writtenThrough > this.recorded) this.recorded = mark.writtenThrough;
    if (this.toRecord !== undefined && this.toRecord <= this.recorded) this.toRecord = undefined;
  }

  /** After the last batch: records the final floor, so the next start has nothing to read back. */
  async recordFinal(bus: BusPort, store: StorePort, logger: Logger): Promise<void> {
    try {
      const lag = await bus.consumerLag(this.consumer);
      if (lag !== null && lag.ackFloor > this.recorded) await store.recordProgress({ consumer: this.consumer, writtenThrough: lag.ackFloor });
    } catch (error) {
      logger.warn({ err: asError(error).message }, 'could not record the worker progress at stop; the next start reads back a little more');
    }
  }
}
