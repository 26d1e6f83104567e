// A TCP proxy that can hold every byte in both directions for a while, then let it through in
// order: a database that is reachable but does not answer (a lock, a stalled disk, a slow link).
import { createConnection, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  readonly port: number;
  /** Holds all traffic for `ms`, then forwards what was held, in order. */
  stall(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStallingProxy(targetHost: string, targetPort: number): Promise<StallingProxy> {
  const sockets = new Set<Socket>();
  let stalled = false;
  const releases: Array<() => void> = [];
  const forward = (from: Socket, to: Socket) => {
    const held: Buffer[] = [];
    from.on('data', (chunk: Buffer) => {
      if (!stalled && held.length === 0) {
        to.write(chunk);
        return;
      }
      held.push(chunk);
      if (held.length === 1) {
        releases.push(() => {
          for (const c of held.splice(0)) to.write(c);
        });
      }
    });
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: targetHost, port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    async stall(ms) {
      stalled = true;
      await new Promise((resolve) => setTimeout(resolve, ms));
      stalled = false;
      for (const release of releases.splice(0)) release();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
