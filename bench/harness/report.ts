/** What a run found: the table's rows, the verdict lines under it, and one JSON line of everything. */
import { cpus, totalmem } from 'node:os';

export interface Row {
  workload: string;
  eventsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  cpuPercent: number | null;
  /** The largest peak RSS (VmHWM) of the row's processes. */
  peakRssMb: number | null;
  /** Peak RSS of each process, when the row has several (MB). */
  rssByProcess?: Record<string, number>;
  /** The row this one is compared with. */
  baseline?: string;
  note?: string;
}

export interface Report {
  readonly rows: Row[];
  /** Lines printed under the table: ratios against their targets, start-up times. */
  readonly lines: string[];
  /** Lines of the wrk table (`--wrk`). */
  readonly wrkRows: string[];
  /** Figures for the JSON line. */
  readonly extra: Record<string, number | string>;
}

export function newReport(): Report {
  return { rows: [], lines: [], wrkRows: [], extra: {} };
}

export function findRow(report: Report, workload: string): Row | undefined {
  return report.rows.find((r) => r.workload === workload);
}

/** "1.23×"; empty when either side is missing. */
export function ratio(a: number | null | undefined, b: number | null | undefined): string {
  return a === null || a === undefined || b === null || b === undefined || b === 0 ? '' : `${(a / b).toFixed(2)}×`;
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
}

/**
 * One verdict line: the same-round ratios of a row against its baseline, their median and the
 * target, e.g. "single / naive by round: 2.10, 1.95, 2.30; median 2.10× (target ≥ 2×): met".
 */
export function ratioVerdict(label: string, numerators: readonly number[], denominators: readonly number[], target: { atLeast?: number; atMost?: number }): string {
  const ratios = numerators.map((n, i) => n / denominators[i]!);
  const m = median(ratios);
  const met = (target.atLeast === undefined || m >= target.atLeast) && (target.atMost === undefined || m <= target.atMost);
  const goal = target.atLeast !== undefined ? `≥ ${target.atLeast}×` : `≤ ${target.atMost}×`;
  return `${label} by round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${m.toFixed(2)}× (target ${goal}): ${met ? 'met' : 'MISSED'}`;
}

/** "gateway 140, worker 150" from a row's processes. */
function rssNote(row: Row): string {
  return row.rssByProcess === undefined ? '' : `peak RSS MB: ${Object.entries(row.rssByProcess).map(([name, mb]) => `${name} ${Math.round(mb)}`).join(', ')}`;
}

export function printReport(report: Report, totalSeconds: number): void {
  const byName = new Map(report.rows.map((r) => [r.workload, r]));
  const header = ['workload', 'events/s', 'p50 ms', 'p99 ms', 'CPU %', 'peak RSS MB', 'vs baseline: rate / p99 / CPU / RSS', 'note'];
  const table = report.rows.map((r) => {
    const b = r.baseline !== undefined ? byName.get(r.baseline) : undefined;
    const ratios = b === undefined ? '' : `${ratio(r.eventsPerSecond, b.eventsPerSecond)} / ${ratio(r.p99Ms, b.p99Ms)} / ${ratio(r.cpuPercent, b.cpuPercent)} / ${ratio(r.peakRssMb, b.peakRssMb)} of ${r.baseline}`;
    const note = [r.note, rssNote(r)].filter(Boolean).join('; ');
    return [r.workload, String(r.eventsPerSecond), String(r.p50Ms ?? ''), String(r.p99Ms ?? ''), String(r.cpuPercent ?? ''), String(r.peakRssMb ?? ''), ratios, note];
  });
  const out = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...table.map((cells) => `| ${cells.join(' | ')} |`)];
  if (report.lines.length > 0) out.push('', ...report.lines);
  if (report.wrkRows.length > 0) out.push('', 'wrk, the same servers right after each autocannon run:', ...report.wrkRows.map((r) => `  ${r}`));
  const peaks = report.rows.flatMap((r) => (r.rssByProcess !== undefined ? Object.values(r.rssByProcess) : r.peakRssMb !== null ? [r.peakRssMb] : []));
  if (peaks.length > 0) out.push(`largest peak RSS of any process: ${Math.round(Math.max(...peaks))} MB (target < 200 MB)`);
  out.push(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
  out.push(`whole bench: ${(totalSeconds / 60).toFixed(1)} min (${Math.round(totalSeconds)} s; target < 10 min with default flags)`);
  process.stdout.write(`\n${out.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify({ rows: report.rows, lines: report.lines, ...report.extra, totalSeconds: Math.round(totalSeconds) })}\n`);
}
