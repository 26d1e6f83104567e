/** HTTP load against a server process (bench/load.ts, bench/paced.ts, wrk), and the row it makes. */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMeter, peakRssMb } from '../proc.js';
import { runJson } from './processes.js';
import type { Row } from './report.js';

export interface LoadResult {
  /** bench/paced.ts only: how late the generator itself sent its requests (p99, ms). */
  sendLagP99?: number;
  requestsPerSecond: number;
  total: number;
  /** bench/load.ts only: answers with a 2xx status (every one, including those after the run's last second). */
  ok?: number;
  /** bench/load.ts only: epoch ms when the measured run started, and when its last answer came. */
  startedAt?: number;
  endedAt?: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

export interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50: string;
  readonly p99: string;
  readonly non2xx?: string;
  readonly error?: string;
}

export type Measured = LoadResult & { cpu: number; rss: number; wrk?: WrkResult };

/** Options of bench/load.ts and bench/paced.ts (see there); `label` names the run in the wrk table. */
export type LoadOptions = Record<string, unknown>;

/** autocannon as fast as the server answers; with `rate`, bench/paced.ts's evenly spaced requests instead. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  const generator = options.rate !== undefined ? 'bench/paced.ts' : 'bench/load.ts';
  return (await runJson<LoadResult>(['--import', 'tsx', generator, JSON.stringify(options)])).result;
}

/**
 * Load against a server process, with the server's CPU share and peak memory over the run.
 * With `wrk`, a full-speed load is measured again by wrk right after, and returned.
 */
export async function measure(pid: number, options: LoadOptions, wrk = false): Promise<Measured> {
  const meter = cpuMeter(pid);
  const result = await load(options);
  const measured = { ...result, cpu: meter.stop(), rss: peakRssMb(pid) };
  if (!wrk || options.rate !== undefined) return measured;
  return { ...measured, wrk: await crossCheck(String(options.url), options) };
}

/** The same load from wrk: 2 s of warm-up, then the run. */
async function crossCheck(url: string, options: LoadOptions): Promise<WrkResult> {
  const script = join(tmpdir(), `sluice-bench-wrk-${process.pid}.lua`);
  const body = options.bodyFile !== undefined ? readFileSync(String(options.bodyFile), 'utf8') : (options.body as string | undefined);
  const lua = body === undefined ? '' : `wrk.method = "POST"\nwrk.headers["content-type"] = ${JSON.stringify(options.contentType ?? 'application/json')}\nwrk.body = [==[${body}]==]\n`;
  writeFileSync(script, lua);
  const args = ['-t1', `-c${Number(options.connections)}`, '--latency', '-s', script, url];
  spawnSync('wrk', [...args.slice(0, 2), '-d2s', ...args.slice(2)], { encoding: 'utf8' });
  const run = spawnSync('wrk', [...args.slice(0, 2), `-d${Number(options.durationSeconds)}s`, ...args.slice(2)], { encoding: 'utf8' });
  rmSync(script, { force: true });
  if (run.error !== undefined || run.status !== 0) return { requestsPerSecond: NaN, p50: '?', p99: '?', error: run.error?.message ?? run.stderr.trim() };
  const out = run.stdout;
  const at = (p: string): string => new RegExp(`^\\s+${p}%\\s+([\\d.]+\\w+)`, 'm').exec(out)?.[1] ?? '?';
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1];
  return { requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: at('50'), p99: at('99'), ...(non2xx !== undefined ? { non2xx } : {}) };
}

/** One line of the wrk table: the median run by requests/s, and every run's rate when there were several. */
export function wrkLine(label: string, connections: number, runs: readonly WrkResult[]): string {
  const failed = runs.find((r) => r.error !== undefined);
  if (failed !== undefined) return `${label}: wrk did not run (${failed.error})`;
  const median = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(runs.length / 2)]!;
  const rounds = runs.length > 1 ? ` (median of ${runs.length} rounds: ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')})` : '';
  return `${label} (${connections} connections): ${median.requestsPerSecond} requests/s, p50 ${median.p50}, p99 ${median.p99}${median.non2xx !== undefined ? `, ${median.non2xx} non-2xx` : ''}${rounds}`;
}

/** A row from one HTTP load: events/s counts the 2xx answers only. */
export function httpRow(workload: string, r: LoadResult & { cpu: number; rss: number }, eventsPerRequest = 1, baseline?: string): Row {
  const note = r.non2xx + r.errors + r.timeouts > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts` : undefined;
  const okShare = r.total === 0 ? 0 : (r.total - r.non2xx) / r.total;
  return {
    workload,
    eventsPerSecond: Math.round(r.requestsPerSecond * okShare * eventsPerRequest),
    p50Ms: r.p50,
    p99Ms: r.p99,
    cpuPercent: Math.round(r.cpu),
    peakRssMb: Math.round(r.rss),
    ...(baseline !== undefined ? { baseline } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}
