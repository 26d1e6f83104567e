/**
 * End to end at a rate both sides can hold: HTTP → 202 → worker → persisted, each event's
 * latency from its 202 to its status row's processed_at, on a database of its own. With
 * `--archive`, the listing runs against the same gateway and database afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase, type BenchContext } from '../harness/context.js';
import { load } from '../harness/http-load.js';
import { log, stopProcess, waitFor } from '../harness/processes.js';
import { findRow } from '../harness/report.js';
import { consumerState, names, singleLoad, sluiceEnv, startGateway, startWorker } from '../harness/servers.js';
import { percentile } from '../percentile.js';
import { cpuMeter, peakRssMb } from '../proc.js';
import { runArchiveListing } from './archive-listing.js';
import { SINGLE } from './single-events.js';

/** Epoch ms of each accepted id's 202, from a generator's `recordIds` file. */
export function readAcceptedIds(file: string): Map<string, number> {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((line) => line.split('\t') as [string, string]).map(([id, at]) => [id, Number(at)]));
}

export async function runE2eLatency(ctx: BenchContext): Promise<void> {
  const { nats, jsm } = ctx;
  log('end to end');
  // A database of its own: the worker refuses a stream whose sequences restart below those the database has stored (the drain's).
  const db = await freshDatabase(ctx);
  const e2e = names('e2e');
  const singleRate = findRow(ctx.report, SINGLE)?.eventsPerSecond ?? 2000;
  // A quarter of the slower side's own rate: the gateway and the worker now share the two cores
  // (with NATS, PostgreSQL and the load generator), and an open-loop rate they cannot hold
  // together measures a growing queue rather than the pipeline's latency.
  const rate = Math.max(100, Math.round(Math.min(singleRate, ctx.drainRate ?? 2000) / 4));
  const gateway = await startGateway('gateway', sluiceEnv(nats, db, e2e), { profileAs: 'e2e-gateway' });
  const worker = startWorker(sluiceEnv(nats, db, e2e), 'e2e-worker');
  await waitFor(async () => (await consumerState(jsm, e2e.stream, e2e.consumer)).done, 'the e2e worker to start');
  const idsFile = join(ctx.scratch, 'e2e-ids.tsv');
  const meter = cpuMeter(gateway.child.pid!);
  const workerMeter = cpuMeter(worker.pid!);
  const t0 = performance.now();
  const r = await load(singleLoad(gateway.url, { rate, durationSeconds: ctx.options.seconds, recordIds: idsFile }));
  const gatewayCpu = meter.stop();
  await waitFor(async () => (await consumerState(jsm, e2e.stream, e2e.consumer)).done, 'the e2e worker to drain', 120_000, 50);
  const seconds = (performance.now() - t0) / 1000;
  const workerCpu = workerMeter.stop();
  const acceptedAt = readAcceptedIds(idsFile);
  const persisted = await db.query<{ message_id: string; at: string }>(
    "SELECT message_id, (extract(epoch FROM processed_at) * 1000)::float8 AS at FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND status = 'persisted'",
    [[...acceptedAt.keys()]],
  );
  const latencies = persisted.map((p) => Number(p.at) - acceptedAt.get(p.message_id)!).sort((a, b) => a - b);
  const rss = { gateway: peakRssMb(gateway.child.pid!), worker: peakRssMb(worker.pid!) };
  ctx.report.rows.push({
    workload: `end to end at ${rate}/s: 202 → persisted`,
    eventsPerSecond: Math.round(persisted.length / seconds),
    p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
    p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
    cpuPercent: Math.round(gatewayCpu + workerCpu),
    peakRssMb: Math.round(Math.max(rss.gateway, rss.worker)),
    rssByProcess: rss,
    note: `${persisted.length}/${acceptedAt.size} persisted; HTTP p99 ${r.p99} ms; CPU: gateway + worker`,
  });
  await stopProcess(worker);
  if (ctx.options.archiveRows > 0) await runArchiveListing(ctx, db, gateway.url);
  await stopProcess(gateway.child);
  await jsm.streams.delete(e2e.stream);
  await db.drop();
}
