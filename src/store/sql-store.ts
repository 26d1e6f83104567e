import { isUtf8 } from 'node:buffer';
import { dataAsJson } from '../envelope/index.js';
import { rowReferences, type EntityDefinition } from '../entities/index.js';
import type { EventEnvelope } from '../envelope/index.js';
import { migrate } from './migrate.js';
import type {
  AttemptRecord,
  EventQuery,
  MessageState,
  MessageStatusRecord,
  MigrateOptions,
  ProgressMark,
  ReplayProgress,
  ReplaySelector,
  StorePort,
  StoredEvent,
  SubscriptionRecords,
  WriteItem,
  WriteOutcome,
} from './port.js';
import { archiveCopy, EVENT_COLUMNS, insertArchiveRows, toStoredEvent, type ArchiveRow, type EventRow } from './queries/archive.js';
import { applyDataIndex } from './queries/data-index.js';
import { createDayPartition, dayStart, dropPartitionsBefore } from './queries/partitions.js';
import { insertNewStatuses, isStatusKeyViolation, lockStatuses, newStatusesCopy, recordAttempts, selectStatus, settleFailedStatuses, updateStatuses, type AttemptRow, type StatusRow } from './queries/status.js';
import { raiseProgress, raiseProgressStatement, selectProgress } from './queries/progress.js';
import { insertReplay, selectReplay, updateReplay } from './queries/replays.js';
import { selectHighestStreamSeq, selectStreamCreated, upsertStreamCreated } from './queries/streams.js';
import { typeCondition } from './queries/type-pattern.js';
import { isConnectionError, type SqlClient, type SqlExecutor } from './sql-client.js';
import { storableEnvelope, storableText } from './storable.js';
import { createSubscriptionRecords } from './subscription-records.js';

/** Writes entity rows inside the batch transaction and creates entity tables at migrate time. */
export interface EntityTables {
  migrate(tx: SqlExecutor, definitions: readonly EntityDefinition[]): Promise<void>;
  write(tx: SqlExecutor, items: readonly WriteItem[]): Promise<void>;
}

const DAY_MS = 86_400_000;

/** The store port over any SqlClient (PostgreSQL or the embedded PostgreSQL): one dialect, one set of queries. */
export function createSqlStore(client: SqlClient, options: { entityTables?: EntityTables } = {}): StorePort {
  return new SqlStore(client, options.entityTables);
}

class SqlStore implements StorePort {
  readonly kind: 'postgres' | 'embedded';
  readonly concurrentWrites: boolean;
  readonly subscriptions: SubscriptionRecords;
  private readonly partitions = new Set<number>();

  constructor(
    private readonly client: SqlClient,
    private readonly entityTables: EntityTables | undefined,
  ) {
    this.kind = client.kind;
    this.concurrentWrites = client.kind === 'postgres';
    this.subscriptions = createSubscriptionRecords(client);
  }

  async migrate(entities: readonly EntityDefinition[] = [], options: MigrateOptions = {}): Promise<void> {
    await migrate(this.client, async (tx) => {
      await applyDataIndex(tx, options.dataIndex ?? 'none');
      if (entities.length > 0) {
        if (this.entityTables === undefined) throw new Error('entity definitions were given but this store has no entity support');
        await this.entityTables.migrate(tx, entities);
      }
    });
    await this.maintainPartitions(new Date(), null);
  }

  async writeBatch(items: readonly WriteItem[], progress?: ProgressMark): Promise<WriteOutcome[]> {
    if (items.length === 0) {
      if (progress !== undefined) await this.recordProgress(progress);
      return [];
    }
    await this.ensurePartitions(items.map((i) => i.envelope.receivedAt));
    try {
      return await this.writeInTransaction(items, progress);
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
      // A partition this process created was dropped since (by hand, or by another process's
      // retention): forget what was cached, create the days again, and write once more.
      this.partitions.clear();
      await this.ensurePartitions(items.map((i) => i.envelope.receivedAt));
      return this.writeInTransaction(items, progress);
    }
  }

