/** Baseline of the NDJSON row: raw pipelined JetStream publish, 1000 in flight, no headers, no HTTP. */
import type { BenchContext } from '../harness/context.js';
import { log, runJson } from '../harness/processes.js';
import { names } from '../harness/servers.js';

export const RAW = 'raw pipelined publish (1000 in flight)';

export async function runRaw(ctx: BenchContext): Promise<void> {
  log('raw pipelined publish');
  const n = names('raw');
  await ctx.jsm.streams.add({ name: n.stream, subjects: [`${n.prefix}.>`] });
  // The CPU share counts from the process start (the connect and the module load are a small part of it).
  const run = await runJson<{ published: number; seconds: number }>(['--import', 'tsx', 'bench/publish.ts', 'raw', ctx.nats.url, `${n.prefix}.raw`, String(ctx.options.seconds)]);
  const { published, seconds } = run.result;
  ctx.report.rows.push({ workload: RAW, eventsPerSecond: Math.round(published / seconds), p50Ms: null, p99Ms: null, cpuPercent: Math.round(run.cpuPercent), peakRssMb: Math.round(run.rssMb) });
  await ctx.jsm.streams.delete(n.stream);
}
