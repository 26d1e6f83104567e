import type { SqlExecutor } from '../sql-client.js';
import type { RowReference } from '../../entities/index.js';
import type { MessageState, MessageStatusRecord } from '../port.js';
import { isoTime } from './archive.js';
import { CopyTextWriter } from './copy-text.js';

export interface StatusRow {
  readonly id: string;
  readonly status: MessageState;
  readonly type: string;
  readonly entityType: string | null;
  readonly receivedAt: string;
  readonly streamSeq: number;
  readonly error: string | null;
  /** JSON text of the entity rows the event wrote (`RowReference[]`), or null. */
  readonly rowsText: string | null;
}

function columns(rows: readonly StatusRow[]): unknown[][] {
  const c: unknown[][] = [[], [], [], [], [], [], [], []];
  for (const r of rows) {
    c[0]!.push(r.id);
    c[1]!.push(r.status);
    c[2]!.push(r.type);
    c[3]!.push(r.entityType);
    c[4]!.push(r.receivedAt);
    c[5]!.push(r.streamSeq);
    c[6]!.push(r.error);
    c[7]!.push(r.rowsText);
  }
  return c;
}

const UNNEST = `unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::text[], $8::jsonb[])
  AS v(id, status, type, entity_type, received_at, stream_seq, error, rows)`;

/** Inserts final statuses for events seen for the first time; returns the ids that were new. */
export async function insertNewStatuses(tx: SqlExecutor, rows: readonly StatusRow[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: inserted } = await tx.query<{ message_id: string }>(
    `INSERT INTO sluice.message_status (message_id, status, type, entity_type, received_at, stream_seq, error, rows, attempts, processed_at)
     SELECT id, status, type, entity_type, received_at, stream_seq, error, rows, 1, now() FROM ${UNNEST}
     ON CONFLICT (message_id) DO NOTHING
     RETURNING message_id`,
    columns(rows),
  );
  return new Set(inserted.map((r) => r.message_id));
}

/**
 * The common case, every id new, as one COPY (no conflict handling, no RETURNING): about half
 * the database time of the INSERT. An id seen before fails it with a unique violation
 * (`isStatusKeyViolation`), and the caller writes the batch again with `insertNewStatuses`.
 * `'now'` is PostgreSQL's input for the transaction's start time, as `now()` is.
 */
export function newStatusesCopy(rows: readonly StatusRow[]): { sql: string; body: Uint8Array } {
  const body = new CopyTextWriter();
  for (const r of rows) {
    body.value(r.id).next().value(r.status).next().value(r.type).next().value(r.entityType).next().value(r.receivedAt).next().value(r.streamSeq).next();
    body.value(r.error).next().value(r.rowsText).next().value(1).next().value('now').next(true);
  }
  return { sql: 'COPY sluice.message_status (message_id, status, type, entity_type, received_at, stream_seq, error, rows, attempts, processed_at) FROM STDIN', body: body.bytes() };
}

/**
 * The status COPY met an id that has its row already (`message_status`'s primary key): the
 * batch is written again deciding id by id. Any other unique violation (an index of a user's
 * on an entity table) would fail that way too, so it is not retried.
 */
export function isStatusKeyViolation(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'message_status_pkey';
}

/** Locks the status rows of `ids` and returns their current state. */
export async function lockStatuses(tx: SqlExecutor, ids: readonly string[]): Promise<Map<string, MessageState>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<{ message_id: string; status: MessageState }>(
    'SELECT message_id, status FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) ORDER BY message_id FOR UPDATE',
    [ids],
  );
  return new Map(rows.map((r) => [r.message_id, r.status]));
}

/** Sets the final status of events that already had a row (a retry that succeeded, a replay). */
export async function updateStatuses(tx: SqlExecutor, rows: readonly StatusRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `UPDATE sluice.message_status s
       SET status = v.status, entity_type = v.entity_type, error = v.error, rows = v.rows, attempts = s.attempts + 1, processed_at = now()
     FROM ${UNNEST}
     WHERE s.message_id = v.id`,
    columns(rows),
  );
}

/** A failed delivery: the status row it leaves, and the stream sequence of the message that failed. */
export interface AttemptRow extends StatusRow {
  /** The failing message's own stream sequence: a replay is another message and starts a fresh count. */
  readonly failingSeq: number;
}

/**
 * Records failed attempts: `processing` with the error (a settled status stays). `attempts`
 * counts every delivery; `failed_attempts` counts the failures of one message (`failing_seq`),
 * so a replay starts from 1. Returns the failed attempts per id.
 */
export async function recordAttempts(tx: SqlExecutor, rows: readonly AttemptRow[]): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  // The first seven columns (an attempt writes no entity rows), then the failing sequence.
  const params = columns(rows).slice(0, 7);
  params.push(rows.map((r) => r.failingSeq));
  const { rows: result } = await tx.query<{ message_id: string; failed_attempts: number }>(
    `INSERT INTO sluice.message_status AS s (message_id, status, type, entity_type, received_at, stream_seq, error, attempts, failed_attempts, failing_seq)
     SELECT id, status, type, entity_type, received_at, stream_seq, error, 1, 1, failing_seq
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[], $7::text[], $8::bigint[])
       AS v(id, status, type, entity_type, received_at, stream_seq, error, failing_seq)
     ON CONFLICT (message_id) DO UPDATE
       SET attempts = s.attempts + 1,
           failed_attempts = CASE WHEN s.failing_seq = EXCLUDED.failing_seq THEN s.failed_attempts + 1 ELSE 1 END,
           failing_seq = EXCLUDED.failing_seq,
           error = EXCLUDED.error,
           status = CASE WHEN s.status IN ('persisted', 'failed') THEN s.status ELSE 'processing' END
     RETURNING message_id, failed_attempts`,
    params,
  );
  return new Map(result.map((r) => [r.message_id, Number(r.failed_attempts)]));
}

/**
 * Marks events `failed` with their reason, whatever their status was. The attempt that gave up
 * was counted when it was recorded (`recordAttempts`), so `attempts` is left as it is.
 */
export async function settleFailedStatuses(tx: SqlExecutor, rows: readonly StatusRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO sluice.message_status AS s (message_id, status, type, entity_type, received_at, stream_seq, error, attempts, processed_at)
     SELECT id, 'failed', type, entity_type, received_at, stream_seq, error, 1, now() FROM ${UNNEST}
     ON CONFLICT (message_id) DO UPDATE
       SET status = 'failed', entity_type = EXCLUDED.entity_type, error = EXCLUDED.error, processed_at = now()`,
    columns(rows),
  );
}

interface StatusRecordRow {
  message_id: string;
  status: MessageState;
  type: string;
  entity_type: string | null;
  received_at: Date | string;
  processed_at: Date | string | null;
  attempts: number;
  error: string | null;
  rows: RowReference[] | null;
}

export async function selectStatus(tx: SqlExecutor, id: string): Promise<MessageStatusRecord | null> {
  const { rows } = await tx.query<StatusRecordRow>(
    'SELECT message_id, status, type, entity_type, received_at, processed_at, attempts, error, rows FROM sluice.message_status WHERE message_id = $1',
    [id],
  );
  const row = rows[0];
  if (row === undefined) return null;
  return {
    messageId: row.message_id,
    status: row.status,
    type: row.type,
    entityType: row.entity_type,
    receivedAt: isoTime(row.received_at),
    processedAt: row.processed_at === null ? null : isoTime(row.processed_at),
    attempts: Number(row.attempts),
    error: row.error,
    rows: row.rows ?? [],
  };
}
