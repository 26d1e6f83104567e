import type { FastifyInstance } from 'fastify';
import { SCOPES } from '../keys/index.js';

const keySchema = {
  type: 'object',
  properties: {
    open: { type: 'boolean', description: 'true when the gateway has no keys (every request may do everything)' },
    name: { type: 'string', nullable: true },
    scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
    types: { type: 'array', nullable: true, items: { type: 'string' }, description: 'type patterns the key may send; null: any' },
    rate_per_second: { type: 'number', nullable: true },
  },
  required: ['open', 'name', 'scopes', 'types', 'rate_per_second'],
} as const;

/** GET /auth/key: who the request's key is and what it may do (the console shows only that). */
export function registerAuthKey(app: FastifyInstance): void {
  app.get('/auth/key', { schema: { summary: "The request's key: its name, scopes, types and rate", tags: ['operate'], response: { 200: keySchema } } }, async (request) => {
    const key = request.apiKey;
    if (key === null) return { open: true, name: null, scopes: [...SCOPES], types: null, rate_per_second: null };
    return { open: false, name: key.name, scopes: SCOPES.filter((s) => key.scopes.has(s)), types: key.types, rate_per_second: key.ratePerSecond };
  });
}
