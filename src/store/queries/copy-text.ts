/**
 * PostgreSQL's COPY text format: one line per row, columns separated by tabs, `\N` for NULL,
 * and backslash, tab, newline and carriage return escaped inside values.
 */
const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value of a COPY text line. */
export function copyValue(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;
const RETURN = 0x0d;
const ESCAPED_BYTE: Record<number, number> = { [BACKSLASH]: BACKSLASH, [TAB]: 0x74, [NEWLINE]: 0x6e, [RETURN]: 0x72 };

/**
 * Builds a COPY text body as bytes: values that are already UTF-8 bytes (an event's JSON data)
 * are copied in, not decoded to a string and encoded back as a string body would need.
 */
export class CopyTextWriter {
  private buffer: Buffer;
  private length = 0;

  /**
   * `expectedBytes`: about what the body will hold. The buffer grows as needed; one sized for
   * the body keeps a small batch's garbage small (a fixed 256 KiB a writer made V8 run a full
   * collection every 200 ms for the memory outside its heap, at a few events a batch).
   */
  constructor(expectedBytes = 4096) {
    this.buffer = Buffer.allocUnsafe(Math.max(256, Math.ceil(expectedBytes)));
  }

  /** A text value (escaped), a number, or NULL. */
  value(value: string | number | null): this {
    const text = copyValue(value);
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
    return this;
  }

  /** A value given as UTF-8 bytes, escaped byte by byte. */
  utf8(bytes: Uint8Array): this {
    this.reserve(bytes.length * 2);
    let from = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b !== BACKSLASH && b !== TAB && b !== NEWLINE && b !== RETURN) continue;
      this.buffer.set(bytes.subarray(from, i), this.length);
      this.length += i - from;
      this.buffer[this.length++] = BACKSLASH;
      this.buffer[this.length++] = ESCAPED_BYTE[b]!;
      from = i + 1;
    }
    this.buffer.set(bytes.subarray(from), this.length);
    this.length += bytes.length - from;
    return this;
  }

  /** A bytea value, in the hex form (`\\x…`, its backslash escaped for COPY text). */
  bytea(bytes: Uint8Array): this {
    this.reserve(3 + bytes.length * 2);
    this.buffer[this.length++] = BACKSLASH;
    this.buffer[this.length++] = BACKSLASH;
    this.buffer[this.length++] = 0x78;
    this.length += this.buffer.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'), this.length, 'latin1');
    return this;
  }

  /** Ends a column (tab) or, with `last`, the row (newline). */
  next(last = false): this {
    this.reserve(1);
    this.buffer[this.length++] = last ? NEWLINE : TAB;
    return this;
  }

  /** The body written so far (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
