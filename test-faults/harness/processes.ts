// Runs the real `sluice` commands as child processes, the way an operator would, so a fault
// scenario can SIGKILL one and start it again.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'sluice.js');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isBuilt(): boolean {
  try {
    return statSync(MAIN).mtimeMs >= newestSource(join(ROOT, 'src'));
  } catch {
    return false;
  }
}

/**
 * Makes sure dist/ holds the current sources (`npm run build`), once across the test files
 * that run at the same time: a lock directory keeps two builds from racing.
 */
export async function ensureBuilt(): Promise<void> {
  const lock = join(ROOT, '.faults-build-lock');
  const deadline = Date.now() + 180_000;
  while (!isBuilt()) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`waited too long for another build (remove ${lock} if it is stale)`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      continue;
    }
    try {
      if (isBuilt()) break;
      const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
      if (result.status !== 0) throw new Error('npm run build failed');
    } finally {
      rmdirSync(lock);
    }
  }
}

export type SluiceCommand = 'gateway' | 'worker' | 'dev' | 'deliver';

/** One running `sluice` process. */
export interface SluiceProcess {
  readonly name: string;
  readonly pid: number;
  /** The gateway's base URL, for gateway and dev. */
  readonly url: string;
  /** The last lines it printed (for failure messages). */
  logTail(lines?: number): string;
  running(): boolean;
  /** Sends a signal and waits for the exit (SIGKILL by default: a crash). */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  readonly name: string;
  readonly env: Record<string, string>;
  /** For gateway and dev: the port to listen on (fixed so a restart keeps the URL). */
  readonly port?: number;
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `node bin/sluice.js <command>` with only the given environment (plus PATH), and
 * resolves once it is ready: its gateway answers /health/live, or its worker logged that it
 * started.
 */
export async function startSluice(command: SluiceCommand, options: StartOptions): Promise<SluiceProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    ...(options.port !== undefined ? { PORT: String(options.port) } : {}),
    ...options.env,
  };
  const child: ChildProcess = spawn(process.execPath, [BIN, command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  const take = (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (lines.length > 400) lines.splice(0, lines.length - 400);
  };
  child.stdout!.setEncoding('utf8').on('data', take);
  child.stderr!.setEncoding('utf8').on('data', take);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  const url = options.port !== undefined ? `http://127.0.0.1:${options.port}` : '';
  const proc: SluiceProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    url,
    logTail: (n = 30) => lines.slice(-n).join('\n'),
    running,
    async kill(signal = 'SIGKILL', timeoutMs = 25_000) {
      if (!running()) return exit;
      child.kill(signal);
      const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref());
      const result = await Promise.race([exit, timer]);
      if (result === null) {
        child.kill('SIGKILL');
        throw new Error(`${options.name} did not exit within ${timeoutMs} ms of ${signal}:\n${proc.logTail()}`);
      }
      return result;
    },
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (!running()) throw new Error(`${options.name} exited before it was ready:\n${proc.logTail()}`);
    if (Date.now() > deadline) {
      await proc.kill();
      throw new Error(`${options.name} was not ready in time:\n${proc.logTail()}`);
    }
    const ready =
      command === 'worker' ? lines.some((l) => l.includes('"worker started"')) : command === 'deliver' ? lines.some((l) => l.includes('"delivery started"')) : await answersLive(url);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // dev also runs a worker: ready means both parts are up.
  if (command === 'dev') {
    while (!lines.some((l) => l.includes('"worker started"'))) {
      if (!running() || Date.now() > deadline) throw new Error(`${options.name}: its worker did not start:\n${proc.logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return proc;
}

/** True when GET /health/live answers 200 within a second. */
export async function answersLive(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/health/live`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Resident memory of a process in bytes, from /proc (Linux). */
export function residentBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
