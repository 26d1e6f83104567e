import { isLosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import type { EventData } from './model.js';

const decoder = new TextDecoder();

/**
 * A run of 16 or more digits and points: the only way a JSON text can hold a number with more
 * than 15 significant digits, past which a double may not carry the number's exact value
 * (every decimal of up to 15 significant digits survives the round trip through a double).
 */
const LONG_NUMBER = /[0-9.]{16,}/;

/**
 * Parses an event's JSON data once. Most data goes through `JSON.parse` alone; data whose text
 * has a long digit run is also parsed by lossless-json, so `decimal`, `bigint` and `json`
 * columns take those numbers from their text (about 5 times slower than JSON.parse, paid only
 * by such events). Throws SyntaxError for text that is not JSON.
 */
export function parseEventData(bytes: Uint8Array): EventData {
  const text = decoder.decode(bytes);
  return parseEventText(text);
}

/** `parseEventData` for data already decoded to text. */
export function parseEventText(text: string): EventData {
  const value: unknown = JSON.parse(text);
  return { value, exact: LONG_NUMBER.test(text) ? parseLossless(text) : null };
}

/** An exact number's text, or null when `exact` is not one. */
export function exactNumberText(exact: unknown): string | null {
  return isLosslessNumber(exact) ? exact.value : null;
}

/** JSON text of a value, from its exact copy when there is one (numbers keep their digits). */
export function jsonText(value: unknown, exact: unknown): string {
  if (exact !== undefined && exact !== null) return stringifyLossless(exact) ?? 'null';
  return JSON.stringify(value) ?? 'null';
}
