/**
 * `npm run bench`: Sluice's throughput, latency, CPU and memory next to what the same machine
 * does without Sluice, measured in one run. Loopback only; starts its own nats-server and a
 * fresh PostgreSQL database, runs every server and the load generator as separate processes.
 *
 *   npm run bench                          all workloads (about 8 minutes)
 *   npm run bench -- --seconds 5           shorter load runs
 *   npm run bench -- --archive 10000000    also list GET /events over an archive of that size
 *   npm run bench -- --no-build            skip `npm run build`
 *   npm run bench -- --only drain,batch    some sections: hello, naive, single, batch, raw, drain, e2e, startup
 *   npm run bench -- --prof DIR            Sluice processes write `node --cpu-prof` profiles into DIR
 *   npm run bench -- --heap-prof DIR       … and `node --heap-prof` (sampled allocations) into DIR
 *   npm run bench -- --wrk                 each full-speed HTTP row measured again with wrk (apt install wrk)
 *   npm run bench -- --rounds 5            rounds of the single-event servers, loaded in turn (default 3, median)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.js';
import { freePort, startNatsServer, type NatsServer } from '../test/helpers/nats.js';
import { newEventId } from '../src/envelope/index.js';
import { eventBody } from './payload.js';
import { percentile } from './percentile.js';
import { cpuMeter, peakRssMb } from './proc.js';

const ROOT = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const SECONDS = Number(flag('--seconds') ?? 10);
const ARCHIVE_ROWS = Number(flag('--archive') ?? 0);
const DRAIN_EVENTS = Number(flag('--drain') ?? 200_000);
const CONNECTIONS = 100;
/** Rounds of the single-event servers, loaded in turn (median reported), and each round's length. */
const ROUNDS = Number(flag('--rounds') ?? 3);
const ROUND_SECONDS = Math.max(3, Math.round(SECONDS / 2));
const BATCH_LINES = 1000;
const BATCH_CONNECTIONS = 4;
const ONLY = flag('--only')?.split(',');
const PROFILE_DIR = flag('--prof');
const HEAP_PROFILE_DIR = flag('--heap-prof');
/** Also load each HTTP server with wrk (a C load generator, if installed) right after each autocannon run: a second opinion. */
const WRK = argv.includes('--wrk');
/** Is a section of the run selected (`--only`)? The raw COPY baseline runs with the drain. */
const want = (section: string): boolean => ONLY === undefined || ONLY.includes(section) || (section === 'copy' && ONLY.includes('drain'));

interface Row {
  workload: string;
  eventsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuPercent: number | null;
  peakRssMb: number | null;
  /** The row this one is compared with. */
  baseline?: string;
  note?: string;
}

interface LoadResult {
  /** bench/paced.ts only: how late the generator itself sent its requests (p99, ms). */
  sendLagP99?: number;
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

const rows: Row[] = [];
const extra: Record<string, number | string> = {};
const children = new Set<ChildProcess>();
const log = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

function startProcess(args: string[], env: Record<string, string> = {}): ChildProcess {
  if (PROFILE_DIR !== undefined && args[0] === 'bin/sluice.js') args = ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, ...args];
  if (HEAP_PROFILE_DIR !== undefined && args[0] === 'bin/sluice.js') args = ['--heap-prof', '--heap-prof-dir', HEAP_PROFILE_DIR, ...args];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Runs a child to completion and returns the last JSON line it printed. */
async function runJson<T>(args: string[], env: Record<string, string> = {}): Promise<{ result: T; pid: number }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  children.delete(child);
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  const last = out.trim().split('\n').pop()!;
  return { result: JSON.parse(last) as T, pid: child.pid! };
}

/** autocannon as fast as the server answers; with `rate`, bench/paced.ts's evenly spaced requests instead. */
function load(options: Record<string, unknown>): Promise<LoadResult> {
  const generator = options.rate !== undefined ? 'bench/paced.ts' : 'bench/load.ts';
  return runJson<LoadResult>(['--import', 'tsx', generator, JSON.stringify(options)]).then((r) => r.result);
}

/**
 * Load against a server process, with the server's CPU share and peak memory over the run.
 * With `--wrk`, a full-speed load is measured again by wrk; its result is returned (`wrk`),
 * and unless `keepWrk` is set, also written as a line of the wrk table.
 */
