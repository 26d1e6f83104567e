import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../test/helpers/nats.js';
import { startTcpProxy, type TcpProxy } from '../../test/helpers/tcp-proxy.js';

const NATS_SERVER = process.env.SLUICE_TEST_NATS_SERVER ?? '/usr/sbin/nats-server';

/** One server of a test cluster. */
export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  readonly storeDir: string;
  running(): boolean;
  /** Stops the server (SIGKILL by default: a crash); its store dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and store dir. */
  start(): Promise<void>;
}

/** A JetStream cluster of nats-server processes on loopback, each with its own store dir. */
export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** All client URLs, comma-separated (a NATS_URL). */
  readonly urls: string;
  node(name: string): ClusterNode;
  /** The `server_name` that leads the stream (JetStream stream info `cluster.leader`); waits for one. */
  streamLeader(stream: string, timeoutMs?: number): Promise<string>;
  /**
   * Cuts every cluster route between `name` and the other servers, both ways, and refuses new
   * ones (a network partition; the server keeps running and keeps its clients). Needs
   * `proxiedRoutes`.
   */
  isolate(name: string): void;
  /** Lets every cut route connect again. */
  heal(): void;
  /** Stops every server and removes the store dirs. */
  destroy(): Promise<void>;
}

/**
 * Starts `size` clustered nats-servers with generated config files and free ports. With
 * `proxiedRoutes`, each server reaches each other one through its own TCP proxy (one per
 * ordered pair), so a test can partition the cluster without stopping a server.
 */
export async function startNatsCluster(size = 3, clusterName = `sluice_${process.pid}`, options: { proxiedRoutes?: boolean } = {}): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), 'sluice-cluster-'));
  const specs: Array<{ name: string; port: number; routePort: number }> = [];
  for (let i = 1; i <= size; i++) specs.push({ name: `n${i}`, port: await freePort(), routePort: await freePort() });
  const proxies: Array<{ from: string; to: string; proxy: TcpProxy }> = [];
  if (options.proxiedRoutes === true) {
    for (const from of specs) {
      for (const to of specs) if (from !== to) proxies.push({ from: from.name, to: to.name, proxy: await startTcpProxy('127.0.0.1', to.routePort) });
    }
  }
  // Servers tell each other their route address and connect to the ones they learn of; with
  // proxied routes that address is a closed port, so every route goes through a proxy.
  const unreachable = options.proxiedRoutes === true ? await freePort() : undefined;
  const routesOf = (spec: (typeof specs)[number]): string[] =>
    specs
      .filter((other) => other !== spec)
      .map((other) => {
        const proxy = proxies.find((p) => p.from === spec.name && p.to === other.name)?.proxy;
        return `nats-route://127.0.0.1:${proxy?.port ?? other.routePort}`;
      });
  const nodes = specs.map((spec) => {
    const dir = join(root, spec.name);
    const storeDir = join(dir, 'store');
    mkdirSync(storeDir, { recursive: true });
    const configFile = join(dir, 'server.conf');
    writeFileSync(
      configFile,
      [
        `server_name: ${spec.name}`,
        `listen: 127.0.0.1:${spec.port}`,
        `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
        `cluster {`,
        `  name: ${clusterName}`,
        `  listen: 127.0.0.1:${spec.routePort}`,
        `  routes: [${routesOf(spec).join(', ')}]`,
        // ...and clients are not told of the other servers, so a client stays on the side it was given.
        ...(unreachable === undefined ? [] : [`  advertise: "127.0.0.1:${unreachable}"`, '  no_advertise: true']),
        `}`,
        '',
      ].join('\n'),
    );
    return new Node(spec.name, `nats://127.0.0.1:${spec.port}`, storeDir, configFile, join(dir, 'server.log'));
  });
  await Promise.all(nodes.map((n) => n.start()));
  const cluster: NatsCluster = {
    nodes,
    urls: nodes.map((n) => n.url).join(','),
    node(name) {
      const found = nodes.find((n) => n.name === name);
      if (found === undefined) throw new Error(`no node ${name}`);
      return found;
    },
    async streamLeader(stream, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const nc = await connect({ servers: nodes.filter((n) => n.running()).map((n) => n.url), timeout: 2_000 });
      try {
        for (;;) {
          try {
            const jsm = await jetstreamManager(nc, { timeout: 2_000 });
            const leader = (await jsm.streams.info(stream)).cluster?.leader;
            if (leader !== undefined && leader !== '') return leader;
          } catch {
            // no leader or no meta leader yet
          }
          if (Date.now() > deadline) throw new Error(`stream ${stream} has no leader after ${timeoutMs} ms`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      } finally {
        await nc.close();
      }
    },
    isolate(name) {
      if (proxies.length === 0) throw new Error('isolate() needs a cluster started with proxiedRoutes');
      for (const p of proxies) if (p.from === name || p.to === name) p.proxy.cut();
    },
    heal() {
      for (const p of proxies) p.proxy.restore();
    },
    async destroy() {
      await Promise.all(nodes.map((n) => n.kill()));
      await Promise.all(proxies.map((p) => p.proxy.close()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  return cluster;
}

class Node implements ClusterNode {
  private child: ChildProcess | undefined;
  constructor(
    readonly name: string,
    readonly url: string,
    readonly storeDir: string,
    private readonly configFile: string,
    private readonly logFile: string,
  ) {}

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running()) return;
    const child = spawn(NATS_SERVER, ['-c', this.configFile, '-l', this.logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const deadline = Date.now() + 15_000;
    // With -l the log goes to the file; readiness is the client port answering.
    while (!(await portOpen(this.url))) {
      if (!this.running() || Date.now() > deadline) throw new Error(`nats-server ${this.name} did not start: ${log.slice(-500)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const c = this.child;
    if (c === undefined || !this.running()) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill(signal);
    await exited;
  }
}

async function portOpen(url: string): Promise<boolean> {
  const { port, hostname } = new URL(url);
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection({ port: Number(port), host: hostname });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
