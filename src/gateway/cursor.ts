import { SluiceError } from '../errors/index.js';

/** The opaque cursor of GET /events: the stream sequence the next page starts after. */
export function encodeCursor(afterSeq: number): string {
  return Buffer.from(`s1:${afterSeq}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^s1:(\d{1,16})$/.exec(text);
  if (match === null) throw new SluiceError('invalid_parameter', 'cursor: not a cursor this API gave out; pass next_cursor unchanged');
  return Number(match[1]);
}
