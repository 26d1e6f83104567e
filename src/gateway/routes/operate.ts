import type { FastifyInstance } from 'fastify';
import type { BusPort } from '../../bus/index.js';
import type { SluiceMetrics } from '../../metrics/index.js';
import type { StorePort } from '../../store/index.js';
import type { StoreHealth } from '../store-health.js';

/** What the operating routes report: the bus's and the store's health, the version, the metrics. */
export interface OperateOptions {
  readonly bus: BusPort;
  readonly store: StorePort;
  readonly storeHealth: StoreHealth;
  readonly metrics: SluiceMetrics;
  readonly version: string;
}

/** GET /health, GET /health/live, GET /metrics. */
export function registerOperate(app: FastifyInstance, { bus: busPort, store, storeHealth, metrics, version }: OperateOptions): void {
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
      const bus = busPort.health();
      const body = {
        status: bus.connected ? 'ok' : 'degraded',
        version,
        bus: { kind: bus.kind, connected: bus.connected },
        db: { kind: store.kind, connected: await storeHealth.connected() },
        nats_connected: bus.kind === 'jetstream' && bus.connected,
      };
      return reply.code(bus.connected ? 200 : 503).send(body);
    },
  );
  app.get('/health/live', { schema: { summary: 'Liveness: 200 while the process runs', tags: ['operate'] } }, async () => ({ status: 'ok' }));
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['operate'] } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
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
