import type { FastifyRequest } from 'fastify';
import { UNLABELLED_CONTENT_TYPE, isJsonEssence, mediaTypeEssence } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';

/** The media type of a request, lower-case, without parameters; '' when absent or not a media type. */
export function mediaType(request: FastifyRequest): string {
  const value = request.headers['content-type'];
  return value === undefined ? '' : (mediaTypeEssence(value) ?? '');
}

/** The event's `datacontenttype` from a request: its Content-Type as sent, `application/octet-stream` without one. */
export function dataContentTypeOf(request: FastifyRequest): string {
  const value = request.headers['content-type'];
  return value === undefined || value.trim() === '' ? UNLABELLED_CONTENT_TYPE : value;
}

/** Throws 415 unless the request's media type is one of `allowed` (a missing one counts as the first). */
export function requireMediaType(request: FastifyRequest, allowed: readonly string[], hint: string): string {
  const type = mediaType(request) || allowed[0]!;
  if (allowed.includes(type) || (allowed.includes('application/json') && isJsonEssence(type))) return type;
  throw new SluiceError('unsupported_media_type', `Content-Type ${type} is not accepted here; ${hint}`);
}
