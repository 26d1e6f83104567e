import { isUtf8 } from 'node:buffer';
import { jsonTextProblem } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';

/** Checks a JSON document from the wire; returns its text. Throws SluiceError 400 with what is wrong. */
export function checkJsonBytes(bytes: Buffer, what = 'the body'): string {
  if (bytes.length === 0) throw new SluiceError('invalid_json', `${what} is empty; send a JSON value`);
  if (!isUtf8(bytes)) throw new SluiceError('invalid_json', `${what} is not valid UTF-8`);
  return checkJsonText(bytes.toString('utf8'), what);
}

export function checkJsonText(text: string, what = 'the body'): string {
  try {
    JSON.parse(text);
  } catch (error) {
    throw new SluiceError('invalid_json', `${what} is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  const problem = jsonTextProblem(text);
  if (problem !== null) throw new SluiceError('unsupported_json', `${what} cannot be stored: ${problem}`);
  return text;
}
