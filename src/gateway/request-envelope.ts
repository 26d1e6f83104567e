import type { IncomingHttpHeaders } from 'node:http';
import {
  DEFAULT_SOURCE,
  envelopeAttributesProblem,
  eventTimeProblem,
  eventTimeUtc,
  eventTypeProblem,
  idFromCloudEvent,
  idFromIdempotencyKey,
  newEventId,
  type EventEnvelope,
} from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';

/** CloudEvents attributes the gateway sets itself; other `ce-*` headers become extensions. */
const CORE_CE_HEADERS = new Set(['ce-id', 'ce-source', 'ce-type', 'ce-specversion', 'ce-subject', 'ce-time', 'ce-datacontenttype', 'ce-dataschema', 'ce-originid']);
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const MAX_KEY_LENGTH = 512;
const encoder = new TextEncoder();

export interface EnvelopeInput {
  readonly type: string;
  readonly dataText: string;
  /** The UTF-8 bytes of `dataText` when the caller holds them already (saves encoding a copy). */
  readonly data?: Uint8Array;
  readonly receivedAt: string;
  readonly source?: string;
  readonly subject?: string;
  readonly time?: string;
  /** The producer's CloudEvents id: with the source it identifies a repeat. */
  readonly cloudEventId?: string;
  /** An explicit idempotency key (wins over the CloudEvents id). */
  readonly idempotencyKey?: string;
  readonly entity?: string;
  readonly traceparent?: string;
  readonly extensions?: Record<string, string>;
}

/** Builds the envelope of an accepted event; throws SluiceError 400 on a bad attribute. */
export function buildEnvelope(input: EnvelopeInput): EventEnvelope {
  const typeProblem = eventTypeProblem(input.type);
  if (typeProblem !== null) throw new SluiceError('invalid_event_type', typeProblem);
  const source = input.source ?? DEFAULT_SOURCE;
  const timeProblem = input.time === undefined ? null : eventTimeProblem(input.time);
  if (timeProblem !== null) throw new SluiceError('invalid_cloudevent', timeProblem);
  if (input.idempotencyKey !== undefined && input.idempotencyKey.length > MAX_KEY_LENGTH) {
    throw new SluiceError('invalid_body', `the idempotency key is longer than ${MAX_KEY_LENGTH} characters`);
  }
  const id =
    input.idempotencyKey !== undefined
      ? idFromIdempotencyKey(input.type, input.idempotencyKey)
      : input.cloudEventId !== undefined
        ? idFromCloudEvent(source, input.cloudEventId)
        : newEventId();
  const envelope: EventEnvelope = {
    id,
    type: input.type,
    source,
    // Normalised to UTC so the event reads the same from the bus and from the archive.
    time: input.time === undefined ? input.receivedAt : eventTimeUtc(input.time),
    receivedAt: input.receivedAt,
    data: input.data ?? encoder.encode(input.dataText),
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    ...(input.cloudEventId !== undefined ? { originId: input.cloudEventId } : {}),
    ...(input.entity !== undefined ? { entity: input.entity } : {}),
    ...(input.traceparent !== undefined ? { traceparent: input.traceparent } : {}),
    ...(input.extensions !== undefined ? { extensions: input.extensions } : {}),
  };
  const problem = envelopeAttributesProblem(envelope);
  if (problem !== null) throw new SluiceError('invalid_cloudevent', problem);
  return envelope;
}

/** An RFC 3339 time PostgreSQL can compare with (query parameters as well as event times). */
export function isRfc3339(text: string): boolean {
  return eventTimeProblem(text) === null;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** The CloudEvents binary-mode and tracing attributes carried in request headers. */
export function headerAttributes(headers: IncomingHttpHeaders): {
  source?: string;
  subject?: string;
  time?: string;
  cloudEventId?: string;
  idempotencyKey?: string;
  traceparent?: string;
  extensions?: Record<string, string>;
  specversion?: string;
  ceType?: string;
} {
  let extensions: Record<string, string> | undefined;
  for (const name of Object.keys(headers)) {
    if (!name.startsWith('ce-') || CORE_CE_HEADERS.has(name)) continue;
    const ext = name.slice(3);
    if (!EXTENSION_NAME.test(ext)) {
      throw new SluiceError('invalid_cloudevent', `header ${name}: CloudEvents extension names are 1-20 lower-case letters or digits`);
    }
    if (ext === 'traceparent') continue;
    (extensions ??= {})[ext] = header(headers, name) ?? '';
  }
  const source = header(headers, 'ce-source') ?? header(headers, 'x-source');
  const subject = header(headers, 'ce-subject');
  const time = header(headers, 'ce-time');
  const cloudEventId = header(headers, 'ce-id');
  const idempotencyKey = header(headers, 'idempotency-key');
  const traceparent = header(headers, 'traceparent') ?? header(headers, 'ce-traceparent');
  const specversion = header(headers, 'ce-specversion');
  const ceType = header(headers, 'ce-type');
  return {
    ...(source !== undefined ? { source } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(time !== undefined ? { time } : {}),
    ...(cloudEventId !== undefined ? { cloudEventId } : {}),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    ...(traceparent !== undefined ? { traceparent } : {}),
    ...(extensions !== undefined ? { extensions } : {}),
    ...(specversion !== undefined ? { specversion } : {}),
    ...(ceType !== undefined ? { ceType } : {}),
  };
}