  private async writeInTransaction(items: readonly WriteItem[], progress: ProgressMark | undefined): Promise<WriteOutcome[]> {
    try {
      return await this.client.transaction((tx) => (tx.copyMany === undefined ? this.writeDeciding(tx, items, progress) : this.writeAllNew(tx, items, progress, tx.copyMany.bind(tx))));
    } catch (error) {
      if (!isStatusKeyViolation(error)) throw error;
    }
    // An id of the batch had its status row already (a redelivery, a retry after a failed
    // attempt, a replay): that transaction rolled back whole; decide id by id.
    return this.client.transaction((tx) => this.writeDeciding(tx, items, progress));
  }

  /**
   * The common case, a batch of events never seen: the status rows and the archive rows as two
   * COPYs sent with the BEGIN in one round trip, then the entity rows, then the progress sent
   * with the COMMIT. An id that has its status row already fails the status COPY (unique
   * violation) and the caller writes the batch again with `writeDeciding`.
   */
  private async writeAllNew(tx: SqlExecutor, items: readonly WriteItem[], progress: ProgressMark | undefined, copyMany: NonNullable<SqlExecutor['copyMany']>): Promise<WriteOutcome[]> {
    const firsts = firstOfEachId(items);
    const plan = planWrite(items, () => true, new Map());
    await copyMany([newStatusesCopy(firsts.map(statusRow)), archiveCopy(plan.archive)]);
    await this.finishWrite(tx, plan, progress);
    return plan.outcomes;
  }

  /** Any batch: inserts the status rows of new ids, locks those seen before, and writes what their states call for. */
  private async writeDeciding(tx: SqlExecutor, items: readonly WriteItem[], progress: ProgressMark | undefined): Promise<WriteOutcome[]> {
    const firsts = firstOfEachId(items);
    const newIds = await insertNewStatuses(tx, firsts.map(statusRow));
    const seenBefore = firsts.filter((i) => !newIds.has(i.envelope.id)).map((i) => i.envelope.id);
    const previous = await lockStatuses(tx, seenBefore);
    const plan = planWrite(items, (id) => newIds.has(id), previous);
    await insertArchiveRows(tx, plan.archive);
    await this.finishWrite(tx, plan, progress);
    return plan.outcomes;
  }

  /** Entity rows, statuses of ids that had one, and the progress mark: the rest of a batch's transaction. */
  private async finishWrite(tx: SqlExecutor, plan: WritePlan, progress: ProgressMark | undefined): Promise<void> {
    if (plan.apply.length > 0) {
      if (this.entityTables === undefined) throw new Error('an event routes to an entity but this store has no entity support');
      await this.entityTables.write(tx, plan.apply);
    }
    await updateStatuses(tx, plan.settle);
    if (progress === undefined) return;
    if (tx.withCommit !== undefined) tx.withCommit(raiseProgressStatement(progress.consumer, progress.writtenThrough));
    else await raiseProgress(tx, progress.consumer, progress.writtenThrough);
  }

  async recordProgress(progress: ProgressMark): Promise<void> {
    await raiseProgress(this.client, progress.consumer, progress.writtenThrough);
  }

  readProgress(consumer: string): Promise<number | null> {
    return selectProgress(this.client, consumer);
  }

  async recordFailedAttempts(items: readonly AttemptRecord[]): Promise<number[]> {
    if (items.length === 0) return [];
    // The attempt failed perhaps because of what the event carries: record it in a form that cannot fail the same way.
    const rows: AttemptRow[] = items.map((i) => {
      const e = storableEnvelope(i.envelope);
      return {
        id: e.id,
        status: 'processing',
        type: e.type,
        entityType: i.entityType === null ? null : storableText(i.entityType),
        receivedAt: e.receivedAt,
        streamSeq: 0,
        error: storableText(i.error),
        rowsText: null,
        failingSeq: i.streamSeq,
      };
    });
    // One statement cannot touch a row twice: count repeats of an id in the batch once.
    const unique = [...new Map(rows.map((r) => [r.id, r])).values()];
    const attempts = await this.client.transaction((tx) => recordAttempts(tx, unique));
    return items.map((i) => attempts.get(i.envelope.id) ?? 1);
  }

