// Serves the built web console: the page at `/` and its files under `/console/`.
// The console itself only uses the public HTTP API, with the user's API key.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SluiceError } from '../errors/index.js';
import { loadConsoleDir, type ConsoleAsset } from './assets.js';

/** Options of {@link registerConsole}. */
export interface ConsoleOptions {
  /** The directory `scripts/build-console.mjs` wrote (`console-dist/`). */
  distDir: string;
}

/** URL prefix of the console's own files; no API route lives under it. */
export const CONSOLE_PREFIX = '/console/';

/**
 * True for the paths the console serves itself (the page and its static files). They hold
 * no data, and a browser cannot send a bearer key when it loads a page, so an API-key check
 * lets them through; the console then sends the key with every API call it makes.
 */
export function isConsolePath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? '';
  return path === '/' || path === '/console' || path.startsWith(CONSOLE_PREFIX);
}

// The page loads nothing from elsewhere and is never framed.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sluice console</title></head>
<body><h1>Sluice console</h1><p>The console has not been built. Run <code>npm run build</code>; the HTTP API works without it.</p></body></html>`;

function send(request: FastifyRequest, reply: FastifyReply, asset: ConsoleAsset): FastifyReply {
  reply
    .header('content-type', asset.contentType)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
    // Hashed files never change; the page is revalidated so a new build shows at once.
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (asset.gzip && acceptsGzip) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}

/**
 * Registers the console's routes on a Fastify instance: `GET /` (the page) and
 * `GET /console/*` (hashed files, cached for a year). Usable directly or with `app.register`.
 * When `distDir` holds no build, `/` explains how to build it instead.
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  const built = loadConsoleDir(options.distDir);
  if (!built) {
    app.log.warn({ distDir: options.distDir }, 'console not built; serving a placeholder at /');
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT_PAGE),
    );
    return;
  }
  const { index, files } = built;
  // Not part of the API: kept out of the OpenAPI document.
  const hidden = { schema: { hide: true } };
  const page = async (request: FastifyRequest, reply: FastifyReply) => send(request, reply.headers(PAGE_HEADERS), index);
  app.get('/', hidden, page);
  app.get('/console', hidden, async (_request, reply) => reply.redirect('/', 301));
  app.get('/console/', hidden, page);
  app.get<{ Params: { '*': string } }>(`${CONSOLE_PREFIX}*`, hidden, async (request, reply) => {
    const asset = files.get(request.params['*']);
    if (!asset) {
      const error = new SluiceError('not_found', `no console file at ${request.url.split('?', 1)[0]}`);
      return reply.code(error.status).send(error.toJSON());
    }
    return send(request, reply, asset);
  });
}
