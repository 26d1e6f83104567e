import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';
import type { StoreHealth } from '../store-health.js';

/** GET /health, GET /health/live, GET /metrics. */
export function registerOperate(app: FastifyInstance, context: GatewayContext, storeHealth: StoreHealth): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Readiness: 200 when the bus can store events, 503 (degraded) when it cannot',
        tags: ['operate'],
        response: {
          '2xx': healthSchema,
          503: healthSchema,
        },
      },
    },
    async (_request, reply) => {
      const bus = context.bus.health();
      const body = {
        status: bus.connected ? 'ok' : 'degraded',
        version: context.version,
        bus: { kind: bus.kind, connected: bus.connected },
        db: { kind: context.store.kind, connected: await storeHealth.connected() },
        nats_connected: bus.kind === 'jetstream' && bus.connected,
      };
      return reply.code(bus.connected ? 200 : 503).send(body);
    },
  );
  app.get('/health/live', { schema: { summary: 'Liveness: 200 while the process runs', tags: ['operate'] } }, async () => ({ status: 'ok' }));
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operate'] } }, async (_request, reply) => {
    reply.type(context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
}

const healthSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    version: { type: 'string' },
    bus: { type: 'object', properties: { kind: { type: 'string' }, connected: { type: 'boolean' } } },
    db: { type: 'object', properties: { kind: { type: 'string' }, connected: { type: 'boolean' } } },
    nats_connected: { type: 'boolean' },
  },
} as const;
