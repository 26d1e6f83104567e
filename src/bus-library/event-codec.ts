import {
  DATA_CONTENT_TYPE,
  EnvelopeError,
  buildEnvelope as buildCheckedEnvelope,
  dataView,
  idFromIdempotencyKey,
  isEventId,
  isJsonContentType,
  newEventId,
  type EventEnvelope,
} from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';
import type { BusEvent, PublishOptions } from './types.js';

const encoder = new TextEncoder();

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

/** The bytes of an application's data: JSON written out for a JSON content type, else a string's UTF-8 or the bytes themselves. */
function dataBytes(type: string, data: unknown, dataContentType: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === 'string' && !isJsonContentType(dataContentType)) return encoder.encode(data);
  if (!isJsonContentType(dataContentType)) {
    throw new SluiceError('invalid_body', `the data of a ${type} event with datacontenttype ${dataContentType} must be a string or a Uint8Array`);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new SluiceError('invalid_json', `the data of a ${type} event cannot be written as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new SluiceError('invalid_json', `the data of a ${type} event is not a JSON value (undefined, a function or a symbol)`);
  return encoder.encode(text);
}

/**
 * The envelope of a published event, built by the same builder as the gateway's: `time` and
 * `receivedAt` the moment of publishing, source `/sluice` by default, data the database could
 * not store refused here as the gateway refuses it.
 */
export function buildEnvelope(type: string, data: unknown, options: PublishOptions | undefined, id: string): EventEnvelope {
  const dataContentType = options?.datacontenttype ?? DATA_CONTENT_TYPE;
  const now = new Date().toISOString();
  try {
    return buildCheckedEnvelope({
      type,
      id,
      data: dataBytes(type, data, dataContentType),
      dataContentType,
      receivedAt: now,
      dataLabel: `the data of a ${type} event`,
      ...(options?.source !== undefined ? { source: options.source } : {}),
    });
  } catch (error) {
    throw error instanceof EnvelopeError ? new SluiceError(error.code, error.message, { cause: error }) : error;
  }
}

/** What a subscriber sees of a stored envelope: the data as its content type reads, and its exact bytes. */
export function toBusEvent(envelope: EventEnvelope, seq: number, attempt: number): BusEvent {
  const view = dataView(envelope.data, envelope.dataContentType);
  const data = view.kind === 'json' ? (JSON.parse(view.text) as unknown) : view.kind === 'text' ? view.text : view.kind === 'none' ? null : envelope.data;
  return {
    id: envelope.id,
    type: envelope.type,
    source: envelope.source,
    time: envelope.time,
    data,
    datacontenttype: envelope.dataContentType,
    bytes: envelope.data,
    seq,
    attempt,
  };
}
