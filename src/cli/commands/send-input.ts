import { UsageError } from './client-args.js';

/** What `sluice send` was given: one JSON document, or NDJSON lines. */
export type SendInput = { kind: 'single'; data: unknown } | { kind: 'lines'; lines: string[] };

/** One `/ingest/batch` request's worth of lines. */
export interface LineChunk {
  /** 1-based physical line number of the chunk's first line in the whole input. */
  firstLine: number;
  /** Number of physical lines in the chunk (blank ones included). */
  lineCount: number;
  text: string;
}

/** Lines per batch request. */
export const CHUNK_LINES = 1000;
/** Bytes per batch request, below the gateway's default 1 MiB body limit. */
export const CHUNK_BYTES = 1_000_000;

/**
 * Decides how to read the input text: a whole JSON document (even pretty-printed over many
 * lines) is one event; otherwise several non-empty lines are NDJSON, one event per line.
 */
export function parseSendInput(text: string, origin: string): SendInput {
  if (text.trim() === '') throw new UsageError(`${origin} is empty: give a JSON document or NDJSON lines`);
  try {
    return { kind: 'single', data: JSON.parse(text) as unknown };
  } catch (thrown) {
    const lines = text.split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
    if (lines.filter((line) => line.trim() !== '').length > 1) return { kind: 'lines', lines };
    const reason = thrown instanceof Error ? thrown.message : String(thrown);
    throw new UsageError(`${origin} is not valid JSON: ${reason}`);
  }
}

/**
 * Splits lines into batch requests of at most `maxLines` lines and about `maxBytes` bytes
 * (a single longer line goes alone, and the gateway judges it). Chunks holding only blank
 * lines are left out; line numbers stay those of the whole input.
 */
export function chunkLines(lines: readonly string[], maxLines = CHUNK_LINES, maxBytes = CHUNK_BYTES): LineChunk[] {
  const chunks: LineChunk[] = [];
  let start = 0;
  let current: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (current.some((line) => line.trim() !== '')) {
      chunks.push({ firstLine: start + 1, lineCount: current.length, text: `${current.join('\n')}\n` });
    }
    start += current.length;
    current = [];
    bytes = 0;
  };
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1;
    if (current.length > 0 && (current.length >= maxLines || bytes + size > maxBytes)) flush();
    current.push(line);
    bytes += size;
  }
  if (current.length > 0) flush();
  return chunks;
}
