import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { isLosslessNumber, parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { compileEntities, entityColumns, parseEventText, tableKey, tableLabel, type EntityDefinition, type EntityModel, type EventRows } from '../../entities/index.js';
import { newEventId } from '../../envelope/index.js';
import { type CommandIo, readAll, write } from './io.js';

export const HELP = `Usage: sluice entities check [--sample FILE] [--json]

Checks the entity file (SLUICE_ENTITIES or ./sluice.entities.yaml) and, with --sample, shows
for each sample event the rows each table would receive, or why the event would fail. No
database is needed. FILE holds one event a line: {"type": "...", "data": {...}} or a
CloudEvent ({"specversion": "1.0", "type": ..., "data": ...}). Exit status 1 when the file
is invalid or a sample event would fail.

Options:
  --sample FILE   sample events, NDJSON ("-" reads standard input)
  --json          one JSON object per sample event
  -h, --help      show this help
`;

/** One sample event's outcome. */
export interface SampleResult {
  readonly line: number;
  readonly type: string | null;
  readonly outcome: 'rows' | 'archive-only' | 'failed';
  readonly error?: string;
  readonly rows?: ReadonlyArray<{ table: string; change: 'write' | 'merge' | 'delete' | 'replace-children'; values: Record<string, unknown> }>;
}

/** The entity file in a few lines: each entity, its table, what feeds it and how rows meet. */
export function describeEntities(definitions: readonly EntityDefinition[]): string {
  return definitions
    .map((d) => {
      const feeds = d.parent === null ? `${d.types.join(', ')}${d.deletes.length > 0 ? `; deleted by ${d.deletes.join(', ')}` : ''}` : `each ${(d.each ?? []).join('.')} of ${d.parent}`;
      return `  ${d.name} -> ${tableLabel(d)} (${d.mode}, key ${tableKey(d).join(', ')}): ${feeds}`;
    })
    .join('\n');
}

/** Maps each sample line with the model, as a worker would, without a database. */
export async function checkSamples(model: EntityModel, text: string): Promise<SampleResult[]> {
  const results: SampleResult[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    results.push(await checkLine(model, line, i + 1));
  }
  return results;
}

async function checkLine(model: EntityModel, line: string, number: number): Promise<SampleResult> {
  let parsed: unknown;
  try {
    parsed = parseLossless(line);
  } catch (error) {
    return { line: number, type: null, outcome: 'failed', error: `not JSON: ${(error as Error).message}` };
  }
  const sample = parsed as Record<string, unknown>;
  const type = typeof sample?.type === 'string' ? sample.type : null;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || type === null || !('data' in sample || 'data_base64' in sample)) {
    return { line: number, type, outcome: 'failed', error: 'each line must be {"type": "...", "data": ...} or a CloudEvent with "type" and "data"' };
  }
  const text = (key: string): string | undefined => (typeof sample[key] === 'string' ? (sample[key] as string) : undefined);
  let dataText: string;
  if ('data_base64' in sample) dataText = Buffer.from(text('data_base64') ?? '', 'base64').toString('utf8');
  else dataText = stringifyLossless(sample.data) ?? 'null';
  const event = { id: text('id') ?? newEventId(), type, source: text('source') ?? '/sluice', time: text('time') ?? new Date().toISOString() };
  let data;
  try {
    data = parseEventText(dataText);
  } catch {
    return { line: number, type, outcome: 'failed', error: 'the data is not JSON; entities read JSON data only' };
  }
  const mapping = await model.map(event, data, text('entity'));
  if (!mapping.ok) return { line: number, type, outcome: 'failed', error: mapping.failure };
  if (mapping.rows === null) return { line: number, type, outcome: 'archive-only' };
  return { line: number, type, outcome: 'rows', rows: tableRows(mapping.rows, event.id) };
}

function tableRows(rows: EventRows, messageId: string): NonNullable<SampleResult['rows']> {
  const out: Array<NonNullable<SampleResult['rows']>[number]> = [];
  const record = (def: EntityDefinition, values: readonly unknown[], present?: readonly boolean[]): Record<string, unknown> => {
    const r: Record<string, unknown> = {};
    entityColumns(def).forEach((c, i) => {
      if (present === undefined || present[i] === true) r[c.name] = values[i];
    });
    if (def.key.length === 0) r._message_id = messageId;
    return r;
  };
  for (const w of rows.writes) out.push({ table: tableLabel(w.entity), change: w.present === undefined ? 'write' : 'merge', values: record(w.entity, w.values, w.present) });
  for (const d of rows.deletes) out.push({ table: tableLabel(d.entity), change: 'delete', values: Object.fromEntries(tableKey(d.entity).map((k, i) => [k, d.key[i]])) });
  for (const set of rows.children) {
    if (set.rows.length === 0) out.push({ table: tableLabel(set.entity), change: 'replace-children', values: Object.fromEntries(set.entity.parentKey.slice(0, set.parentKey.length).map((f, i) => [f.name, set.parentKey[i]])) });
    for (const values of set.rows) out.push({ table: tableLabel(set.entity), change: 'replace-children', values: record(set.entity, values) });
  }
  return out;
}

/** Human-readable lines for one sample result. */
export function formatSample(result: SampleResult): string {
  const head = `line ${result.line}${result.type === null ? '' : ` ${result.type}`}`;
  if (result.outcome === 'failed') return `${head}: would fail: ${result.error}`;
  if (result.outcome === 'archive-only') return `${head}: archive only (no entity takes this type)`;
  const width = Math.max(...(result.rows ?? []).map((r) => r.table.length));
  const notes: Record<string, string> = { write: '', merge: ' (merge: columns not shown keep their values)', delete: ' (delete)', 'replace-children': '' };
  return [`${head}:`, ...(result.rows ?? []).map((r) => `  ${r.table.padEnd(width)}  ${stringifyLossless(r.values)}${notes[r.change]}`)].join('\n');
}

/** `sluice entities check`: `definitions` are the already loaded (and so valid) file's. */
export async function run(args: string[], io: CommandIo, file: string, definitions: readonly EntityDefinition[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { sample: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    await write(io.stdout, HELP);
    return 0;
  }
  const model = compileEntities(definitions);
  if (!values.json) await write(io.stdout, `${file}: ${definitions.length} entities, valid\n${describeEntities(definitions)}\n`);
  if (values.sample === undefined) return 0;
  const sampleText = values.sample === '-' ? await readAll(io.stdin) : await readFile(values.sample, 'utf8');
  const results = await checkSamples(model, sampleText);
  for (const r of results) await write(io.stdout, values.json ? `${JSON.stringify(r, (_, v: unknown) => (isLosslessNumber(v) ? v.toString() : v))}\n` : `${formatSample(r)}\n`);
  const failed = results.filter((r) => r.outcome === 'failed').length;
  if (!values.json) await write(io.stdout, `${results.length} sample events: ${results.length - failed} map, ${failed} would fail\n`);
  return failed > 0 ? 1 : 0;
}
