import { createServer, type Server } from 'node:http';
import type { BusPort } from '../bus/index.js';
import type { SluiceMetrics } from '../metrics/index.js';
import type { StorePort } from '../store/index.js';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The small side server on METRICS_PORT: /metrics, /health and /health/live for a worker (or a gateway). */
export async function serveMetrics(options: {
  port: number;
  host: string;
  metrics: SluiceMetrics;
  bus: BusPort;
  store: StorePort;
  version: string;
}): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    void (async () => {
      if (path === '/metrics') {
        response.writeHead(200, { 'content-type': options.metrics.registry.contentType });
        response.end(await options.metrics.registry.metrics());
      } else if (path === '/health') {
        const bus = options.bus.health();
        const db = await options.store.ping();
        const ok = bus.connected && db;
        response.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            status: ok ? 'ok' : 'degraded',
            version: options.version,
            bus: { kind: bus.kind, connected: bus.connected },
            db: { kind: options.store.kind, connected: db },
            nats_connected: bus.kind === 'jetstream' && bus.connected,
          }),
        );
      } else if (path === '/health/live') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"status":"ok"}');
      } else {
        response.writeHead(404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'not_found', message: `no route ${path}` } }));
      }
    })().catch(() => {
      response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
