/**
 * The open single-event gateway at half its full-speed rate, paced, for latency; each round is
 * followed by the floor under that latency: JetStream's own publish-to-ack time at the same
 * rate, on the same server, without HTTP. Then GET /health. Runs with the single section.
 */
import type { BenchContext } from '../harness/context.js';
import { httpRow, measure, wrkLine, type Measured } from '../harness/http-load.js';
import { log, runJson, stopProcess } from '../harness/processes.js';
import { findRow, median, ratioVerdict } from '../harness/report.js';
import { singleLoad } from '../harness/servers.js';
import { SINGLE } from './single-events.js';

interface Floor {
  published: number;
  p50: number;
  p99: number;
}

/** The half-rate target: p99 at most this many times the raw publish p99 at the same rate, same round. */
const HALF_RATE_TARGET = 1.5;

export async function runHalfRate(ctx: BenchContext): Promise<void> {
  const gateway = ctx.singleGateway;
  const full = findRow(ctx.report, SINGLE);
  if (gateway === undefined || full === undefined) return;
  const { options, nats, report } = ctx;
  const { child, url } = gateway;
  log('sluice gateway, half rate');
  const half = Math.max(1, Math.round(full.eventsPerSecond / 2));
  const halfRuns: Measured[] = [];
  const floors: Array<Floor & { rss: number; cpu: number }> = [];
  // Full-length rounds: one stall of the machine (tens of milliseconds) moves the p99 of a short round much more.
  for (let round = 1; round <= options.rounds; round++) {
    halfRuns.push(await measure(child.pid!, singleLoad(url, { rate: half, durationSeconds: options.seconds })));
    const floor = await runJson<Floor>(['--import', 'tsx', 'bench/publish.ts', 'paced', nats.url, `${gateway.names.prefix}.floor`, String(half), String(options.seconds)]);
    floors.push({ ...floor.result, rss: floor.rssMb, cpu: floor.cpuPercent });
  }
  const byP99 = <T extends { p99: number }>(list: T[]): T => [...list].sort((a, b) => a.p99 - b.p99)[Math.floor(list.length / 2)]!;
  const halfRun = byP99(halfRuns);
  const floor = byP99(floors);
  report.rows.push({
    ...httpRow(`sluice single at half rate (${half}/s, paced)`, halfRun, 1, SINGLE),
    note: `median of ${options.rounds} rounds by p99: ${halfRuns.map((r) => r.p99).join(', ')} ms; the load generator's own send lag p99 in each: ${halfRuns.map((r) => r.sendLagP99).join(', ')} ms`,
  });
  report.rows.push({
    workload: `raw JetStream publish paced at ${half}/s (no HTTP)`,
    eventsPerSecond: Math.round(floor.published / options.seconds),
    p50Ms: floor.p50,
    p99Ms: floor.p99,
    cpuPercent: Math.round(floor.cpu),
    peakRssMb: Math.round(Math.max(...floors.map((f) => f.rss))),
    note: `the floor under the row above; rounds after it: ${floors.map((f) => f.p99).join(', ')} ms; CPU: the publisher over its life`,
  });
  report.lines.push(
    ratioVerdict(
      'half-rate p99 / raw JetStream publish p99 at the same rate',
      halfRuns.map((r) => r.p99),
      floors.map((f) => f.p99),
      { atMost: HALF_RATE_TARGET },
    ),
  );
  report.extra.halfRateP99Ratio = Math.round(median(halfRuns.map((r, i) => r.p99 / floors[i]!.p99)) * 100) / 100;

  log('GET /health');
  // Paced at 1000/s, as probes and dashboards ask; then as fast as 10 connections can.
  const seconds = Math.min(5, options.seconds);
  const health = await measure(child.pid!, { url: `${url}/health`, method: 'GET', rate: 1000, connections: 10, durationSeconds: seconds });
  const flat = await measure(child.pid!, { url: `${url}/health`, method: 'GET', connections: 10, durationSeconds: seconds }, options.wrk);
  if (flat.wrk !== undefined) report.wrkRows.push(wrkLine('sluice GET /health', 10, [flat.wrk]));
  report.extra.healthP99Ms = health.p99;
  report.extra.healthFullSpeedP99Ms = flat.p99;
  report.lines.push(`GET /health p99 ${health.p99} ms paced at 1000/s (target < 5 ms), ${flat.p99} ms at full speed (${Math.round(flat.requestsPerSecond)}/s, 10 connections)`);
  await stopProcess(child);
  await ctx.jsm.streams.delete(gateway.names.stream);
  ctx.singleGateway = undefined;
}