async function measure(pid: number, options: Record<string, unknown>, keepWrk = false): Promise<LoadResult & { cpu: number; rss: number; wrk?: WrkResult }> {
  const meter = cpuMeter(pid);
  const result = await load(options);
  const measured = { ...result, cpu: meter.stop(), rss: peakRssMb(pid) };
  if (!WRK || options.rate !== undefined) return measured;
  const wrk = await crossCheck(String(options.url), options);
  if (!keepWrk) wrkRows.push(wrkLine(options, [wrk]));
  return { ...measured, wrk };
}

interface WrkResult {
  readonly requestsPerSecond: number;
  readonly p50: string;
  readonly p99: string;
  readonly non2xx?: string;
  readonly error?: string;
}

const wrkRows: string[] = [];

/** The same load from wrk: 2 s of warm-up, then the run. */
async function crossCheck(url: string, options: Record<string, unknown>): Promise<WrkResult> {
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
function wrkLine(options: Record<string, unknown>, runs: readonly WrkResult[]): string {
  const label = typeof options.label === 'string' ? options.label : new URL(String(options.url)).pathname;
  const failed = runs.find((r) => r.error !== undefined);
  if (failed !== undefined) return `${label}: wrk did not run (${failed.error})`;
  const median = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(runs.length / 2)]!;
  const rounds = runs.length > 1 ? ` (median of ${runs.length} rounds: ${runs.map((r) => r.requestsPerSecond.toFixed(0)).join(', ')})` : '';
  return `${label} (${Number(options.connections)} connections): ${median.requestsPerSecond} requests/s, p50 ${median.p50}, p99 ${median.p99}${median.non2xx !== undefined ? `, ${median.non2xx} non-2xx` : ''}${rounds}`;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

const BODY = eventBody(1);
const postEvent = async (url: string, authorization?: string): Promise<boolean> =>
  (await fetch(`${url}/events/order.created`, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) }, body: BODY })).status === 202;

interface SluiceNames {
  stream: string;
  prefix: string;
  consumer: string;
}

let runTag = 0;
function names(label: string): SluiceNames {
  runTag++;
  return { stream: `BENCH_${label.toUpperCase()}_${runTag}`, prefix: `bench${runTag}`, consumer: `bench_${label}_${runTag}` };
}

function sluiceEnv(nats: NatsServer, db: TestDatabase, n: SluiceNames, more: Record<string, string> = {}): Record<string, string> {
  return {
    NATS_URL: nats.url,
    DATABASE_URL: db.url,
    NATS_STREAM: n.stream,
    NATS_SUBJECT_PREFIX: n.prefix,
    SLUICE_CONSUMER: n.consumer,
    SLUICE_ENTITIES: join(ROOT, 'bench/entities.yaml'),
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    ...more,
  };
}

/** Starts `sluice <command>` and waits for its first 202 (gateway) ; returns the start-up time. */
async function startGateway(command: 'gateway' | 'dev', env: Record<string, string>, authorization?: string): Promise<{ child: ChildProcess; url: string; startupMs: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = startProcess(['bin/sluice.js', command], { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => postEvent(url, authorization), `sluice ${command} to accept an event`, 30_000, 5);
  return { child, url, startupMs: performance.now() - t0 };
}

async function startBaseline(script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = startProcess(['--import', 'tsx', script, String(port), ...args]);
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => postEvent(url), `${script} to listen`);
  return { child, url };
}

function singleLoad(url: string, extraOptions: Record<string, unknown> = {}): Record<string, unknown> {
  return { url: `${url}/events/order.created`, body: BODY, contentType: 'application/json', connections: CONNECTIONS, durationSeconds: SECONDS, ...extraOptions };
}

