import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/sluice.js`;

/** A `sluice gateway` or `sluice worker` running as its own process (the built CLI). */
export interface SluiceProcess {
  readonly role: 'gateway' | 'worker';
  /** The gateway's base URL (gateway only). */
  readonly url: string;
  /** The METRICS_PORT side server's base URL, when one was asked for. */
  readonly metricsUrl: string | undefined;
  /** When it was ready (ms since epoch). */
  readonly readyAt: number;
  /** Everything the process logged so far (JSON lines). */
  log(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code (null when killed). */
  stop(timeoutMs?: number): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every process startSluice started that still runs: for `after` hooks. */
export async function killAllSluice(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      running.delete(child);
    }),
  );
}

/** Fails when the CLI was never built: these tests run what users run, `node bin/sluice.js`. */
export function assertBuilt(): void {
  if (!existsSync(`${ROOT}dist/cli/main.js`)) throw new Error('dist/ is missing: run `npm run build` before `npm run test:cluster`');
}

/**
 * Starts `node bin/sluice.js ROLE` with `env` added to this process's environment and waits
 * until it serves: "gateway listening" for a gateway, "worker started" (and "metrics
 * listening" when METRICS_PORT is set) for a worker.
 */
export async function startSluice(role: 'gateway' | 'worker', env: Record<string, string>, timeoutMs = 90_000): Promise<SluiceProcess> {
  assertBuilt();
  const child: ChildProcess = spawn(process.execPath, [BIN, role], {
    cwd: ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const field = (message: string, key: string): string | undefined => {
    for (const line of output.split('\n')) {
      if (!line.includes(`"msg":"${message}"`)) continue;
      const value = (JSON.parse(line) as Record<string, unknown>)[key];
      if (value !== undefined) return String(value);
    }
    return undefined;
  };
  const deadline = Date.now() + timeoutMs;
  const wantMetrics = env.METRICS_PORT !== undefined;
  for (;;) {
    const ready = role === 'gateway' ? field('gateway listening', 'address') !== undefined : output.includes('"msg":"worker started"');
    if (ready && (!wantMetrics || field('metrics listening', 'port') !== undefined)) break;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`sluice ${role} exited before it was ready:\n${output.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sluice ${role} was not ready after ${timeoutMs} ms:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const metricsPort = field('metrics listening', 'port');
  return {
    role,
    readyAt: Date.now(),
    url: field('gateway listening', 'address') ?? '',
    metricsUrl: metricsPort === undefined ? undefined : `http://127.0.0.1:${metricsPort}`,
    log: () => output,
    async stop(stopTimeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Reads one counter (summed over its labels) from a Prometheus text page. */
export async function readCounter(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
