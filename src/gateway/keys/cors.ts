import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../../errors/index.js';
import { sendError } from '../error-reply.js';
import { isIngestRoute } from './route-scopes.js';

const INGEST_PATHS = ['/events/:type', '/events', '/ingest/message', '/ingest/batch'];
const PREFLIGHT_SECONDS = '600';

/**
 * Lets browser pages on `origins` call the ingest endpoints: answers their preflight
 * (OPTIONS) and marks the ingest answers as readable by them. Other routes get no CORS
 * headers, so a page can send events but never read them.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  for (const path of INGEST_PATHS) {
    app.options(path, { schema: { hide: true } }, async (request, reply) => {
      const origin = request.headers.origin;
      if (origin === undefined || !allowed.has(origin)) {
        return sendError(reply, new SluiceError('forbidden', `origin ${String(origin).slice(0, 100)} is not in SLUICE_CORS_ORIGINS`));
      }
      const asked = request.headers['access-control-request-headers'];
      return reply
        .code(204)
        .header('access-control-allow-origin', origin)
        .header('vary', 'Origin')
        .header('access-control-allow-methods', 'POST')
        .header('access-control-allow-headers', typeof asked === 'string' && asked !== '' ? asked : 'authorization, content-type')
        .header('access-control-max-age', PREFLIGHT_SECONDS)
        .send();
    });
  }
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (origin !== undefined && allowed.has(origin) && isIngestRoute(request.method, request.routeOptions.url)) {
      reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-expose-headers', 'retry-after');
    }
    done();
  });
}
