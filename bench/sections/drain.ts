/**
 * The worker alone, draining a pre-filled stream (half of the events routed to an entity
 * table), next to its baseline: one COPY of as many archive rows of the same shape into the
 * same table and indexes, in one transaction.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { newEventId } from '../../src/envelope/index.js';
import type { BenchContext } from '../harness/context.js';
import { log, runJson, stopProcess, waitFor } from '../harness/processes.js';
import { consumerState, names, sluiceEnv, startWorker } from '../harness/servers.js';
import { eventBody } from '../payload.js';
import { cpuMeter, peakRssMb } from '../proc.js';

const copyRow = (events: number): string => `raw COPY into sluice.events (${events} rows)`;

export async function runCopy(ctx: BenchContext): Promise<void> {
  const events = ctx.options.drainEvents;
  log(`raw COPY of ${events} rows`);
  const client = new pg.Client({ connectionString: ctx.db.url });
  await client.connect();
  const {
    rows: [backend],
  } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const now = new Date().toISOString();
  const lines: string[] = [];
  // Time-ordered ids, as Sluice's are: they go in at the right edge of the primary key's B-tree (15-20 % faster than random ones).
  for (let i = 0; i < events; i++) lines.push(`${newEventId()}\torder.created\t/bench\t${now}\t${now}\t${i + 1}\t${eventBody(i).replace(/\\/g, '\\\\')}\n`);
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
  const cpu = meter.stop();
  ctx.report.rows.push({ workload: copyRow(events), eventsPerSecond: Math.round(events / seconds), p50Ms: null, p99Ms: null, cpuPercent: Math.round(cpu), peakRssMb: Math.round(peakRssMb(backend!.pid)), note: 'CPU and RSS: the PostgreSQL backend' });
  await client.query('TRUNCATE sluice.events');
  await client.end();
}

export async function runDrain(ctx: BenchContext): Promise<void> {
  const { jsm, nats, db } = ctx;
  const events = ctx.options.drainEvents;
  log(`worker drain of ${events} events (prefill)`);
  const n = names('drain');
  await jsm.streams.add({ name: n.stream, subjects: [`${n.prefix}.>`] });
  await runJson(['--import', 'tsx', 'bench/publish.ts', 'prefill', nats.url, n.prefix, String(events)]);
  log('worker drain');
  const child = startWorker(sluiceEnv(nats, db, n), 'drain-worker');
  let first: { at: number; acked: number } | undefined;
  let meter: { stop(): number } | undefined;
  await waitFor(
    async () => {
      const state = await consumerState(jsm, n.stream, n.consumer);
      if (first === undefined && state.delivered > 0) {
        first = { at: performance.now(), acked: state.acked };
        meter = cpuMeter(child.pid!);
      }
      return state.done && state.acked >= events;
    },
    'the worker to drain the stream',
    600_000,
    50,
  );
  const seconds = (performance.now() - first!.at) / 1000;
  ctx.drainRate = Math.round((events - first!.acked) / seconds);
  const cpu = meter!.stop();
  const rss = peakRssMb(child.pid!);
  const [counts] = await db.query<{ events: string; orders: string; statuses: string }>(
    'SELECT (SELECT count(*) FROM sluice.events) AS events, (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM sluice.message_status) AS statuses',
  );
  const ok = Number(counts!.events) === events && Number(counts!.orders) === events / 2;
  ctx.report.rows.push({
    workload: `worker drain (${events}, archive+status+entity)`,
    eventsPerSecond: ctx.drainRate,
    p50Ms: null,
    p99Ms: null,
    cpuPercent: Math.round(cpu),
    peakRssMb: Math.round(rss),
    baseline: copyRow(events),
    note: ok ? 'rows verified' : `ROWS MISSING: ${JSON.stringify(counts)}`,
  });
  await stopProcess(child);
  await jsm.streams.delete(n.stream);
}
