import type { FastifyRequest } from 'fastify';
import { SluiceError } from '../errors/index.js';

/** The media type of a request, lower-case, without parameters; '' when absent. */
export function mediaType(request: FastifyRequest): string {
  const value = request.headers['content-type'];
  return value === undefined ? '' : value.split(';')[0]!.trim().toLowerCase();
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json') && !type.startsWith('application/cloudevents'));
}

/** Throws 415 unless the request's media type is one of `allowed` (a missing one counts as the first). */
export function requireMediaType(request: FastifyRequest, allowed: readonly string[], hint: string): string {
  const type = mediaType(request) || allowed[0]!;
  if (allowed.includes(type) || (allowed.includes('application/json') && isJsonMediaType(type))) return type;
  throw new SluiceError('unsupported_media_type', `Content-Type ${type} is not accepted here; ${hint}`);
}
