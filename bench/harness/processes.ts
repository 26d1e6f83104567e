/** The bench's child processes: started, stopped, profiled, and all killed should the bench fail. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, peakRssMb } from '../proc.js';

export const ROOT = new URL('../..', import.meta.url).pathname;

export const log = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

const children = new Set<ChildProcess>();
let profileDirs: { cpu?: string; heap?: string } = {};

/** Where `--prof` / `--heap-prof` profiles go; each profiled process gets a folder of its own, named by its label. */
export function setProfileDirs(dirs: { cpu?: string; heap?: string }): void {
  profileDirs = dirs;
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  /** Profile this process under `--prof` / `--heap-prof`, into a folder of this name. */
  readonly profileAs?: string;
}

/** Starts `node ARGS` in the repository. Its exit with an error is logged with the end of its stderr. */
export function startProcess(args: string[], options: StartOptions = {}): ChildProcess {
  const prefix: string[] = [];
  if (options.profileAs !== undefined && profileDirs.cpu !== undefined) {
    const dir = join(profileDirs.cpu, options.profileAs);
    mkdirSync(dir, { recursive: true });
    prefix.push('--cpu-prof', '--cpu-prof-dir', dir);
  }
  if (options.profileAs !== undefined && profileDirs.heap !== undefined) {
    const dir = join(profileDirs.heap, options.profileAs);
    mkdirSync(dir, { recursive: true });
    prefix.push('--heap-prof', '--heap-prof-dir', dir);
  }
  const child = spawn(process.execPath, [...prefix, ...args], { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-2000);
  });
  child.stdout?.resume();
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (code !== 0 && code !== null && signal === null) log(`${args.join(' ')} exited with ${code}: ${errors}`);
  });
  children.add(child);
  return child;
}

/** SIGTERM (a profiled process writes its profile on the way out), SIGKILL after 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

export interface ChildRun {
  readonly pid: number;
  readonly stdout: string;
  readonly rssMb: number;
  /** CPU share of one core over the child's life. */
  readonly cpuPercent: number;
}

/**
 * Runs `node ARGS` to completion, with its peak RSS and its CPU share over its life (both
 * sampled every 200 ms while it ran: an exited process has no status to read).
 */
export async function runChild(args: string[], env: Record<string, string> = {}): Promise<ChildRun> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  let rssMb = 0;
  let cpu = 0;
  const sample = (): void => {
    try {
      rssMb = Math.max(rssMb, peakRssMb(child.pid!));
      cpu = Math.max(cpu, cpuSeconds(child.pid!));
    } catch {
      /* exited */
    }
  };
  const sampler = setInterval(sample, 200);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  children.delete(child);
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  return { pid: child.pid!, stdout: out, rssMb, cpuPercent: (100 * cpu) / ((performance.now() - t0) / 1000) };
}

/** runChild, and the last line it printed as JSON. */
export async function runJson<T>(args: string[], env: Record<string, string> = {}): Promise<ChildRun & { result: T }> {
  const run = await runChild(args, env);
  return { ...run, result: JSON.parse(run.stdout.trim().split('\n').pop()!) as T };
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
