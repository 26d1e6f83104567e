import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { isConsolePath } from '../../console-server/index.js';
import { SluiceError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';
import type { SluiceMetrics } from '../../metrics/index.js';
import { sendError } from '../error-reply.js';
import type { ApiKey } from './key-file.js';
import { bearerKey, keyAllowsType, type KeyRing } from './key-ring.js';
import { isAnyKeyRoute, isIngestRoute, scopeFor } from './route-scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key the request came with, once checked; null when the gateway is open. */
    apiKey: ApiKey | null;
  }
}

const OPEN_PATHS = new Set(['/health', '/health/live', '/metrics', '/openapi.json']);

function isOpenPath(path: string): boolean {
  // The console's page and files hold no data; the console sends the key with each API call.
  return OPEN_PATHS.has(path) || path === '/docs' || path.startsWith('/docs/') || isConsolePath(path);
}

/**
 * The onRequest hook that checks `Authorization: Bearer KEY`: 401 for a missing or unknown
 * key, 403 for a key without the route's scope, 429 (with Retry-After) past the key's rate.
 * A callback hook: it runs on every request, and an async one costs a promise per request.
 */
export function accessHook(ring: KeyRing) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const route = request.routeOptions.url;
    const method = request.method;
    if (route === undefined || !isIngestRoute(method, route)) {
      const path = request.url.split('?', 1)[0]!;
      if (isOpenPath(path)) return done();
      // A browser's CORS preflight carries no key; the CORS routes answer it.
      if (method === 'OPTIONS' && route !== undefined) return done();
    }
    const header = request.headers.authorization;
    const key = header === undefined ? undefined : ring.findByHeader(header);
    if (key === undefined) {
      const given = header === undefined ? undefined : bearerKey(header);
      void sendError(reply, new SluiceError('unauthorized', given === undefined ? 'this API needs a key: send Authorization: Bearer KEY' : 'the API key is not valid'));
      return;
    }
    request.apiKey = key;
    if (!isAnyKeyRoute(method, route)) {
      const scope = scopeFor(method, route);
      if (!key.scopes.has(scope)) {
        void sendError(reply, new SluiceError('forbidden', `key ${key.name} lacks the "${scope}" scope that ${method} ${route ?? request.url.split('?', 1)[0]!.slice(0, 100)} needs`));
        return;
      }
    }
    const waitMs = ring.takeToken(key, performance.now());
    if (waitMs > 0) {
      void sendError(reply, new SluiceError('rate_limited', `key ${key.name} is over its rate; retry after the Retry-After header's seconds`, { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }));
      return;
    }
    done();
  };
}

/** Throws 403 `type_not_allowed` when the request's key may not send events of `type`. */
export function checkKeyAllowsType(request: FastifyRequest, type: string): void {
  const key = request.apiKey;
  if (key !== null && !keyAllowsType(key, type)) throw typeNotAllowed(key, type);
}

/** The 403 for a type the key may not send (a batch gives it per event). */
export function typeNotAllowedError(request: FastifyRequest, type: string): SluiceError | null {
  const key = request.apiKey;
  return key === null || keyAllowsType(key, type) ? null : typeNotAllowed(key, type);
}

function typeNotAllowed(key: ApiKey, type: string): SluiceError {
  return new SluiceError('type_not_allowed', `key ${key.name} may not send events of type "${type.slice(0, 80)}"; it may send ${key.types!.join(', ')}`);
}

/**
 * Counts each request made with a key by key name, route and status
 * (`sluice_key_requests_total`), and logs replays and changes to subscriptions with the
 * key's name, so an operator can tell who did what.
 */
export function keyUsageHook(metrics: SluiceMetrics, logger: Logger) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const key = request.apiKey;
    if (key !== null) {
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.countKeyRequest(key.name, route, reply.statusCode);
      const method = request.method;
      if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS') {
        const scope = scopeFor(method, route);
        if (scope === 'replay' || scope === 'admin') {
          logger.info({ key: key.name, method, route, url: request.url.slice(0, 200), status: reply.statusCode }, scope === 'replay' ? 'replay requested' : 'administrative change');
        }
      }
    }
    done();
  };
}
