import type { FastifyInstance } from 'fastify';

/** A route the gateway serves, as Fastify registered it. */
export interface RouteInfo {
  readonly method: string;
  /** The path pattern, e.g. `/events/:type`. */
  readonly url: string;
  /** Left out of the OpenAPI document on purpose (the document itself, the docs page's files, the console). */
  readonly hidden: boolean;
}

/** Records every route as it is registered (an onRoute hook), so checks can compare it with the OpenAPI document. */
export function collectRoutes(app: FastifyInstance): RouteInfo[] {
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const schema = route.schema as { hide?: boolean } | undefined;
    for (const method of methods) routes.push({ method: String(method), url: route.url, hidden: schema?.hide === true });
  });
  return routes;
}
