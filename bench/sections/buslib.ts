/**
 * The bus library's own bench (bench/bus-library.ts: the memory kind against an EventEmitter,
 * the JetStream kind against raw nats.js), run as a child when it exists. Its rows are taken
 * from a last line of JSON with `rows` (the shape of this table's); anything else it prints
 * goes under the table as it is.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness/context.js';
import { log, ROOT, runChild } from '../harness/processes.js';
import type { Row } from '../harness/report.js';

export const BUS_LIBRARY_BENCH = 'bench/bus-library.ts';

export async function runBusLibrary(ctx: BenchContext): Promise<void> {
  if (!existsSync(join(ROOT, BUS_LIBRARY_BENCH))) {
    ctx.report.lines.push(`bus library: ${BUS_LIBRARY_BENCH} does not exist yet`);
    return;
  }
  log(BUS_LIBRARY_BENCH);
  const run = await runChild(['--import', 'tsx', BUS_LIBRARY_BENCH], { NATS_URL: ctx.nats.url }).catch((error: Error) => error);
  if (run instanceof Error) {
    ctx.report.lines.push(`bus library: ${BUS_LIBRARY_BENCH} failed (${run.message})`);
    return;
  }
  const lines = run.stdout.trim().split('\n');
  const rows = lastLineRows(lines[lines.length - 1] ?? '');
  if (rows !== undefined) ctx.report.rows.push(...rows.map((r) => ({ ...r, peakRssMb: r.peakRssMb ?? Math.round(run.rssMb) })));
  const text = (rows !== undefined ? lines.slice(0, -1) : lines).filter(Boolean);
  if (text.length > 0) ctx.report.lines.push('bus library:', ...text.map((line) => `  ${line}`));
}

function lastLineRows(line: string): Row[] | undefined {
  try {
    const parsed = JSON.parse(line) as { rows?: unknown };
    return Array.isArray(parsed.rows) ? (parsed.rows as Row[]) : undefined;
  } catch {
    return undefined;
  }
}