  async settleFailed(item: WriteItem & { readonly failure: string }): Promise<void> {
    const safe: WriteItem & { failure: string } = { ...item, envelope: storableEnvelope(item.envelope), dataIsJson: false, failure: storableText(item.failure) };
    // The event's own day may be one no partition can hold (a year PostgreSQL refuses): then only the storable copy is tried.
    const ownDay = await this.ensurePartitions([item.envelope.receivedAt]).then(
      () => true,
      (error: unknown) => {
        if (isConnectionError(error)) throw error;
        return false;
      },
    );
    await this.ensurePartitions([safe.envelope.receivedAt]);
    await this.client.transaction(async (tx) => {
      const before = (await lockStatuses(tx, [item.envelope.id])).get(item.envelope.id);
      if (before !== 'persisted' && before !== 'failed') {
        const asItCame = ownDay && (await inSavepoint(tx, () => insertArchiveRows(tx, [archiveRow(item)])));
        // Should not even the storable copy go in (its day's partition dropped meanwhile), the status row alone still settles the event.
        if (!asItCame) await inSavepoint(tx, () => insertArchiveRows(tx, [archiveRow(safe)]));
      }
      await settleFailedStatuses(tx, [statusRow(safe)]);
    });
  }

  getStatus(id: string): Promise<MessageStatusRecord | null> {
    return selectStatus(this.client, id);
  }

