import { PassThrough, Readable } from 'node:stream';
import type { CommandIo } from '../../src/cli/commands/io.js';

export interface CapturedIo extends CommandIo {
  out(): string;
  err(): string;
}

/** Streams that collect what a command writes; stdin holds `input` (not a TTY). */
export function captureIo(env: Record<string, string | undefined> = {}, input = '', signal?: AbortSignal): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const io: CapturedIo = { stdout, stderr, stdin: Readable.from([Buffer.from(input)]), env, out: () => out, err: () => err };
  if (signal !== undefined) io.signal = signal;
  return io;
}
