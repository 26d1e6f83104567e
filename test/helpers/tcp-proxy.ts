import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Cuts every open connection and refuses new ones (an outage). */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  /**
   * Holds all traffic in both directions for `ms`, then forwards what was held, in order: a
   * server that is reachable but does not answer (a lock, a stalled disk, a slow link).
   */
  stall(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on loopback whose connections a test can cut or stall, to take a server away without stopping it. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
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
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
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
  const proxy: TcpProxy = {
    port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    async stall(ms) {
      stalled = true;
      await new Promise((resolve) => setTimeout(resolve, ms));
      stalled = false;
      for (const release of releases.splice(0)) release();
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
