import { isUtf8 } from 'node:buffer';
import { jsonTextProblem } from './json-text.js';
import { isJsonEssence, isTextEssence, mediaTypeEssence } from './media-type.js';

/** How an event's data reads in the JSON event format: JSON as itself, text as a string, the rest as base64. */
export type DataView =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'base64'; readonly base64: string };

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The data of an event as the JSON event format shows it (`data` or `data_base64`). */
export function dataView(bytes: Uint8Array, dataContentType: string): DataView {
  const essence = mediaTypeEssence(dataContentType) ?? 'application/octet-stream';
  const buffer = asBuffer(bytes);
  if (buffer.length === 0 && isJsonEssence(essence)) return { kind: 'none' };
  if (isJsonEssence(essence) || isTextEssence(essence)) {
    if (isUtf8(buffer)) {
      const text = buffer.toString('utf8');
      // JSON data was checked at the door; a raw NATS publish labelled JSON may not be JSON, and is then shown as text.
      return { kind: isJsonEssence(essence) && isJson(text) ? 'json' : 'text', text };
    }
  }
  return { kind: 'base64', base64: buffer.toString('base64') };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const FORM = 'application/x-www-form-urlencoded';
const encoder = new TextEncoder();

/** A form post's fields as an object of strings (a repeated name keeps its last value). */
export function formFields(bytes: Uint8Array): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(asBuffer(bytes).toString('utf8')));
}

/**
 * The data as a JSON document, for what reads data as JSON (the archive's queryable `data`
 * column, entity mapping): JSON data as it came, a form post as an object of its fields;
 * null for any other content type.
 */
export function dataAsJson(bytes: Uint8Array, dataContentType: string): Uint8Array | null {
  const essence = mediaTypeEssence(dataContentType);
  if (essence === null) return null;
  if (isJsonEssence(essence)) return bytes.length === 0 ? null : bytes;
  if (essence === FORM) {
    // A field may decode to what jsonb refuses (`%00` is U+0000): the bytes are still kept, only the queryable copy is left out.
    const text = JSON.stringify(formFields(bytes));
    return jsonTextProblem(text) === null ? encoder.encode(text) : null;
  }
  return null;
}
