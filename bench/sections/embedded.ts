/**
 * `npm start`: `sluice dev` with its embedded defaults (embedded bus and PGlite in one process,
 * data in a temporary folder). Its single-event rate at full speed, then its 202 → persisted
 * latency paced at a quarter of that rate, each event's from its 202 to the processed_at of
 * its status (read through GET /events/{id}/status, as the database is inside the process).
 */
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { httpRow, load, measure } from '../harness/http-load.js';
import { log, stopProcess, waitFor } from '../harness/processes.js';
import { singleLoad, startGateway } from '../harness/servers.js';
import { percentile } from '../percentile.js';
import { cpuMeter, peakRssMb } from '../proc.js';
import { readAcceptedIds } from './e2e-latency.js';

const counter = (metrics: string, name: string): number =>
  [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+(?:\\.\\d+)?(?:e\\+\\d+)?)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);

/** Has the process's own worker persisted every event its gateway accepted? */
async function caughtUp(url: string): Promise<boolean> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return counter(metrics, 'sluice_events_persisted_total') >= counter(metrics, 'sluice_events_accepted_total');
}

/** processed_at (epoch ms) of each id, 8 lookups at a time. */
async function processedAt(url: string, ids: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const status = (await (await fetch(`${url}/events/${id}/status`)).json()) as { status?: string; processed_at?: string | null };
      if (status.status === 'persisted' && typeof status.processed_at === 'string') found.set(id, Date.parse(status.processed_at));
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return found;
}

export async function runEmbedded(ctx: BenchContext): Promise<void> {
  const { options, report } = ctx;
  log('npm start (sluice dev, embedded): single events');
  const env = { SLUICE_DATA_DIR: join(ctx.scratch, 'embedded-npm-start'), LOG_LEVEL: 'warn', HOST: '127.0.0.1' };
  const dev = await startGateway('dev', env, { profileAs: 'embedded-dev' });
  report.extra.embeddedStartupMs = Math.round(dev.startupMs);
  try {
    // The first 202 can come before the embedded worker has opened the database and started.
    await waitFor(() => caughtUp(dev.url), 'the embedded worker to start', 120_000, 100);
    const full = await measure(dev.child.pid!, singleLoad(dev.url, { durationSeconds: options.seconds }), false);
    report.rows.push({ ...httpRow('npm start (embedded): POST /events/{type}', full), note: 'gateway and worker in one process (embedded bus, PGlite)' });
    // The backlog the full-speed run left is drained before the latency run starts.
    await waitFor(() => caughtUp(dev.url), 'the embedded worker to catch up', 600_000, 200);
    const rate = Math.max(50, Math.round(full.requestsPerSecond / 4));
    log(`npm start (sluice dev, embedded): 202 → persisted at ${rate}/s`);
    const idsFile = join(ctx.scratch, 'embedded-ids.tsv');
    const meter = cpuMeter(dev.child.pid!);
    const t0 = performance.now();
    const paced = await load(singleLoad(dev.url, { rate, durationSeconds: options.seconds, recordIds: idsFile }));
    await waitFor(() => caughtUp(dev.url), 'the embedded worker to persist the paced events', 600_000, 50);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = meter.stop();
    const accepted = readAcceptedIds(idsFile);
    const persisted = await processedAt(dev.url, [...accepted.keys()]);
    const latencies = [...persisted].map(([id, at]) => at - accepted.get(id)!).sort((a, b) => a - b);
    report.rows.push({
      workload: `npm start (embedded) at ${rate}/s: 202 → persisted`,
      eventsPerSecond: Math.round(persisted.size / seconds),
      p50Ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99Ms: Math.round(percentile(latencies, 99) * 10) / 10,
      cpuPercent: Math.round(cpu),
      peakRssMb: Math.round(peakRssMb(dev.child.pid!)),
      note: `${persisted.size}/${accepted.size} persisted; HTTP p99 ${paced.p99} ms`,
    });
  } finally {
    await stopProcess(dev.child);
  }
}
