import { v5 as uuidV5, v7 as uuidV7, validate as uuidValidate } from 'uuid';

/** Namespace for ids derived from idempotency keys (fixed: changing it would break dedupe across versions). */
const IDEMPOTENCY_NAMESPACE = '5b1c0e7a-52f3-4c1e-9a8e-2f0d3b6c9a41';

/** A new event id: UUID v7, so ids sort roughly by time and index well. */
export function newEventId(): string {
  return uuidV7();
}

/**
 * The id of an event sent with an idempotency key. The same key always yields the same id,
 * so a repeat is dropped by JetStream's duplicate window and, after it, by the database.
 */
export function idFromIdempotencyKey(key: string): string {
  return uuidV5(`key:${key}`, IDEMPOTENCY_NAMESPACE);
}

/** The id of a CloudEvent identified by its producer's `source` + `id`. */
export function idFromCloudEvent(source: string, id: string): string {
  return uuidV5(`ce:${source}\n${id}`, IDEMPOTENCY_NAMESPACE);
}

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isEventId(value: string): boolean {
  return UUID_SHAPE.test(value) && uuidValidate(value);
}
