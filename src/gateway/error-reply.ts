import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { EnvelopeError } from '../envelope/index.js';
import { SluiceError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';

/** Maps anything a route or Fastify throws to Sluice's error shape; client mistakes never become 5xx. */
export function toSluiceError(error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  if (error instanceof EnvelopeError) return new SluiceError(error.code, error.message);
  const e = error as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SluiceError('body_too_large', 'the request body is larger than MAX_BODY_BYTES allows');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      // Every content type is taken, so a refused one is a malformed header, not an unsupported type.
      return new SluiceError('invalid_content_type', 'the Content-Type header is not a media type (like application/json or text/plain; charset=utf-8)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new SluiceError('invalid_json', 'the body is empty; send a JSON value');
    case 'FST_ERR_VALIDATION':
      return new SluiceError('invalid_parameter', e.message);
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 413) return new SluiceError('body_too_large', 'the request body is too large');
    if (e.statusCode === 415) return new SluiceError('unsupported_media_type', e.message);
    return new SluiceError('invalid_body', e.message);
  }
  return new SluiceError('internal_error', 'internal error; the event was not accepted', { cause: error });
}

export function sendError(reply: FastifyReply, error: SluiceError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  return reply.code(error.status).type('application/json').send(error.toJSON());
}

export function errorHandler({ logger, metrics }: { readonly logger: Logger; readonly metrics: SluiceMetrics }) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const mapped = toSluiceError(error);
    const endpoint = request.routeOptions.url ?? 'unknown';
    if (mapped.status >= 500 && mapped.code !== 'bus_unavailable' && mapped.code !== 'store_unavailable') {
      logger.error({ err: error, url: request.url, method: request.method }, 'request failed');
    } else if (mapped.status >= 500) {
      logger.warn({ code: mapped.code, url: request.url }, mapped.message);
    }
    if (request.method === 'POST' && (endpoint.startsWith('/events') || endpoint.startsWith('/ingest'))) {
      metrics.eventsRejected.inc({ endpoint, code: mapped.code });
    }
    return sendError(reply, mapped);
  };
}
