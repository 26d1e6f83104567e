/**
 * Text in and out of a Buffer. `buffer.write(text, offset, length, encoding)` and
 * `buffer.toString(encoding, start, end)` check their arguments and look the encoding up on
 * every call, and the memory bus makes four such calls an event (an id in and out, its data's
 * JSON in, and an id made): through Buffer's per-encoding methods (`latin1Write`, `utf8Write`,
 * `latin1Slice`, `utf8Slice`, what those two call in the end) its CPU time an event went from
 * 1.5 µs to 1.35. Node has had them on every Buffer since 0.x but does not document them, so
 * they are used only when this Node has them (checked once, when this module loads); else the
 * documented calls do the same. The caller keeps within the buffer's length.
 */
interface EncodingMethods {
  latin1Write(text: string, offset: number, length: number): number;
  utf8Write(text: string, offset: number, length: number): number;
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** The four operations, by either way of doing them. */
export interface BufferText {
  /** Writes `text` (one byte a character, every code below 256) at `offset`; returns the bytes written. */
  writeLatin1(buffer: Buffer, text: string, offset: number): number;
  /** Writes `text` as UTF-8 at `offset`, as much as fits (no character in part); returns the bytes written. */
  writeUtf8(buffer: Buffer, text: string, offset: number): number;
  /** The bytes from `start` to `end`, one character each. */
  latin1Text(buffer: Buffer, start: number, end: number): string;
  /** The bytes from `start` to `end` read as UTF-8. */
  utf8Text(buffer: Buffer, start: number, end: number): string;
}

/** Through Buffer's per-encoding methods. */
export const viaEncodingMethods: BufferText = {
  writeLatin1: (buffer, text, offset) => (buffer as unknown as EncodingMethods).latin1Write(text, offset, buffer.length - offset),
  writeUtf8: (buffer, text, offset) => (buffer as unknown as EncodingMethods).utf8Write(text, offset, buffer.length - offset),
  latin1Text: (buffer, start, end) => (buffer as unknown as EncodingMethods).latin1Slice(start, end),
  utf8Text: (buffer, start, end) => (buffer as unknown as EncodingMethods).utf8Slice(start, end),
};

/** Through the documented `write` and `toString`. */
export const viaDocumentedMethods: BufferText = {
  writeLatin1: (buffer, text, offset) => buffer.write(text, offset, buffer.length - offset, 'latin1'),
  writeUtf8: (buffer, text, offset) => buffer.write(text, offset, buffer.length - offset, 'utf8'),
  latin1Text: (buffer, start, end) => buffer.toString('latin1', start, end),
  utf8Text: (buffer, start, end) => buffer.toString('utf8', start, end),
};

/** Whether this Node's Buffers have the per-encoding methods. */
export const hasEncodingMethods = (['latin1Write', 'utf8Write', 'latin1Slice', 'utf8Slice'] as const).every(
  (name) => typeof (Buffer.prototype as unknown as Partial<EncodingMethods>)[name] === 'function',
);

export const { writeLatin1, writeUtf8, latin1Text, utf8Text } = hasEncodingMethods ? viaEncodingMethods : viaDocumentedMethods;
