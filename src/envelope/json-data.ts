import { isUtf8 } from 'node:buffer';
import { EnvelopeError } from './envelope-error.js';
import { jsonTextProblem } from './json-text.js';

/** Checks JSON data from the wire; returns its text. Throws EnvelopeError 400 saying what is wrong. */
export function checkJsonBytes(bytes: Uint8Array, what = 'the body'): string {
  if (bytes.length === 0) throw new EnvelopeError('invalid_json', `${what} is empty; send a JSON value`);
  if (!isUtf8(bytes)) throw new EnvelopeError('invalid_json', `${what} is not valid UTF-8`);
  return checkJsonText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), what);
}

/** Checks JSON text: valid JSON, and nothing PostgreSQL's jsonb cannot store. Returns the text. */
export function checkJsonText(text: string, what = 'the body'): string {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new EnvelopeError('invalid_json', `${what} is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  const problem = jsonTextProblem(text);
  if (problem !== null) throw new EnvelopeError('unsupported_json', `${what} cannot be stored: ${problem}`);
  return text;
}
