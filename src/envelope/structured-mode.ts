import { isUtf8 } from 'node:buffer';
import { EnvelopeError } from './envelope-error.js';
import { isExtensionName, type EnvelopeInput } from './build-envelope.js';
import { DATA_CONTENT_TYPE } from './envelope.js';
import { documentRange, elementRanges, memberRanges, type ValueRange } from './json-members.js';
import { isJsonContentType } from './media-type.js';

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;
const OPTIONAL_STRINGS = ['subject', 'time', 'datacontenttype', 'dataschema'] as const;
const CORE = new Set<string>([...REQUIRED, ...OPTIONAL_STRINGS, 'data', 'data_base64']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const encoder = new TextEncoder();

/** What a structured request adds to its events: the request's idempotency key and trace context. */
export interface StructuredContext {
  readonly receivedAt: string;
  readonly idempotencyKey?: string;
  readonly traceparent?: string;
}

/** One event of `application/cloudevents+json`, read as the CloudEvents JSON event format states. Throws EnvelopeError 400. */
export function readStructuredEvent(body: Uint8Array, context: StructuredContext): EnvelopeInput {
  const text = bodyText(body);
  return structuredInput(parse(text), text, documentRange(text), context, 'the event');
}

/** The events of `application/cloudevents-batch+json`: one input, or the error that refused it, per element. */
export function readStructuredBatch(body: Uint8Array, context: StructuredContext): Array<EnvelopeInput | EnvelopeError> {
  const text = bodyText(body);
  const events = parse(text);
  if (!Array.isArray(events)) throw new EnvelopeError('invalid_cloudevent', 'a CloudEvents batch is a JSON array of events');
  const ranges = elementRanges(text, documentRange(text));
  return events.map((event, i) => {
    try {
      return structuredInput(event, text, ranges[i]!, { receivedAt: context.receivedAt }, `event ${i}`);
    } catch (error) {
      return error instanceof EnvelopeError ? error : new EnvelopeError('invalid_cloudevent', String(error));
    }
  });
}

function bodyText(body: Uint8Array): string {
  if (body.length === 0) throw new EnvelopeError('invalid_json', 'the body is empty; send a CloudEvent as JSON');
  if (!isUtf8(body)) throw new EnvelopeError('invalid_json', 'the body is not valid UTF-8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EnvelopeError('invalid_json', `the body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
}

function invalid(label: string, message: string): EnvelopeError {
  return new EnvelopeError('invalid_cloudevent', `${label}: ${message}`);
}

function structuredInput(event: unknown, text: string, range: ValueRange, context: StructuredContext, label: string): EnvelopeInput {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) throw invalid(label, 'is not a JSON object');
  // An attribute given as null is absent (JSON event format §2.4).
  const e = Object.fromEntries(Object.entries(event as Record<string, unknown>).filter(([, v]) => v !== null));
  for (const name of REQUIRED) {
    if (e[name] === undefined) throw invalid(label, `lacks the required attribute "${name}"`);
    if (typeof e[name] !== 'string') throw invalid(label, `"${name}" must be a string`);
    if (e[name] === '') throw invalid(label, `"${name}" is empty`);
  }
  if (e.specversion !== '1.0') throw invalid(label, `specversion "${String(e.specversion).slice(0, 20)}" is not supported; send "1.0"`);
  for (const name of OPTIONAL_STRINGS) {
    if (e[name] !== undefined && typeof e[name] !== 'string') throw invalid(label, `"${name}" must be a string`);
  }
  if (e.data !== undefined && e.data_base64 !== undefined) throw invalid(label, 'has both "data" and "data_base64"; send one');
  let extensions: Record<string, string> | undefined;
  let traceparent = context.traceparent;
  for (const [name, value] of Object.entries(e)) {
    if (CORE.has(name)) continue;
    if (!isExtensionName(name)) throw invalid(label, `attribute "${name.slice(0, 40)}" is not a CloudEvents name (lower-case letters and digits)`);
    const shown = extensionValue(value);
    if (shown === null) throw invalid(label, `extension "${name}" must be a string, a boolean or an integer`);
    if (name === 'traceparent') traceparent = shown;
    else (extensions ??= {})[name] = shown;
  }
  const given = e.datacontenttype as string | undefined;
  const dataContentType = given ?? (e.data_base64 !== undefined ? 'application/octet-stream' : DATA_CONTENT_TYPE);
  return {
    type: e.type as string,
    source: e.source as string,
    cloudEventId: e.id as string,
    data: dataBytes(e, text, range, dataContentType, label),
    dataContentType,
    receivedAt: context.receivedAt,
    ...(e.data === undefined && e.data_base64 === undefined ? { noData: true } : {}),
    ...(typeof e.subject === 'string' ? { subject: e.subject } : {}),
    ...(typeof e.time === 'string' ? { time: e.time } : {}),
    ...(typeof e.dataschema === 'string' ? { dataSchema: e.dataschema } : {}),
    ...(context.idempotencyKey !== undefined ? { idempotencyKey: context.idempotencyKey } : {}),
    ...(traceparent !== undefined ? { traceparent } : {}),
    ...(extensions !== undefined ? { extensions } : {}),
    label,
  };
}

/** CloudEvents extension types in JSON: String, Boolean, Integer (32-bit signed). Carried as their canonical string. */
function extensionValue(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) return String(value);
  return null;
}

/**
 * The data's bytes: `data_base64` decoded; JSON data exactly as written in the body (spliced,
 * never re-serialised: key order, spacing and the digits of big numbers kept); a string
 * under any other content type as its UTF-8 text.
 */
function dataBytes(e: Record<string, unknown>, text: string, range: ValueRange, dataContentType: string, label: string): Uint8Array {
  if (e.data_base64 !== undefined) {
    if (typeof e.data_base64 !== 'string' || !BASE64.test(e.data_base64)) throw invalid(label, '"data_base64" must be a base64 string');
    return Buffer.from(e.data_base64, 'base64');
  }
  if (e.data === undefined) return new Uint8Array(0);
  if (typeof e.data === 'string' && !isJsonContentType(dataContentType)) return encoder.encode(e.data);
  const member = memberRanges(text, range).get('data')!;
  return encoder.encode(text.slice(member.start, member.end));
}