function httpRow(workload: string, r: LoadResult & { cpu: number; rss: number }, eventsPerRequest = 1, baseline?: string): Row {
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

async function consumerState(jsm: JetStreamManager, stream: string, consumer: string): Promise<{ acked: number; done: boolean; delivered: number }> {
  const info = await jsm.consumers.info(stream, consumer);
  return { acked: info.ack_floor.stream_seq, delivered: info.delivered.stream_seq, done: info.num_pending === 0 && info.num_ack_pending === 0 };
}

async function main(): Promise<void> {
  if (!argv.includes('--no-build')) {
    log('npm run build');
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  try {
    log(`nats ${nats.url}, database ${db.name}, ${SECONDS} s per run`);
    const migrated = spawnSync(process.execPath, ['bin/sluice.js', 'migrate'], { cwd: ROOT, env: { ...process.env, ...sluiceEnv(nats, db, names('migrate')) }, stdio: ['ignore', 'ignore', 'inherit'] });
    if (migrated.status !== 0) throw new Error('sluice migrate failed');

    // Single events: Fastify hello world, the naive gateway and Sluice, all running, loaded in
    // turn for ROUNDS rounds; each row is the median round. The machine's speed drifts by tens of
    // percent within minutes: interleaving puts the same drift under all three.
    const servers: Array<{ workload: string; baseline?: string; child: ChildProcess; url: string; authorization?: string; runs: Array<LoadResult & { cpu: number; rss: number; wrk?: WrkResult }> }> = [];
    if (want('hello')) {
      log('fastify hello-world');
      const { child, url } = await startBaseline('bench/servers/hello.ts', []);
      servers.push({ workload: 'fastify hello-world POST', child, url, runs: [] });
    }
    const naiveNames = names('naive');
    if (want('naive')) {
      log('naive gateway');
      await jsm.streams.add({ name: naiveNames.stream, subjects: [`${naiveNames.prefix}.>`] });
      const { child, url } = await startBaseline('bench/servers/naive.ts', [nats.url, naiveNames.prefix]);
      servers.push({ workload: 'naive gateway (await publish)', baseline: 'fastify hello-world POST', child, url, runs: [] });
    }
    const single = names('single');
    let sluiceGateway: { child: ChildProcess; url: string } | undefined;
    if (want('single')) {
      log('sluice gateway, single events');
      const { child, url, startupMs } = await startGateway('gateway', sluiceEnv(nats, db, single));
      extra.startupJetStreamPostgresMs = Math.round(startupMs);
      sluiceGateway = { child, url };
      servers.push({ workload: 'sluice POST /events/{type}', baseline: 'fastify hello-world POST', child, url, runs: [] });
      // The same gateway with a keys file: a key scoped to ingest and order.*, with a rate far
      // above the load, so every request pays the checks (hash, scope, type, token bucket) and none is refused.
      log('sluice gateway, single events with a scoped, rate-limited key');
      const key = 'bench-key-0123456789abcdef';
      const keysFile = join(scratch, 'keys.yaml');
      writeFileSync(keysFile, `keys:\n  - name: bench\n    hash: sha256:${createHash('sha256').update(key).digest('hex')}\n    scopes: [ingest]\n    types: ["order.*"]\n    rate: 10000000/s\n`);
      const keyed = await startGateway('gateway', { ...sluiceEnv(nats, db, single), SLUICE_KEYS_FILE: keysFile }, `Bearer ${key}`);
      servers.push({ workload: 'sluice POST /events/{type}, scoped rate-limited key', baseline: 'sluice POST /events/{type}', child: keyed.child, url: keyed.url, authorization: `Bearer ${key}`, runs: [] });
    }
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round starts with another server, so none always runs right after the same neighbour.
      const order = servers.map((_, i) => servers[(i + round - 1) % servers.length]!);
      for (const server of order) {
        log(`${server.workload}, round ${round} of ${ROUNDS}`);
        // wrk runs right after autocannon in every round, so its median comes from the same interleaving.
        server.runs.push(await measure(server.child.pid!, singleLoad(server.url, { durationSeconds: ROUND_SECONDS, label: server.workload, ...(server.authorization !== undefined ? { authorization: server.authorization } : {}) }), true));
      }
    }
    for (const server of servers) {
      const ordered = [...server.runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
      const median = ordered[Math.floor(ordered.length / 2)]!;
      const rates = server.runs.map((r) => Math.round(r.requestsPerSecond)).join(', ');
      const wrkRuns = server.runs.flatMap((r) => (r.wrk !== undefined ? [r.wrk] : []));
      if (wrkRuns.length > 0) wrkRows.push(wrkLine(singleLoad(server.url, { durationSeconds: ROUND_SECONDS, label: server.workload }), wrkRuns));
      const row = httpRow(server.workload, { ...median, rss: Math.max(...server.runs.map((r) => r.rss)) }, 1, server.baseline);
      rows.push({ ...row, note: [row.note, `median of ${ROUNDS} rounds: ${rates}`].filter(Boolean).join('; ') });
      if (server.child !== sluiceGateway?.child) await stopProcess(server.child);
    }
    if (want('naive')) await jsm.streams.delete(naiveNames.stream);

    // Sluice gateway: at half its rate for latency, then /health.
    if (sluiceGateway !== undefined) {
      const { child, url } = sluiceGateway;
      const full = rows.find((r) => r.workload === 'sluice POST /events/{type}')!;
      log('sluice gateway, half rate');
      const half = Math.max(1, Math.round(full.eventsPerSecond / 2));
      // In rounds, each followed by the floor under that latency: JetStream's own publish-to-ack
      // time at the same rate, on the same server, without HTTP. Median round of each by p99.
      const halfRuns: Array<LoadResult & { cpu: number; rss: number }> = [];
      const floors: Array<{ published: number; p50: number; p99: number }> = [];
      // Full-length rounds: one stall of the machine (tens of milliseconds) moves the p99 of a short round much more.
      for (let round = 1; round <= ROUNDS; round++) {
        halfRuns.push(await measure(child.pid!, singleLoad(url, { rate: half, durationSeconds: SECONDS })));
        floors.push((await runJson<{ published: number; p50: number; p99: number }>(['--import', 'tsx', 'bench/publish.ts', 'paced', nats.url, `${single.prefix}.floor`, String(half), String(SECONDS)])).result);
      }
      const byP99 = <T extends { p99: number }>(list: T[]): T => [...list].sort((a, b) => a.p99 - b.p99)[Math.floor(list.length / 2)]!;
      const halfRun = byP99(halfRuns);
      const floor = byP99(floors);
      rows.push({
        ...httpRow(`sluice single at half rate (${half}/s, paced)`, halfRun, 1, 'sluice POST /events/{type}'),
        note: `median of ${ROUNDS} rounds by p99: ${halfRuns.map((r) => r.p99).join(', ')} ms; the load generator's own send lag p99 in each: ${halfRuns.map((r) => r.sendLagP99).join(', ')} ms`,
      });
      rows.push({
        workload: `raw JetStream publish paced at ${half}/s (no HTTP)`,
        eventsPerSecond: Math.round(floor.published / SECONDS),
        p50Ms: floor.p50,
        p99Ms: floor.p99,
        cpuPercent: null,
        peakRssMb: null,
        note: `the floor under the row above; rounds after it: ${floors.map((f) => f.p99).join(', ')} ms`,
      });
      log('GET /health');
      // Paced at 1000/s, as probes and dashboards ask; then as fast as 10 connections can.
      const health = await measure(child.pid!, { url: `${url}/health`, method: 'GET', rate: 1000, connections: 10, durationSeconds: Math.min(5, SECONDS) });
      extra.healthP99Ms = health.p99;
      const healthFlat = await measure(child.pid!, { url: `${url}/health`, method: 'GET', connections: 10, durationSeconds: Math.min(5, SECONDS), label: 'sluice GET /health' });
      extra.healthFullSpeedP99Ms = healthFlat.p99;
      extra.healthFullSpeedRequestsPerSecond = Math.round(healthFlat.requestsPerSecond);
      await stopProcess(child);
      await jsm.streams.delete(single.stream);
    }

    // Sluice gateway: NDJSON batches.
    if (want('batch')) {
      log('sluice gateway, NDJSON batches');
      const n = names('batch');
      const { child, url } = await startGateway('gateway', sluiceEnv(nats, db, n, { SLUICE_MAX_INFLIGHT: String(BATCH_LINES * BATCH_CONNECTIONS * 2) }));
      const bodyFile = join(scratch, 'batch.ndjson');
      writeFileSync(bodyFile, Array.from({ length: BATCH_LINES }, (_, i) => eventBody(i)).join('\n'));
      const r = await measure(child.pid!, { url: `${url}/ingest/batch?type=order.created`, bodyFile, contentType: 'application/x-ndjson', connections: BATCH_CONNECTIONS, durationSeconds: SECONDS, label: 'sluice NDJSON batches of 1000' });
      rows.push(httpRow(`sluice NDJSON batches of ${BATCH_LINES}`, r, BATCH_LINES, 'raw pipelined publish (1000 in flight)'));
      await stopProcess(child);
      await jsm.streams.delete(n.stream);
    }

    // Baseline: raw pipelined JetStream publish.
    if (want('raw')) {
      log('raw pipelined publish');
      const n = names('raw');
      await jsm.streams.add({ name: n.stream, subjects: [`${n.prefix}.>`] });
      const child = startProcess(['--import', 'tsx', 'bench/publish.ts', 'raw', nats.url, `${n.prefix}.raw`, String(SECONDS)]);
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      // The CPU share counts from the process start (the connect and the module load are a small part of it).
      const meter = cpuMeter(child.pid!);
      let rss = 0;
      const sampler = setInterval(() => {
        try {
          // An exiting process's status has no VmHWM line any more (0): keep the last reading.
          rss = Math.max(rss, peakRssMb(child.pid!));
        } catch {
          /* exited */
        }
      }, 200);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearInterval(sampler);
      if (code !== 0) throw new Error('raw publish failed');
      let cpu = 0;
      try {
        cpu = meter.stop();
      } catch {
        cpu = NaN;
      }
      const { published, seconds } = JSON.parse(out.trim().split('\n').pop()!) as { published: number; seconds: number };
      rows.push({ workload: 'raw pipelined publish (1000 in flight)', eventsPerSecond: Math.round(published / seconds), p50Ms: null, p99Ms: null, cpuPercent: Number.isNaN(cpu) ? null : Math.round(cpu), peakRssMb: Math.round(rss) });
      await jsm.streams.delete(n.stream);
    }

    // Baseline: raw COPY of the same archive rows into the same table.
    if (want('copy')) {
      log(`raw COPY of ${DRAIN_EVENTS} rows`);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows: [backend] } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const now = new Date().toISOString();
      const lines: string[] = [];
      for (let i = 0; i < DRAIN_EVENTS; i++) {
        lines.push(`${newEventId()}\torder.created\t/bench\t${now}\t${now}\t${i + 1}\t${eventBody(i).replace(/\\/g, '\\\\')}\n`);
      }
      const meter = cpuMeter(backend!.pid);
      const t0 = performance.now();
      await client.query('BEGIN');
      const stream = client.query(copyFrom('COPY sluice.events (id, type, source, time, received_at, stream_seq, data) FROM STDIN'));
      await new Promise<void>((resolve, reject) => {
        stream.on('finish', resolve);
        stream.on('error', reject);
        for (let i = 0; i < lines.length; i += 1000) stream.write(lines.slice(i, i + 1000).join(''));
        stream.end();
      });
      await client.query('COMMIT');
      const seconds = (performance.now() - t0) / 1000;
      rows.push({ workload: `raw COPY into sluice.events (${DRAIN_EVENTS} rows)`, eventsPerSecond: Math.round(DRAIN_EVENTS / seconds), p50Ms: null, p99Ms: null, cpuPercent: Math.round(meter.stop()), peakRssMb: null, note: 'CPU: the PostgreSQL backend' });
      await client.query('TRUNCATE sluice.events');
      await client.end();
    }

    // The worker alone, draining a pre-filled stream.
    let drainRate = 0;
    if (want('drain')) {
      log(`worker drain of ${DRAIN_EVENTS} events (prefill)`);
      const n = names('drain');
      await jsm.streams.add({ name: n.stream, subjects: [`${n.prefix}.>`] });
      await runJson(['--import', 'tsx', 'bench/publish.ts', 'prefill', nats.url, n.prefix, String(DRAIN_EVENTS)]);
      log('worker drain');
      const child = startProcess(['bin/sluice.js', 'worker'], sluiceEnv(nats, db, n));
      let first: { at: number; acked: number } | undefined;
      let meter: { stop(): number } | undefined;
      await waitFor(
        async () => {
          const state = await consumerState(jsm, n.stream, n.consumer);
          if (first === undefined && state.delivered > 0) {
            first = { at: performance.now(), acked: state.acked };
            meter = cpuMeter(child.pid!);
          }
          return state.done && state.acked >= DRAIN_EVENTS;
        },
        'the worker to drain the stream',
        600_000,
        50,
      );
      const seconds = (performance.now() - first!.at) / 1000;
      drainRate = Math.round((DRAIN_EVENTS - first!.acked) / seconds);
      const cpu = meter!.stop();
      const rss = peakRssMb(child.pid!);
      const [counts] = await db.query<{ events: string; orders: string; statuses: string }>(
        'SELECT (SELECT count(*) FROM sluice.events) AS events, (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM sluice.message_status) AS statuses',
      );
      const ok = Number(counts!.events) === DRAIN_EVENTS && Number(counts!.orders) === DRAIN_EVENTS / 2;
      rows.push({
        workload: `worker drain (${DRAIN_EVENTS}, archive+status+entity)`,
        eventsPerSecond: drainRate,
        p50Ms: null,
        p99Ms: null,
        cpuPercent: Math.round(cpu),
        peakRssMb: Math.round(rss),
        baseline: `raw COPY into sluice.events (${DRAIN_EVENTS} rows)`,
        note: ok ? 'rows verified' : `ROWS MISSING: ${JSON.stringify(counts)}`,
      });
      await stopProcess(child);
      await jsm.streams.delete(n.stream);
    }

    // End to end: HTTP → 202 → worker → persisted, at a rate both sides can hold.
    let e2eGateway: { child: ChildProcess; url: string } | undefined;
    if (want('e2e')) {
      log('end to end');
      const e2e = names('e2e');
      const singleRate = rows.find((r) => r.workload === 'sluice POST /events/{type}')?.eventsPerSecond ?? 2000;
      drainRate ||= 2000;
      // A quarter of the slower side's own rate: the gateway and the worker now share the two cores
      // (with NATS, PostgreSQL and the load generator), and an open-loop rate they cannot hold
      // together measures a growing queue rather than the pipeline's latency.
      const rate = Math.max(100, Math.round(Math.min(singleRate, drainRate) / 4));
      const gateway = await startGateway('gateway', sluiceEnv(nats, db, e2e));
      e2eGateway = gateway;
      const worker = startProcess(['bin/sluice.js', 'worker'], sluiceEnv(nats, db, e2e));
      await waitFor(async () => (await consumerState(jsm, e2e.stream, e2e.consumer)).done, 'the e2e worker to start');
      const idsFile = join(scratch, 'e2e-ids.tsv');
      const meter = cpuMeter(gateway.child.pid!);
      const workerMeter = cpuMeter(worker.pid!);
      const t0 = performance.now();
      const r = await load(singleLoad(gateway.url, { rate, recordIds: idsFile }));
      const gatewayCpu = meter.stop();
      await waitFor(async () => (await consumerState(jsm, e2e.stream, e2e.consumer)).done, 'the e2e worker to drain', 120_000, 50);
      const seconds = (performance.now() - t0) / 1000;
      const workerCpu = workerMeter.stop();
      const accepted = readFileSync(idsFile, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t') as [string, string]);
      const acceptedAt = new Map(accepted.map(([id, at]) => [id, Number(at)]));
      const persisted = await db.query<{ message_id: string; at: string }>(
        "SELECT message_id, (extract(epoch FROM processed_at) * 1000)::float8 AS at FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND status = 'persisted'",
        [[...acceptedAt.keys()]],
      );
      const latencies = persisted.map((p) => Number(p.at) - acceptedAt.get(p.message_id)!).sort((a, b) => a - b);
      rows.push({
        workload: `end to end at ${rate}/s: 202 → persisted`,
        eventsPerSecond: Math.round(persisted.length / seconds),
        p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
        p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
        cpuPercent: Math.round(gatewayCpu + workerCpu),
        peakRssMb: Math.round(peakRssMb(gateway.child.pid!) + peakRssMb(worker.pid!)),
        note: `${persisted.length}/${accepted.length} persisted; HTTP p99 ${r.p99} ms; CPU and RSS: gateway + worker`,
      });
      await stopProcess(worker);
    }

    if (ARCHIVE_ROWS > 0 && e2eGateway !== undefined) await archiveListing(db, e2eGateway.url);
    if (e2eGateway !== undefined) await stopProcess(e2eGateway.child);

    if (want('startup')) {
      log('start-up, embedded');
      const dataDir = join(scratch, 'embedded');
      const { child, startupMs } = await startGateway('dev', { SLUICE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', HOST: '127.0.0.1', SLUICE_ENTITIES: join(ROOT, 'bench/entities.yaml') });
      extra.startupEmbeddedMs = Math.round(startupMs);
      await stopProcess(child);
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await nc.close();
    await db.drop().catch(() => undefined);
    await nats.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
  report();
}

/** GET /events page times and the list query's plan over a large archive (`--archive N`). */
async function archiveListing(db: TestDatabase, url: string): Promise<void> {
  log(`archive listing: inserting ${ARCHIVE_ROWS} rows`);
  const t0 = performance.now();
  await db.query('TRUNCATE sluice.events');
  // Spread over the partitions of yesterday, today and tomorrow, in stream order.
  await db.query(
    `INSERT INTO sluice.events (id, type, source, time, received_at, stream_seq, data)
     SELECT gen_random_uuid(), CASE WHEN g % 4 = 0 THEN 'order.created' ELSE 'page.viewed' END, '/bench',
            now() - interval '1 day' + (g::float8 / $1) * interval '2 days', now() - interval '1 day' + (g::float8 / $1) * interval '2 days',
            g, '{"order_id":"o","status":"paid","total":1}'::jsonb
     FROM generate_series(1, $1::bigint) AS g`,
    [ARCHIVE_ROWS],
  );
  await db.query('ANALYZE sluice.events');
  extra.archiveRows = ARCHIVE_ROWS;
  extra.archiveInsertSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const pages: Record<string, number[]> = { first: [], typed: [] };
  for (let i = 0; i < 50; i++) {
    for (const [name, path] of [['first', '/events?limit=100'], ['typed', '/events?limit=100&type=order.created']] as const) {
      const started = performance.now();
      const response = await fetch(`${url}${path}`);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
      pages[name]!.push(performance.now() - started);
    }
  }
  for (const [name, times] of Object.entries(pages)) {
    times.sort((a, b) => a - b);
    extra[`listPage_${name}_p50Ms`] = Math.round(percentile(times, 50) * 10) / 10;
    extra[`listPage_${name}_p99Ms`] = Math.round(percentile(times, 99) * 10) / 10;
  }
  const plan = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS) SELECT id, type, source, subject, time, received_at, stream_seq, data::text AS data_text, origin_id, entity_type, traceparent, extensions
     FROM sluice.events WHERE stream_seq > $1 AND stream_seq <= $2 AND type = $3 ORDER BY stream_seq LIMIT 100`,
    [Math.floor(ARCHIVE_ROWS / 2), ARCHIVE_ROWS, 'order.created'],
  );
  process.stdout.write(`\nEXPLAIN ANALYZE, list query (type filter, from the middle of ${ARCHIVE_ROWS} rows):\n${plan.map((p) => p['QUERY PLAN']).join('\n')}\n`);
}

function report(): void {
  const byName = new Map(rows.map((r) => [r.workload, r]));
  const ratio = (a: number | null, b: number | null | undefined): string => (a === null || b === null || b === undefined || b === 0 ? '' : `${(a / b).toFixed(2)}×`);
  const header = ['workload', 'events/s', 'p50 ms', 'p99 ms', 'CPU %', 'peak RSS MB', 'vs baseline: rate / p99 / CPU / RSS', 'note'];
  const table = rows.map((r) => {
    const b = r.baseline !== undefined ? byName.get(r.baseline) : undefined;
    const ratios = b === undefined ? '' : `${ratio(r.eventsPerSecond, b.eventsPerSecond)} / ${ratio(r.p99Ms, b.p99Ms)} / ${ratio(r.cpuPercent, b.cpuPercent)} / ${ratio(r.peakRssMb, b.peakRssMb)} of ${r.baseline}`;
    return [r.workload, String(r.eventsPerSecond), String(r.p50Ms ?? ''), String(r.p99Ms ?? ''), String(r.cpuPercent ?? ''), String(r.peakRssMb ?? ''), ratios, r.note ?? ''];
  });
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...table.map((cells) => `| ${cells.join(' | ')} |`)];
  const single = byName.get('sluice POST /events/{type}');
  const naive = byName.get('naive gateway (await publish)');
  if (single !== undefined && naive !== undefined) out.push('', `sluice single events / naive gateway: ${ratio(single.eventsPerSecond, naive.eventsPerSecond)}`);
  out.push(`start-up to first 202: JetStream+PostgreSQL ${extra.startupJetStreamPostgresMs} ms, embedded ${extra.startupEmbeddedMs} ms; GET /health p99 ${extra.healthP99Ms} ms at 1000/s paced, ${extra.healthFullSpeedP99Ms} ms at full speed (${extra.healthFullSpeedRequestsPerSecond}/s, 10 connections)`);
  for (const [k, v] of Object.entries(extra)) if (k.startsWith('listPage') || k.startsWith('archive')) out.push(`${k}: ${v}`);
  if (wrkRows.length > 0) out.push('', 'wrk, the same servers right after each autocannon run:', ...wrkRows.map((r) => `  ${r}`));
  out.push(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ rows, ...extra })}\n`);
}

main().catch((error: unknown) => {
  for (const child of children) child.kill('SIGKILL');
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
