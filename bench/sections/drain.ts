/**
 * The worker alone, draining a pre-filled stream (half of the events routed to an entity
 * table), next to two baselines, each one transaction of COPYs into the same tables and indexes:
 * the archive rows alone (the drain's target is set against this one), and every row the
 * worker stores for users, the archive rows with their exact bytes and the entity rows. What
 * the drain costs beyond the second is Sluice's own: status rows, the stream, the acks.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { newEventId } from '../../src/envelope/index.js';
import { copyValue } from '../../src/store/queries/copy-text.js';
import type { BenchContext } from '../harness/context.js';
import { log, runJson, stopProcess, waitFor } from '../harness/processes.js';
import { cpuPerEventNote, natsServerPids, pathCpuMeter } from '../harness/path-cpu.js';
import { findRow, ratio } from '../harness/report.js';
import { consumerState, names, sluiceEnv, startWorker } from '../harness/servers.js';
import { eventBody } from '../payload.js';
import { cpuMeter, cpuSecondsMeter, peakRssMb } from '../proc.js';

const copyRow = (events: number): string => `raw COPY into sluice.events (${events} rows)`;
const storedRowsCopyRow = (events: number): string => `raw COPY of the rows the drain stores (${events} archive rows with their bytes, ${events / 2} orders rows)`;

/** Writes COPY bodies to the database in one transaction; seconds taken and the backend's CPU share. */
async function copyInOneTransaction(client: pg.Client, backend: number, copies: ReadonlyArray<{ sql: string; lines: readonly string[] }>): Promise<{ seconds: number; cpu: number; cpuSeconds: number }> {
  const meter = cpuMeter(backend);
  const cpuSpent = cpuSecondsMeter([backend]);
  const t0 = performance.now();
  await client.query('BEGIN');
  for (const { sql, lines } of copies) {
    const stream = client.query(copyFrom(sql));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      for (let i = 0; i < lines.length; i += 1000) stream.write(lines.slice(i, i + 1000).join(''));
      stream.end();
    });
  }
  await client.query('COMMIT');
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, cpu: meter.stop(), cpuSeconds: cpuSpent.stop() };
}

export async function runCopy(ctx: BenchContext): Promise<void> {
  const events = ctx.options.drainEvents;
  log(`raw COPY of ${events} rows, then of every row the drain stores`);
  const client = new pg.Client({ connectionString: ctx.db.url });
  await client.connect();
  const {
    rows: [backend],
  } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const now = new Date().toISOString();
  // Time-ordered ids, as Sluice's are: they go in at the right edge of the primary key's B-tree (15-20 % faster than random ones).
  const ids = Array.from({ length: events }, () => newEventId());
  const archiveOnly = ids.map((id, i) => `${id}\torder.created\t/bench\t${now}\t${now}\t${i + 1}\t${copyValue(eventBody(i))}\n`);
  const archived = await copyInOneTransaction(client, backend!.pid, [{ sql: 'COPY sluice.events (id, type, source, time, received_at, stream_seq, data) FROM STDIN', lines: archiveOnly }]);
  ctx.report.rows.push({ workload: copyRow(events), eventsPerSecond: Math.round(events / archived.seconds), p50Ms: null, p99Ms: null, cpuPercent: Math.round(archived.cpu), peakRssMb: Math.round(peakRssMb(backend!.pid)), note: 'CPU and RSS: the PostgreSQL backend' });
  await client.query('TRUNCATE sluice.events');

  // What the drain stores for users, as the worker stores it: every event's archive row with its
  // exact bytes (half order.created, half page.viewed, as bench/publish.ts prefills), and an
  // orders row for each order.created.
  const withBytes: string[] = [];
  const orders: string[] = [];
  ids.forEach((id, i) => {
    const body = eventBody(i);
    const type = i % 2 === 0 ? 'order.created' : 'page.viewed';
    withBytes.push(`${id}\t${type}\t/bench\t${now}\t${now}\t${i + 1}\t${copyValue(body)}\tapplication/json\t\\\\x${Buffer.from(body).toString('hex')}\n`);
    if (type !== 'order.created') return;
    const order = JSON.parse(body) as { order_id: string; status: string; total: number; currency: string; customer: string };
    orders.push(`${copyValue(order.order_id)}\t${order.status}\t${order.total}\t${order.currency}\t${copyValue(order.customer)}\t${id}\t${type}\t${i + 1}\n`);
  });
  const stored = await copyInOneTransaction(client, backend!.pid, [
    { sql: 'COPY sluice.events (id, type, source, time, received_at, stream_seq, data, datacontenttype, data_bytes) FROM STDIN', lines: withBytes },
    { sql: 'COPY orders (order_id, status, total, currency, customer, _message_id, _event_type, _stream_seq) FROM STDIN', lines: orders },
  ]);
  ctx.report.rows.push({
    workload: storedRowsCopyRow(events),
    eventsPerSecond: Math.round(events / stored.seconds),
    p50Ms: null,
    p99Ms: null,
    cpuPercent: Math.round(stored.cpu),
    peakRssMb: Math.round(peakRssMb(backend!.pid)),
    note: `CPU and RSS: the PostgreSQL backend; CPU µs per event ${Math.round((stored.cpuSeconds * 1e6) / events)}`,
  });
  await client.query('TRUNCATE sluice.events, orders');
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
  // CPU of every process the drain runs on: the worker, nats-server, the worker's database backends.
  let pathCpu: Awaited<ReturnType<typeof pathCpuMeter>> | undefined;
  await waitFor(
    async () => {
      const state = await consumerState(jsm, n.stream, n.consumer);
      if (first === undefined && state.delivered > 0) {
        first = { at: performance.now(), acked: state.acked };
        meter = cpuMeter(child.pid!);
        pathCpu = await pathCpuMeter({ worker: [child.pid!], 'nats-server': natsServerPids(nats) }, db);
      }
      return state.done && state.acked >= events;
    },
    'the worker to drain the stream',
    600_000,
    50,
  );
  const seconds = (performance.now() - first!.at) / 1000;
  const drained = events - first!.acked;
  ctx.drainRate = Math.round(drained / seconds);
  const cpu = meter!.stop();
  const perEvent = await pathCpu!.stop(drained);
  const stored = findRow(ctx.report, storedRowsCopyRow(events));
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
    note: [
      ok ? 'rows verified' : `ROWS MISSING: ${JSON.stringify(counts)}`,
      ...(stored !== undefined ? [`${ratio(ctx.drainRate, stored.eventsPerSecond)} of the raw COPY of the rows it stores`] : []),
      cpuPerEventNote(perEvent),
    ].join('; '),
  });
  await stopProcess(child);
  await jsm.streams.delete(n.stream);
}
