import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../log/index.js';
import type { SluiceMetrics } from '../metrics/index.js';

const EVENT_ID = /"(?:id|message_id)":"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"/;

/**
 * Counts every request by route and status (`sluice_http_requests_total`) and, at debug level,
 * logs one line per request: method, route, status, duration and the event id it answered with.
 * The route is the pattern (`/events/:type`), never the raw URL, so labels stay few.
 */
export function registerRequestLog(app: FastifyInstance, { logger, metrics }: { readonly logger: Logger; readonly metrics: SluiceMetrics }): void {
  const debug = logger.isLevelEnabled('debug');
  const eventIds = new WeakMap<FastifyRequest, string>();
  if (debug) {
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode < 300 && typeof payload === 'string' && payload.length <= 4096) {
        const match = EVENT_ID.exec(payload);
        if (match !== null) eventIds.set(request, match[1]!);
      }
      return payload;
    });
  }
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    if (debug) {
      const eventId = eventIds.get(request);
      logger.debug(
        { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, ...(eventId !== undefined ? { event_id: eventId } : {}) },
        'request',
      );
    }
    done();
  });
}
