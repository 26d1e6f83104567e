import type { EventEnvelope } from '../envelope/index.js';

/**
 * A header value as the CloudEvents HTTP binding writes it: printable ASCII as is, `"`, `%`
 * and everything else percent-encoded as UTF-8.
 */
function headerValue(value: string): string {
  return /^[\x20-\x21\x23-\x24\x26-\x7e]*$/.test(value) ? value : value.replace(/[^\x20-\x21\x23-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`));
}

/** The event's content type: the producer's `datacontenttype`. */
export function contentTypeOf(envelope: EventEnvelope): string {
  return envelope.dataContentType;
}

/** The CloudEvents binary-mode headers of an event: its attributes as `ce-*`, its content type. */
export function cloudEventHeaders(envelope: EventEnvelope): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': contentTypeOf(envelope),
    'ce-specversion': '1.0',
    'ce-id': envelope.id,
    'ce-source': headerValue(envelope.source),
    'ce-type': envelope.type,
    'ce-time': envelope.time,
  };
  if (envelope.subject !== undefined) headers['ce-subject'] = headerValue(envelope.subject);
  if (envelope.dataSchema !== undefined) headers['ce-dataschema'] = headerValue(envelope.dataSchema);
  if (envelope.originId !== undefined) headers['ce-originid'] = headerValue(envelope.originId);
  if (envelope.traceparent !== undefined) headers.traceparent = envelope.traceparent;
  if (envelope.extensions !== undefined) {
    for (const [name, value] of Object.entries(envelope.extensions)) {
      if (headers[`ce-${name}`] === undefined) headers[`ce-${name}`] = headerValue(value);
    }
  }
  return headers;
}
