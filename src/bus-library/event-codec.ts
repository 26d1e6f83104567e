import {
  DEFAULT_SOURCE,
  envelopeAttributesProblem,
  eventTypeProblem,
  idFromIdempotencyKey,
  isEventId,
  jsonTextProblem,
  newEventId,
  type EventEnvelope,
} from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';
import type { BusEvent, PublishOptions } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The id an event will be published under. */
export function eventIdFor(type: string, options: PublishOptions | undefined): string {
  if (options?.idempotencyKey !== undefined) {
    if (options.id !== undefined) throw new SluiceError('invalid_id', 'give either id or idempotencyKey, not both: the id is derived from the key');
    if (options.idempotencyKey.length === 0) throw new SluiceError('invalid_id', 'idempotencyKey is empty');
    return idFromIdempotencyKey(type, options.idempotencyKey);
  }
  if (options?.id !== undefined) {
    if (!isEventId(options.id)) throw new SluiceError('invalid_id', `"${String(options.id).slice(0, 60)}" is not a UUID; event ids are UUIDs`);
    return options.id.toLowerCase();
  }
  return newEventId();
}

/**
 * Builds the envelope exactly as the gateway does for `POST /events/{type}`: data as JSON
 * bytes, `time` and `receivedAt` the moment of publishing, source `/sluice` by default.
 * Data the database could not store is refused here, as the gateway refuses it.
 */
export function buildEnvelope(type: string, data: unknown, options: PublishOptions | undefined, id: string): EventEnvelope {
  const typeProblem = eventTypeProblem(type);
  if (typeProblem !== null) throw new SluiceError('invalid_event_type', typeProblem);
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new SluiceError('invalid_json', `the data of a ${type} event cannot be written as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new SluiceError('invalid_json', `the data of a ${type} event is not a JSON value (undefined, a function or a symbol)`);
  const problem = jsonTextProblem(text);
  if (problem !== null) throw new SluiceError('unsupported_json', problem);
  const source = options?.source ?? DEFAULT_SOURCE;
  if (source.length === 0) throw new SluiceError('invalid_cloudevent', 'source must not be empty');
  const now = new Date().toISOString();
  const envelope: EventEnvelope = { id, type, source, time: now, receivedAt: now, data: encoder.encode(text) };
  const attributeProblem = envelopeAttributesProblem(envelope);
  if (attributeProblem !== null) throw new SluiceError('invalid_cloudevent', attributeProblem);
  return envelope;
}

/** What a subscriber sees of a stored envelope. Data that is not JSON (a raw NATS publisher) arrives as a string. */
export function toBusEvent(envelope: EventEnvelope, seq: number, attempt: number): BusEvent {
  const text = decoder.decode(envelope.data);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = text;
  }
  return { id: envelope.id, type: envelope.type, source: envelope.source, time: envelope.time, data, seq, attempt };
}
