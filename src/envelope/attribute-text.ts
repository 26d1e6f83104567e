/**
 * Attribute values travel as NATS header values and are stored in text columns. A header
 * value ends at CR or LF and loses whitespace at either end (nats.js trims it); PostgreSQL
 * text refuses NUL; an unpaired surrogate is written as U+FFFD. Any of these would be
 * accepted and then stored differently, or not at all (a CR in `source` made the publish
 * throw: 500, or 503 `bus_unavailable` inside a batch).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * `source` is indexed (sluice.events (source, stream_seq)); a btree index row holds at most
 * 2 704 bytes, and a longer source that does not compress fails the insert. 2 048 leaves room.
 */
export const MAX_SOURCE_BYTES = 2048;

/** Why a value cannot be carried and stored unchanged, or null. `name` says which attribute. */
export function attributeTextProblem(name: string, value: string): string | null {
  const control = CONTROL.exec(value);
  if (control !== null) {
    return `${shown(name, value)} holds the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}; attribute values are carried as NATS headers and cannot hold control characters (line breaks, tabs, NUL)`;
  }
  if (LONE_SURROGATE.test(value)) return `${shown(name, value)} holds an unpaired UTF-16 surrogate, which has no UTF-8 form`;
  if (value !== value.trim()) return `${shown(name, value)} begins or ends with whitespace, which a NATS header value loses; trim it`;
  return null;
}

/** The attribute as an error names it; written only for a value that has a problem. */
function shown(name: string, value: string): string {
  return `${name} "${printable(value.slice(0, 40))}"`;
}

/**
 * Printable ASCII that neither begins nor ends with a space: a value with no problem at all,
 * found by one test (the three of `attributeTextProblem` took 1 µs an event for its six
 * attributes; this takes a quarter).
 */
const PLAIN = /^[!-~](?:[ -~]*[!-~])?$/;

/**
 * The attributes a producer sends, as the envelope names them. Sluice's own (`id`, `time` as
 * normalised to UTC, `receivedAt`) need no check, nor does `type` (`eventTypeProblem` allows
 * only letters, digits, `_`, `-` and dots).
 */
export interface ProducerAttributes {
  readonly source?: string;
  readonly subject?: string;
  readonly originId?: string;
  readonly dataSchema?: string;
  readonly dataContentType?: string;
  readonly entity?: string;
  readonly traceparent?: string;
  readonly extensions?: Readonly<Record<string, string>>;
}

/** Each producer attribute that travels as text, with the name an error message gives it. */
const PRODUCER_TEXT = [
  ['source', 'source'],
  ['subject', 'subject'],
  ['originId', 'id'],
  ['dataSchema', 'dataschema'],
  ['dataContentType', 'datacontenttype'],
  ['entity', 'entity'],
  ['traceparent', 'traceparent'],
] as const satisfies ReadonlyArray<readonly [Exclude<keyof ProducerAttributes, 'extensions'>, string]>;

/** Why the producer's attributes cannot be carried and stored as they are, or null. */
export function producerAttributesProblem(attributes: ProducerAttributes): string | null {
  for (const [key, name] of PRODUCER_TEXT) {
    const value = attributes[key];
    if (typeof value !== 'string' || PLAIN.test(value)) continue;
    const problem = attributeTextProblem(name, value);
    if (problem !== null) return problem;
  }
  const sourceBytes = Buffer.byteLength(attributes.source ?? '');
  if (sourceBytes > MAX_SOURCE_BYTES) return `source is ${sourceBytes} bytes; at most ${MAX_SOURCE_BYTES} are stored (it is indexed)`;
  for (const [name, value] of Object.entries(attributes.extensions ?? {})) {
    const problem = attributeTextProblem(`extension ${name}`, value);
    if (problem !== null) return problem;
  }
  return null;
}

/** A value as an error message can show it: control characters as \uXXXX. */
function printable(value: string): string {
  return value.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}
