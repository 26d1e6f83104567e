import type { Scope } from './scopes.js';

/**
 * The one table of which scope each route needs, by method and route pattern. A route not
 * listed needs `admin`, so a route added later is closed to ingest and read keys until it is
 * placed here on purpose.
 */
const ROUTE_SCOPES: Readonly<Record<string, Scope>> = {
  'POST /events/:type': 'ingest',
  'POST /events': 'ingest',
  'POST /ingest/message': 'ingest',
  'POST /ingest/batch': 'ingest',

  'GET /ingest/status/:id': 'read',
  'GET /events/:id/status': 'read',
  'GET /events/:id': 'read',
  'GET /events/:id/data': 'read',
  'GET /events/:id/deliveries': 'read',
  'GET /events': 'read',
  'GET /replay/:id': 'read',
  'GET /subscriptions/:name/deliveries': 'read',

  'POST /replay/:id': 'replay',
  'POST /replay': 'replay',

  // Subscriptions are admin, reading them too (they hold endpoints); their delivery log is read.
  'POST /subscriptions': 'admin',
  'GET /subscriptions': 'admin',
  'GET /subscriptions/:name': 'admin',
  'PATCH /subscriptions/:name': 'admin',
  'DELETE /subscriptions/:name': 'admin',
};

/**
 * The table by method, then route: every request looks its route up (twice with a key), and
 * two Map lookups build no `METHOD route` string per request.
 */
const SCOPES_BY_METHOD = new Map<string, Map<string, Scope>>();
for (const [route, scope] of Object.entries(ROUTE_SCOPES)) {
  const [method, path] = route.split(' ') as [string, string];
  const routes = SCOPES_BY_METHOD.get(method) ?? new Map<string, Scope>();
  SCOPES_BY_METHOD.set(method, routes.set(path, scope));
}
const POST_SCOPES = SCOPES_BY_METHOD.get('POST')!;

/** The scope a request to `route` (its pattern, e.g. `/events/:type`) needs; HEAD needs what GET needs. */
export function scopeFor(method: string, route: string | undefined): Scope {
  if (route === undefined) return 'admin';
  return SCOPES_BY_METHOD.get(method === 'HEAD' ? 'GET' : method)?.get(route) ?? 'admin';
}

/** Routes any valid key may call, whatever its scopes: the console asks who it is. */
export function isAnyKeyRoute(method: string, route: string | undefined): boolean {
  return method === 'GET' && route === '/auth/key';
}

/** The ingest routes: the ones browser pages on `SLUICE_CORS_ORIGINS` may call. */
export function isIngestRoute(method: string, route: string | undefined): boolean {
  return method === 'POST' && route !== undefined && POST_SCOPES.get(route) === 'ingest';
}
