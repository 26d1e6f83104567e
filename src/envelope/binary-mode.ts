import { EnvelopeError } from './envelope-error.js';
import { isExtensionName } from './build-envelope.js';

/** Request headers as Node gives them: lower-case names. */
export type HeaderRecord = Readonly<Record<string, string | string[] | undefined>>;

/** CloudEvents attributes that have their own place; every other `ce-*` header is an extension. */
const CORE_CE_HEADERS = new Set(['ce-id', 'ce-source', 'ce-type', 'ce-specversion', 'ce-subject', 'ce-time', 'ce-datacontenttype', 'ce-dataschema', 'ce-originid']);
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/** What the CloudEvents HTTP binding's binary mode (and Sluice's own headers) carry. */
export interface BinaryAttributes {
  source?: string;
  subject?: string;
  time?: string;
  dataSchema?: string;
  cloudEventId?: string;
  idempotencyKey?: string;
  traceparent?: string;
  extensions?: Record<string, string>;
  specversion?: string;
  ceType?: string;
}

function first(headers: HeaderRecord, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A `ce-*` header's value, percent-decoded as the HTTP binding asks (§3.1.3.2: characters
 * outside printable ASCII, `"` and `%` arrive percent-encoded). A value that is not valid
 * percent-encoded UTF-8 is kept as sent.
 */
function ceValue(headers: HeaderRecord, name: string): string | undefined {
  const value = first(headers, name);
  if (value === undefined || !PERCENT_ESCAPE.test(value)) return value;
  try {
    return decodeURIComponent(value.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
  } catch {
    return value;
  }
}

/**
 * The CloudEvents binary-mode attributes and tracing carried in request headers. Empty
 * values are kept (the envelope builder refuses them); `Idempotency-Key` and `X-Source`
 * are Sluice's own.
 */
export function binaryAttributes(headers: HeaderRecord): BinaryAttributes {
  const attributes: BinaryAttributes = {};
  for (const name of Object.keys(headers)) {
    if (!name.startsWith('ce-') || CORE_CE_HEADERS.has(name)) continue;
    const ext = name.slice(3);
    if (!isExtensionName(ext)) {
      throw new EnvelopeError('invalid_cloudevent', `header ${name}: CloudEvents extension names are lower-case letters and digits`);
    }
    if (ext === 'traceparent') continue;
    (attributes.extensions ??= {})[ext] = ceValue(headers, name) ?? '';
  }
  const source = ceValue(headers, 'ce-source') ?? nonEmpty(first(headers, 'x-source'));
  const set = <K extends keyof BinaryAttributes>(key: K, value: BinaryAttributes[K] | undefined): void => {
    if (value !== undefined) attributes[key] = value;
  };
  set('source', source);
  set('subject', ceValue(headers, 'ce-subject'));
  set('time', ceValue(headers, 'ce-time'));
  set('dataSchema', ceValue(headers, 'ce-dataschema'));
  set('cloudEventId', ceValue(headers, 'ce-id'));
  set('idempotencyKey', nonEmpty(first(headers, 'idempotency-key')));
  set('traceparent', nonEmpty(first(headers, 'traceparent')) ?? nonEmpty(ceValue(headers, 'ce-traceparent')));
  set('specversion', ceValue(headers, 'ce-specversion'));
  set('ceType', ceValue(headers, 'ce-type'));
  return attributes;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
