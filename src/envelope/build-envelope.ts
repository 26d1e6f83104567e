import { EnvelopeError } from './envelope-error.js';
import { DEFAULT_SOURCE, type EventEnvelope } from './envelope.js';
import { producerAttributesProblem } from './attribute-text.js';
import { eventTimeProblem, eventTimeUtc } from './event-time.js';
import { eventTypeProblem } from './event-type.js';
import { idFromCloudEvent, idFromIdempotencyKey, newEventId } from './ids.js';
import { checkJsonBytes } from './json-data.js';
import { isJsonEssence, mediaTypeEssence } from './media-type.js';

/** CloudEvents 1.0: extension names are lower-case letters and digits (20 characters is a SHOULD; 200 keeps headers bounded). The one rule for every mode. */
const EXTENSION_NAME = /^[a-z0-9]{1,200}$/;
/** An absolute URI, as `dataschema` must be: a scheme, then anything. */
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\S*$/;
const MAX_KEY_LENGTH = 512;

/** Everything an event is built from, whichever way it came in (HTTP binary, structured, batch; the bus library). */
export interface EnvelopeInput {
  readonly type: string;
  /** The data's exact bytes; empty for an event without data. */
  readonly data: Uint8Array;
  /** The data's media type, as the producer gave it. */
  readonly dataContentType: string;
  readonly receivedAt: string;
  readonly source?: string;
  readonly subject?: string;
  readonly time?: string;
  readonly dataSchema?: string;
  /** The producer's CloudEvents id: with the source it identifies a repeat. */
  readonly cloudEventId?: string;
  /** An explicit idempotency key (wins over the CloudEvents id). */
  readonly idempotencyKey?: string;
  /** An id chosen by the publisher (the bus library's `id` option), already checked. */
  readonly id?: string;
  readonly entity?: string;
  readonly traceparent?: string;
  readonly extensions?: Readonly<Record<string, string>>;
  /** The event carries no data at all (a structured event without `data`): nothing to check. */
  readonly noData?: boolean;
  /** How the event is named in error messages (`event 3` in a batch). */
  readonly label?: string;
  /** How its data is named in error messages (`the body`, `line 3`). */
  readonly dataLabel?: string;
}

/**
 * The one way an envelope is built. Checks every attribute as CloudEvents 1.0 states it,
 * and JSON data (content type JSON) for what PostgreSQL can store; data of any other type
 * is kept as it came. Throws EnvelopeError 400 naming what is wrong.
 */
export function buildEnvelope(input: EnvelopeInput): EventEnvelope {
  const label = input.label ?? 'the event';
  const typeProblem = eventTypeProblem(input.type);
  if (typeProblem !== null) throw new EnvelopeError('invalid_event_type', input.label === undefined ? typeProblem : `${label}: ${typeProblem}`);
  const empty = input.source === '' ? 'source' : input.subject === '' ? 'subject' : input.cloudEventId === '' ? 'id' : input.dataSchema === '' ? 'dataschema' : null;
  if (empty !== null) throw new EnvelopeError('invalid_cloudevent', `${label}: "${empty}" is empty; CloudEvents attributes are non-empty when given`);
  if (input.dataSchema !== undefined && !ABSOLUTE_URI.test(input.dataSchema)) {
    throw new EnvelopeError('invalid_cloudevent', `${label}: dataschema "${input.dataSchema.slice(0, 60)}" is not an absolute URI`);
  }
  const timeProblem = input.time === undefined ? null : eventTimeProblem(input.time);
  if (timeProblem !== null) throw new EnvelopeError('invalid_cloudevent', input.label === undefined ? timeProblem : `${label}: ${timeProblem}`);
  const essence = mediaTypeEssence(input.dataContentType);
  if (essence === null) {
    throw new EnvelopeError('invalid_content_type', `${label}: datacontenttype (Content-Type) "${input.dataContentType.slice(0, 80)}" is not a media type (like application/json or text/plain; charset=utf-8)`);
  }
  // JSON data must be JSON the archive can store; any other type is kept as it came.
  if (input.noData !== true && isJsonEssence(essence)) checkJsonBytes(input.data, input.dataLabel ?? `${label}'s data`);
  if (input.idempotencyKey !== undefined && input.idempotencyKey.length > MAX_KEY_LENGTH) {
    throw new EnvelopeError('invalid_body', `the idempotency key is longer than ${MAX_KEY_LENGTH} characters`);
  }
  if (input.extensions !== undefined) {
    for (const name of Object.keys(input.extensions)) {
      if (!EXTENSION_NAME.test(name)) throw new EnvelopeError('invalid_cloudevent', `${label}: "${name.slice(0, 40)}" is not a CloudEvents extension name (lower-case letters and digits)`);
      // Sluice keeps the producer's own id there: a producer's originid would take its place.
      if (name === 'originid') throw new EnvelopeError('invalid_cloudevent', `${label}: the extension "originid" is where Sluice keeps the producer's own id; send your id as the event's "id"`);
    }
  }
  const source = input.source ?? DEFAULT_SOURCE;
  const id =
    input.idempotencyKey !== undefined
      ? idFromIdempotencyKey(input.type, input.idempotencyKey)
      : input.id !== undefined
        ? input.id
        : input.cloudEventId !== undefined
          ? idFromCloudEvent(source, input.cloudEventId)
          : newEventId();
  // Optional attributes are set one by one, not spread: six spreads were a third of the builder's 2.5 µs.
  const envelope: { -readonly [K in keyof EventEnvelope]: EventEnvelope[K] } = {
    id,
    type: input.type,
    source,
    // Normalised to UTC so the event reads the same from the bus and from the archive.
    time: input.time === undefined ? input.receivedAt : eventTimeUtc(input.time),
    receivedAt: input.receivedAt,
    data: input.data,
    dataContentType: input.dataContentType,
  };
  if (input.dataSchema !== undefined) envelope.dataSchema = input.dataSchema;
  if (input.subject !== undefined) envelope.subject = input.subject;
  if (input.cloudEventId !== undefined) envelope.originId = input.cloudEventId;
  if (input.entity !== undefined) envelope.entity = input.entity;
  if (input.traceparent !== undefined) envelope.traceparent = input.traceparent;
  if (input.extensions !== undefined) envelope.extensions = input.extensions;
  // Attribute values travel as NATS header values and are stored in text columns: both must keep them unchanged.
  const problem = producerAttributesProblem(envelope);
  if (problem !== null) throw new EnvelopeError('invalid_cloudevent', input.label === undefined ? problem : `${label}: ${problem}`);
  return envelope;
}

/** An RFC 3339 time PostgreSQL can compare with (query parameters as well as event times). */
export function isRfc3339(text: string): boolean {
  return eventTimeProblem(text) === null;
}

export function isExtensionName(name: string): boolean {
  return EXTENSION_NAME.test(name);
}
