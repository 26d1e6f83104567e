import type { SqlExecutor } from '../sql-client.js';
import type { StoredEvent } from '../port.js';
import { CopyTextWriter } from './copy-text.js';

const decoder = new TextDecoder();

/** One archive row, as the worker hands it over. */
export interface ArchiveRow {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string | null;
  readonly time: string;
  readonly receivedAt: string;
  readonly streamSeq: number;
  /** The data's exact bytes. */
  readonly dataBytes: Uint8Array;
  /** The data as JSON text (UTF-8) for the queryable `data` column; null when it is not JSON. */
  readonly dataJson: Uint8Array | null;
  readonly dataContentType: string;
  readonly dataSchema: string | null;
  readonly originId: string | null;
  readonly entityType: string | null;
  /** The producer's entity hint, if it gave one (a replay carries only this). */
  readonly entityHint: string | null;
  readonly traceparent: string | null;
  readonly extensionsText: string | null;
}

const ARCHIVE_COLUMNS =
  'id, type, source, subject, time, received_at, stream_seq, data, origin_id, entity_type, traceparent, extensions, entity_hint, datacontenttype, dataschema, data_bytes';

/** Inserts archive rows: COPY where the client has it (about half the database time), else one set-based INSERT. */
export async function insertArchiveRows(tx: SqlExecutor, rows: readonly ArchiveRow[]): Promise<void> {
  if (rows.length === 0) return;
  if (tx.copyFrom !== undefined) {
    const copy = archiveCopy(rows);
    await tx.copyFrom(copy.sql, copy.body);
    return;
  }
  const columns: unknown[][] = Array.from({ length: 16 }, () => []);
  for (const r of rows) {
    columns[0]!.push(r.id);
    columns[1]!.push(r.type);
    columns[2]!.push(r.source);
    columns[3]!.push(r.subject);
    columns[4]!.push(r.time);
    columns[5]!.push(r.receivedAt);
    columns[6]!.push(r.streamSeq);
    columns[7]!.push(r.dataJson === null ? null : decoder.decode(r.dataJson));
    columns[8]!.push(r.originId);
    columns[9]!.push(r.entityType);
    columns[10]!.push(r.traceparent);
    columns[11]!.push(r.extensionsText);
    columns[12]!.push(r.entityHint);
    columns[13]!.push(r.dataContentType);
    columns[14]!.push(r.dataSchema);
    columns[15]!.push(Buffer.from(r.dataBytes.buffer, r.dataBytes.byteOffset, r.dataBytes.byteLength).toString('hex'));
  }
  await tx.query(
    `INSERT INTO sluice.events (${ARCHIVE_COLUMNS})
     SELECT id, type, source, subject, time, received_at, stream_seq, data::jsonb, origin_id, entity_type, traceparent, extensions::jsonb, entity_hint,
       datacontenttype, dataschema, decode(data_hex, 'hex')
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
       $13::text[], $14::text[], $15::text[], $16::text[])
       AS t(id, type, source, subject, time, received_at, stream_seq, data, origin_id, entity_type, traceparent, extensions, entity_hint, datacontenttype, dataschema, data_hex)`,
    columns,
  );
}

/** The COPY statement and its body (text format) that archive `rows`. */
export function archiveCopy(rows: readonly ArchiveRow[]): { sql: string; body: Uint8Array } {
  // About 250 bytes of attributes a row, the data as JSON (escapes are rare) and as hex.
  let expected = 0;
  for (const r of rows) expected += 250 + r.dataBytes.length * 3;
  const body = new CopyTextWriter(expected);
  for (const r of rows) {
    body.value(r.id).next().value(r.type).next().value(r.source).next().value(r.subject).next().value(r.time).next().value(r.receivedAt).next();
    body.value(r.streamSeq).next();
    if (r.dataJson === null) body.value(null);
    else body.utf8(r.dataJson);
    body.next().value(r.originId).next().value(r.entityType).next().value(r.traceparent).next();
    body.value(r.extensionsText).next().value(r.entityHint).next().value(r.dataContentType).next().value(r.dataSchema).next().bytea(r.dataBytes).next(true);
  }
  return { sql: `COPY sluice.events (${ARCHIVE_COLUMNS}) FROM STDIN`, body: body.bytes() };
}

/** An archived event's columns; rows archived before bytes were kept read their data from the jsonb. */
export const EVENT_COLUMNS =
  "id, type, source, subject, time, received_at, stream_seq, coalesce(data_bytes, convert_to(data::text, 'UTF8')) AS data_bytes, datacontenttype, dataschema, origin_id, entity_type, traceparent, extensions, entity_hint";

export interface EventRow {
  id: string;
  type: string;
  source: string;
  subject: string | null;
  time: Date | string;
  received_at: Date | string;
  stream_seq: number | string;
  data_bytes: Uint8Array | null;
  datacontenttype: string;
  dataschema: string | null;
  origin_id: string | null;
  entity_type: string | null;
  traceparent: string | null;
  extensions: Record<string, string> | null;
  entity_hint: string | null;
}

export function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    subject: row.subject,
    time: isoTime(row.time),
    receivedAt: isoTime(row.received_at),
    streamSeq: Number(row.stream_seq),
    data: row.data_bytes ?? new Uint8Array(0),
    dataContentType: row.datacontenttype,
    dataSchema: row.dataschema,
    originId: row.origin_id,
    entity: row.entity_type,
    entityHint: row.entity_hint,
    traceparent: row.traceparent,
    extensions: row.extensions,
  };
}

export function isoTime(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
