// Deliveries to a subscription, against the limit of one Node process posting to the same
// receiver: `node --import tsx bench/deliveries.ts [--events N] [--seconds S] [--in-flight K]`.
//
// 1. raw: one Node process POSTs the same body to the receiver in a loop, K at a time, for S s
//    (keep-alive connections): the most any single delivering process could do.
// 2. drain: N events are stored while the subscription is paused, then it is resumed; the
//    time until the receiver has them all gives deliveries/s (one `sluice worker`, which writes
//    the events to PostgreSQL and delivers them, beside one `sluice gateway`).
// 3. latency: events sent one at a time at a steady pace; for each, the time from its 202 to
//    its arrival at the receiver (p50, p99).
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createTestDatabase } from '../test/helpers/db.js';
import { freePort, startNatsServer } from '../test/helpers/nats.js';
import { percentile } from './percentile.js';
import { cpuMeter } from './proc.js';

const ROOT = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};
const EVENTS = Number(flag('--events') ?? 20_000);
const SECONDS = Number(flag('--seconds') ?? 10);
const IN_FLIGHT = Number(flag('--in-flight') ?? 16);
const LATENCY_RATE = 100;
const BODY = JSON.stringify({ order_id: 'o-1', customer: 'c-42', total: 99.5, lines: [{ sku: 'A-1', qty: 2 }] });
const log = (text: string): void => void process.stderr.write(`bench: ${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const children: ChildProcess[] = [];

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

type Stats = { requests: number; unique: number; arrivals: Record<string, number> };
const stats = async (sink: string): Promise<Stats> => (await fetch(`${sink}/stats`)).json() as Promise<Stats>;

/** K loops posting to the sink for `seconds`; posts per second. */
async function rawLoop(url: string, seconds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const body = Buffer.from(BODY);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(body.length), 'webhook-id': 'raw' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < until) {
        await post();
        done++;
      }
    }),
  );
  agent.destroy();
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  try {
    const sinkPort = await freePort();
    const sinkChild = start(['--import', 'tsx', 'bench/servers/webhook-sink.ts', String(sinkPort)]);
    const sink = `http://127.0.0.1:${sinkPort}`;
    await until(async () => (await fetch(`${sink}/stats`)).ok, 'the receiver');

    log(`raw loop: ${IN_FLIGHT} at a time for ${SECONDS} s`);
    const sinkCpu = cpuMeter(sinkChild.pid!);
    const raw = await rawLoop(`${sink}/hook`, SECONDS);
    const rawSinkCpu = sinkCpu.stop();
    await fetch(`${sink}/reset`, { method: 'POST' });

    const port = await freePort();
    const env = {
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      SLUICE_SUBSCRIPTION_PRIVATE_TARGETS: 'allow',
    };
    const worker = start(['bin/sluice.js', 'worker'], env);
    start(['bin/sluice.js', 'gateway'], env);
    const url = `http://127.0.0.1:${port}`;
    await until(async () => (await fetch(`${url}/health`)).ok, 'the gateway');
    const created = await fetch(`${url}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', types: ['order.*'], url: `${sink}/hook`, max_in_flight: IN_FLIGHT, paused: true }),
    });
    if (created.status !== 201) throw new Error(`subscription: ${created.status} ${await created.text()}`);

    log(`drain: storing ${EVENTS} events while the subscription is paused`);
    const lines = Array.from({ length: 1000 }, () => BODY).join('\n');
    for (let sent = 0; sent < EVENTS; sent += 1000) {
      const r = await fetch(`${url}/ingest/batch?type=order.created`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
      if (r.status !== 202) throw new Error(`batch: ${r.status}`);
    }
    // Let the worker archive them first, so the drain measures deliveries, not the database writes beside them.
    await until(async () => {
      const r = (await (await fetch(`${url}/events?limit=1000&type=order.created`)).json()) as { events: unknown[] };
      return r.events.length === 1000;
    }, 'the archive', 120_000, 200);
    await sleep(3000);
    const workerCpu = cpuMeter(worker.pid!);
    const t0 = performance.now();
    await fetch(`${url}/subscriptions/bench`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"paused":false}' });
    await until(async () => (await stats(sink)).unique >= EVENTS, 'every delivery', 600_000, 100);
    const drainSeconds = (performance.now() - t0) / 1000;
    const drainCpu = workerCpu.stop();
    const delivered = await stats(sink);
    await fetch(`${sink}/reset`, { method: 'POST' });

    log(`latency: ${LATENCY_RATE} events/s for ${SECONDS} s`);
    const acceptedAt = new Map<string, number>();
    const sentAt = new Map<string, number>();
    const interval = 1000 / LATENCY_RATE;
    const latencyStart = performance.now();
    for (let i = 0; i < LATENCY_RATE * SECONDS; i++) {
      const due = latencyStart + i * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sent = Date.now();
      void fetch(`${url}/events/order.created`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY }).then(async (r) => {
        const body = (await r.json()) as { id: string };
        acceptedAt.set(body.id, Date.now());
        sentAt.set(body.id, sent);
      });
    }
    await until(async () => (await stats(sink)).unique >= LATENCY_RATE * SECONDS, 'the paced deliveries', 120_000, 100);
    const arrivals = (await stats(sink)).arrivals;
    // Both clocks are this machine's (ms): a delivery may reach the receiver before the producer has read its 202 (negative).
    const latencies = [...acceptedAt.entries()].filter(([id]) => arrivals[id] !== undefined).map(([id, at]) => arrivals[id]! - at).sort((a, b) => a - b);
    const fromSend = [...sentAt.entries()].filter(([id]) => arrivals[id] !== undefined).map(([id, at]) => arrivals[id]! - at).sort((a, b) => a - b);

    const result = {
      raw_posts_per_second: Math.round(raw),
      raw_sink_cpu_percent: Math.round(rawSinkCpu),
      deliveries_per_second: Math.round(EVENTS / drainSeconds),
      drain_events: EVENTS,
      drain_seconds: Math.round(drainSeconds * 10) / 10,
      drain_worker_cpu_percent: Math.round(drainCpu),
      drain_requests: delivered.requests,
      latency_202_to_delivered_p50_ms: percentile(latencies, 50),
      latency_202_to_delivered_p99_ms: percentile(latencies, 99),
      latency_202_to_delivered_min_ms: latencies[0],
      latency_send_to_delivered_p50_ms: percentile(fromSend, 50),
      latency_send_to_delivered_p99_ms: percentile(fromSend, 99),
      latency_events: latencies.length,
      in_flight: IN_FLIGHT,
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await nats.destroy();
    await db.drop();
  }
}

await main();
