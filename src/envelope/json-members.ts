/**
 * Finds where values sit in JSON text that is already known to be valid, so a member can be
 * taken as the producer wrote it (key order, spacing and number text kept) rather than
 * re-serialised from the parsed value. Offsets are string indices into `text`.
 */

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && WHITESPACE.has(text.charCodeAt(i))) i++;
  return i;
}

function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return i;
}

/** The index just past the value that starts at `i`. */
export function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === 0x22) return skipString(text, i);
  if (first === 0x7b || first === 0x5b) {
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) i = skipString(text, i) - 1;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--depth === 0) return i + 1;
      }
    }
    return i;
  }
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x7d || c === 0x5d || WHITESPACE.has(c)) break;
    i++;
  }
  return i;
}

export interface ValueRange {
  readonly start: number;
  readonly end: number;
}

/** The value ranges of an object's members, by key; a repeated key keeps its last value, as JSON.parse does. */
export function memberRanges(text: string, object: ValueRange): Map<string, ValueRange> {
  const members = new Map<string, ValueRange>();
  let i = skipWhitespace(text, object.start + 1);
  while (i < object.end && text.charCodeAt(i) !== 0x7d) {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
    const end = skipValue(text, i);
    members.set(key, { start: i, end });
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipWhitespace(text, i + 1);
  }
  return members;
}

/** The range of the whole document's value. */
export function documentRange(text: string): ValueRange {
  const start = skipWhitespace(text, 0);
  return { start, end: skipValue(text, start) };
}

/** The ranges of an array's elements, in order. */
export function elementRanges(text: string, array: ValueRange): ValueRange[] {
  const elements: ValueRange[] = [];
  let i = skipWhitespace(text, array.start + 1);
  while (i < array.end && text.charCodeAt(i) !== 0x5d) {
    const end = skipValue(text, i);
    elements.push({ start: i, end });
    i = skipWhitespace(text, end);
    if (text.charCodeAt(i) === 0x2c) i = skipWhitespace(text, i + 1);
  }
  return elements;
}
