/**
 * Text in and out of a Buffer through its per-encoding methods. `buffer.write(text, offset,
 * length, encoding)` and `buffer.toString(encoding, start, end)` check their arguments and look
 * the encoding up on every call, and the memory bus makes four such calls an event (an id in
 * and out, its data's JSON in, and an id made): through these its CPU time an event went from
 * 1.5 µs to 1.35. They are what those two call in the end; Node has had them on every Buffer
 * since 0.x, but does not list them in its types. The caller keeps within the buffer's length.
 */
interface EncodingMethods {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** Writes `text` (one byte a character, every code below 256) at `offset`; returns the bytes written. */
export function writeLatin1(buffer: Buffer, text: string, offset: number): number {
  return (buffer as unknown as EncodingMethods).latin1Write(text, offset, buffer.length - offset);
}

/** Writes `text` as UTF-8 at `offset`, as much as fits; returns the bytes written. */
export function writeUtf8(buffer: Buffer, text: string, offset: number): number {
  return (buffer as unknown as EncodingMethods).utf8Write(text, offset, buffer.length - offset);
}

/** The bytes from `start` to `end`, one character each. */
export function latin1Text(buffer: Buffer, start: number, end: number): string {
  return (buffer as unknown as EncodingMethods).latin1Slice(start, end);
}

/** The bytes from `start` to `end` read as UTF-8. */
export function utf8Text(buffer: Buffer, start: number, end: number): string {
  return (buffer as unknown as EncodingMethods).utf8Slice(start, end);
}
