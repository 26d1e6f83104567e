import { v5 as uuidV5, v7 as uuidV7, validate as uuidValidate } from 'uuid';

/** Namespace for ids derived from idempotency keys (fixed: changing it would break dedupe across versions). */
const IDEMPOTENCY_NAMESPACE = '5b1c0e7a-52f3-4c1e-9a8e-2f0d3b6c9a41';

/** Random bytes for ids, drawn from the system 4 KiB at a time: one call per id was 7 % of a batch's CPU. */
const POOL_BYTES = 4096;
let pool = new Uint8Array(0);
let poolAt = 0;
/** The millisecond and counter of the last id, as uuid keeps them, so ids of one process sort in order. */
const last = { msecs: -Infinity, seq: 0 };

/** A new event id: UUID v7, so ids sort roughly by time and index well. */
export function newEventId(): string {
  if (poolAt + 16 > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    poolAt = 0;
  }
  const random = pool.subarray(poolAt, poolAt + 16);
  poolAt += 16;
  const now = Date.now();
  if (now > last.msecs) {
    last.msecs = now;
    last.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    last.seq = (last.seq + 1) | 0;
    if (last.seq === 0) last.msecs++;
  }
  return uuidV7({ random, msecs: last.msecs, seq: last.seq });
}

/**
 * The id of an event sent with an idempotency key. The same key on the same event type always
 * yields the same id, so a repeat is dropped by JetStream's duplicate window and, after it, by
 * the database. The type is part of the name: one key used for two types is two events (earlier
 * versions named the key alone, and the second type's event was dropped as a repeat). A type holds no
 * newline, so `type\nkey` names one pair only.
 */
export function idFromIdempotencyKey(type: string, key: string): string {
  return uuidV5(utf8(`key:${type}\n${key}`), IDEMPOTENCY_NAMESPACE);
}

/** The id of a CloudEvent identified by its producer's `source` + `id`. */
export function idFromCloudEvent(source: string, id: string): string {
  return uuidV5(utf8(`ce:${source}\n${id}`), IDEMPOTENCY_NAMESPACE);
}

const encoder = new TextEncoder();

/**
 * A name's UTF-8 bytes, as uuid encodes a string itself (the same ids), except that an
 * unpaired surrogate becomes U+FFFD instead of throwing URIError (a 500 for a key sent through
 * the bus library, or for a CloudEvent whose source held one).
 */
function utf8(name: string): Uint8Array {
  return encoder.encode(name);
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isEventId(value: string): boolean {
  return UUID_SHAPE.test(value) && uuidValidate(value);
}
