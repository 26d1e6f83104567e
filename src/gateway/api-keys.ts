import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isConsolePath } from '../console-server/index.js';
import { SluiceError } from '../errors/index.js';
import { sendError } from './error-reply.js';

const OPEN_PATHS = new Set(['/health', '/health/live', '/metrics', '/openapi.json']);

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** An onRequest hook enforcing `Authorization: Bearer KEY` (keys compared in constant time). */
export function apiKeyHook(keys: readonly string[]) {
  const digests = keys.map(digest);
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const path = request.url.split('?')[0]!;
    // The console's page and files hold no data; the console sends the key with each API call.
    if (OPEN_PATHS.has(path) || path === '/docs' || path.startsWith('/docs/') || isConsolePath(path)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match !== null) {
      const given = digest(match[1]!.trim());
      let ok = false;
      for (const d of digests) ok = timingSafeEqual(d, given) || ok;
      if (ok) return;
    }
    await sendError(
      reply,
      new SluiceError('unauthorized', match === null ? 'this API needs a key: send Authorization: Bearer KEY' : 'the API key is not valid'),
    );
  };
}