  async getEvent(id: string): Promise<StoredEvent | null> {
    const { rows } = await this.client.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM sluice.events WHERE id = $1 ORDER BY stream_seq LIMIT 1`,
      [id],
    );
    return rows[0] === undefined ? null : toStoredEvent(rows[0]);
  }

  async listEvents(query: EventQuery): Promise<StoredEvent[]> {
    const params: unknown[] = [query.afterSeq, query.maxSeq];
    const where = ['stream_seq > $1', 'stream_seq <= $2'];
    if (query.type !== undefined) where.push(typeCondition('type', query.type, params));
    if (query.source !== undefined) {
      params.push(query.source);
      where.push(`source = $${params.length}`);
    }
    if (query.since !== undefined) {
      params.push(query.since);
      where.push(`received_at >= $${params.length}`);
    }
    if (query.until !== undefined) {
      params.push(query.until);
      where.push(`received_at < $${params.length}`);
    }
    if (query.data !== undefined) {
      params.push(query.data);
      where.push(`data @> $${params.length}::jsonb`);
    }
    if (query.status !== undefined) {
      params.push(query.status);
      where.push(`id IN (SELECT message_id FROM sluice.message_status WHERE status = $${params.length})`);
    }
    params.push(query.limit);
    const { rows } = await this.client.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM sluice.events WHERE ${where.join(' AND ')} ORDER BY stream_seq LIMIT $${params.length}`,
      params,
    );
    return rows.map(toStoredEvent);
  }

  async *selectForReplay(selector: ReplaySelector, pageSize: number): AsyncIterable<StoredEvent[]> {
    if (selector.ids !== undefined) {
      for (let i = 0; i < selector.ids.length; i += pageSize) {
        const ids = selector.ids.slice(i, i + pageSize);
        const { rows } = await this.client.query<EventRow>(
          `SELECT DISTINCT ON (stream_seq) ${EVENT_COLUMNS} FROM sluice.events WHERE id = ANY($1::uuid[]) ORDER BY stream_seq`,
          [ids],
        );
        if (rows.length > 0) yield rows.map(toStoredEvent);
      }
      return;
    }
    let afterSeq = 0;
    for (;;) {
      const page = await this.listEvents({
        afterSeq,
        maxSeq: selector.maxSeq ?? Number.MAX_SAFE_INTEGER,
        limit: pageSize,
        ...(selector.type !== undefined ? { type: selector.type } : {}),
        ...(selector.since !== undefined ? { since: selector.since } : {}),
        ...(selector.until !== undefined ? { until: selector.until } : {}),
      });
      if (page.length === 0) return;
      yield page;
      afterSeq = page[page.length - 1]!.streamSeq;
    }
  }

  async countForReplay(selector: ReplaySelector): Promise<{ matched: number; knownIds?: string[]; maxSeq?: number }> {
    if (selector.ids !== undefined) {
      const { rows } = await this.client.query<{ id: string }>('SELECT DISTINCT id FROM sluice.events WHERE id = ANY($1::uuid[])', [selector.ids]);
      return { matched: rows.length, knownIds: rows.map((r) => r.id) };
    }
    const params: unknown[] = [];
    const where = ['true'];
    if (selector.type !== undefined) where.push(typeCondition('type', selector.type, params));
    if (selector.since !== undefined) {
      params.push(selector.since);
      where.push(`received_at >= $${params.length}`);
    }
    if (selector.until !== undefined) {
      params.push(selector.until);
      where.push(`received_at < $${params.length}`);
    }
    if (selector.maxSeq !== undefined) {
      params.push(selector.maxSeq);
      where.push(`stream_seq <= $${params.length}`);
    }
    // Count and bound in one statement: the replay then publishes exactly these, whatever arrives meanwhile.
    const { rows } = await this.client.query<{ n: string | number; m: string | number | null }>(
      `SELECT count(*) AS n, max(stream_seq) AS m FROM sluice.events WHERE ${where.join(' AND ')}`,
      params,
    );
    const max = rows[0]?.m;
    return { matched: Number(rows[0]?.n ?? 0), ...(max !== null && max !== undefined ? { maxSeq: Number(max) } : {}) };
  }

  async saveReplay(replay: ReplayProgress, selector?: ReplaySelector): Promise<void> {
    if (selector !== undefined) await insertReplay(this.client, replay.replayId, selector, replay.matched);
    else await updateReplay(this.client, replay.replayId, replay.published, replay.status, replay.error);
  }

  getReplay(replayId: string): Promise<ReplayProgress | null> {
    return selectReplay(this.client, replayId);
  }

  streamCreated(stream: string): Promise<string | null> {
    return selectStreamCreated(this.client, stream);
  }

  recordStreamCreated(stream: string, created: string): Promise<void> {
    return upsertStreamCreated(this.client, stream, created);
  }

  highestStreamSeq(): Promise<number> {
    return selectHighestStreamSeq(this.client);
  }

  async maintainPartitions(now: Date, retentionMs: number | null): Promise<void> {
    const today = dayStart(now);
    for (let day = today - DAY_MS; day <= today + 2 * DAY_MS; day += DAY_MS) {
      await createDayPartition(this.client, day);
      this.partitions.add(day);
    }
    if (retentionMs !== null) {
      await dropPartitionsBefore(this.client, now.getTime() - retentionMs);
    }
  }

  /** Creates the partitions of the days these times fall on, unless this process created them already. */
  private async ensurePartitions(times: readonly string[]): Promise<void> {
    for (const time of times) {
      const day = dayStart(time);
      if (this.partitions.has(day)) continue;
      await createDayPartition(this.client, day);
      this.partitions.add(day);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The first delivery of each id in the batch: it decides; later copies of the id (a replay next to its original) follow. */
function firstOfEachId(items: readonly WriteItem[]): WriteItem[] {
  const firstById = new Map<string, WriteItem>();
  for (const item of items) if (!firstById.has(item.envelope.id)) firstById.set(item.envelope.id, item);
  return [...firstById.values()];
}

interface WritePlan {
  readonly archive: ArchiveRow[];
  /** Items whose entity rows are written. */
  readonly apply: WriteItem[];
  /** Status rows to update (ids that had their row before this batch, or a replay's second copy). */
  readonly settle: StatusRow[];
  readonly outcomes: WriteOutcome[];
}

/** What a batch writes, given which ids got their status row in it (`isNew`) and the states of the others. */
function planWrite(items: readonly WriteItem[], isNewId: (id: string) => boolean, previous: ReadonlyMap<string, MessageState>): WritePlan {
  const plan: WritePlan = { archive: [], apply: [], settle: [], outcomes: [] };
  const handled = new Set<string>();
  for (const item of items) {
    const id = item.envelope.id;
    const isNew = isNewId(id);
    const before = previous.get(id);
    const archived = !isNew && (before === 'persisted' || before === 'failed');
    const first = !handled.has(id);
    handled.add(id);
    if (first && !archived) plan.archive.push(archiveRow(item));
    // A plain redelivery of a settled event changes nothing; a replay re-applies it.
    const duplicate = !item.replay && (archived || !first);
    plan.outcomes.push({ duplicate });
    if (duplicate) continue;
    if (item.failure === undefined && item.rows !== null) plan.apply.push(item);
    if (!isNew || !first) plan.settle.push(statusRow(item));
  }
  return plan;
}

/** PostgreSQL's answer to a row whose day has no partition (check_violation, "no partition of relation … found for row"). */
function isMissingPartition(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  return e?.code === '23514' && /no partition of relation/i.test(e.message ?? '');
}

/**
 * Runs a statement that the database may refuse for its content, inside a savepoint so the
 * refusal does not end the transaction; true when it went in. A lost connection still throws.
 */
async function inSavepoint(tx: SqlExecutor, statement: () => Promise<void>): Promise<boolean> {
  await tx.query('SAVEPOINT sluice_settle');
  try {
    await statement();
  } catch (error) {
    if (isConnectionError(error)) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT sluice_settle');
    return false;
  }
  await tx.query('RELEASE SAVEPOINT sluice_settle');
  return true;
}

function statusRow(item: WriteItem): StatusRow {
  return {
    id: item.envelope.id,
    status: item.failure === undefined ? 'persisted' : 'failed',
    type: item.envelope.type,
    entityType: item.entityType,
    receivedAt: item.envelope.receivedAt,
    streamSeq: item.seq,
    error: item.failure ?? null,
    rowsText: item.rows === null || item.failure !== undefined ? null : JSON.stringify(rowReferences(item.rows, item.envelope.id)),
  };
}

function archiveRow(item: WriteItem): ArchiveRow {
  const e: EventEnvelope = item.envelope;
  return {
    id: e.id,
    type: e.type,
    source: e.source,
    subject: e.subject ?? null,
    time: e.time,
    receivedAt: e.receivedAt,
    streamSeq: item.seq,
    dataBytes: e.data,
    // The queryable jsonb: JSON data (and form posts as objects); never data labelled JSON that is not (a plain NATS publish).
    dataJson: item.dataIsJson === false ? null : jsonbText(e.data, e.dataContentType),
    dataContentType: e.dataContentType,
    dataSchema: e.dataSchema ?? null,
    originId: e.originId ?? null,
    entityType: item.entityType ?? e.entity ?? null,
    entityHint: e.entity ?? null,
    traceparent: e.traceparent ?? null,
    extensionsText: e.extensions === undefined ? null : JSON.stringify(e.extensions),
  };
}

/** JSON text jsonb takes: PostgreSQL refuses bytes that are not UTF-8 (only a plain NATS publish can carry them). */
function jsonbText(bytes: Uint8Array, dataContentType: string): Uint8Array | null {
  const json = dataAsJson(bytes, dataContentType);
  return json === null || isUtf8(json) ? json : null;
}
