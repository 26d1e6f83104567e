import type { EventEnvelope } from '../envelope/index.js';

/** PostgreSQL's timestamptz reaches further, but day partitions are named and bounded by ISO dates of four-digit years. */
const FIRST_YEAR = 1;
const LAST_YEAR = 9999;

/** Text PostgreSQL takes in a text column: without NUL characters, which it refuses in any text. */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

/** An RFC 3339 time PostgreSQL and the archive's day partitions take, normalised; null when there is none. */
export function storableTime(text: string): string | null {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  const year = new Date(ms).getUTCFullYear();
  return year >= FIRST_YEAR && year <= LAST_YEAR ? new Date(ms).toISOString() : null;
}

/**
 * A copy of an event that PostgreSQL cannot refuse, for the write that settles an event the
 * database refused as it came (a number `jsonb` cannot hold, a time out of range, a NUL in a
 * header published straight to NATS): text without NUL characters, times it takes (the time of
 * receipt, else now), and the data's bytes as they came (`bytea` takes any; the writer leaves
 * the queryable `jsonb` empty for such an event). The dead letter keeps the event exactly as it came.
 */
export function storableEnvelope(envelope: EventEnvelope, now: Date = new Date()): EventEnvelope {
  const receivedAt = storableTime(envelope.receivedAt) ?? now.toISOString();
  const copy: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
    id: envelope.id,
    type: storableText(envelope.type),
    source: storableText(envelope.source),
    time: storableTime(envelope.time) ?? receivedAt,
    receivedAt,
    data: envelope.data,
    dataContentType: storableText(envelope.dataContentType),
  };
  if (envelope.dataSchema !== undefined) copy.dataSchema = storableText(envelope.dataSchema);
  if (envelope.subject !== undefined) copy.subject = storableText(envelope.subject);
  if (envelope.originId !== undefined) copy.originId = storableText(envelope.originId);
  if (envelope.entity !== undefined) copy.entity = storableText(envelope.entity);
  if (envelope.traceparent !== undefined) copy.traceparent = storableText(envelope.traceparent);
  if (envelope.extensions !== undefined) {
    copy.extensions = Object.fromEntries(Object.entries(envelope.extensions).map(([k, v]) => [storableText(k), storableText(v)]));
  }
  return copy;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Can this id key a row of `sluice.message_status` (a uuid column)? */
export function isStorableId(id: string): boolean {
  return UUID.test(id);
}
