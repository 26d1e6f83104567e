import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export const SHARED_NATS_URL = process.env.SLUICE_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Stream, subject prefix and consumer names no other test run uses. */
export function uniqueNames(label = 't'): { stream: string; prefix: string; consumer: string } {
  const tag = `${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
  return { stream: `S_${tag}`.toUpperCase(), prefix: `p_${tag}`, consumer: `c_${tag}` };
}

/** Deletes a stream and its dead-letter stream. */
export async function deleteStreams(url: string, stream: string): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for (const name of [stream, `${stream}_DLQ`]) await jsm.streams.delete(name).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Stops the server (SIGKILL by default: a crash). The store dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and store dir. */
  restart(): Promise<void>;
  /** Stops the process where it is (SIGSTOP): connections stay open, nothing answers. */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT). */
  thaw(): void;
  /** Stops it and removes its store dir. */
  destroy(): Promise<void>;
}

/** A private nats-server with JetStream on a free port and a temporary store dir. */
export async function startNatsServer(options: { config?: string; args?: string[] } = {}): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-nats-'));
  const storeDir = join(dir, 'store');
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...(options.args ?? [])];
  if (options.config !== undefined) {
    const configFile = join(dir, 'server.conf');
    writeFileSync(configFile, options.config);
    args.push('-c', configFile);
  }
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn('/usr/sbin/nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!/Server is ready/.test(log)) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start: ${log.slice(-500)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  await start();
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async kill(signal = 'SIGKILL') {
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill(signal);
      // A frozen server would never act on a SIGTERM.
      c.kill('SIGCONT');
      await exited;
    },
    async restart() {
      await server.kill();
      await start();
    },
    freeze() {
      child?.kill('SIGSTOP');
    },
    thaw() {
      child?.kill('SIGCONT');
    },
    async destroy() {
      await server.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
