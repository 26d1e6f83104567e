/**
 * Finding events by their data on a large archive: loads N events (default 1 000 000) with
 * COPY into a scratch PostgreSQL database, spread over two days and ten types, then times
 * `GET /events`'s query (the store's `listEvents`) for a type and a day with a data filter,
 * without and with the GIN index on `data`, and reports the index's size and build time.
 *
 *   node --import tsx bench/data-search.ts [--rows 1000000] [--keep]
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { newEventId } from '../src/envelope/index.js';
import { createSqlStore } from '../src/store/index.js';
import { createPgClient } from '../src/store/postgres/index.js';
import { createTestDatabase } from '../test/helpers/db.js';
import { eventBody } from './payload.js';

const argv = process.argv.slice(2);
const ROWS = Number(argv[argv.indexOf('--rows') + 1] ?? 0) || 1_000_000;
const KEEP = argv.includes('--keep');
const TYPES = Array.from({ length: 10 }, (_, i) => `order.kind${i}`);
const DAY_MS = 86_400_000;
const CHUNK = 50_000;

const db = await createTestDatabase();
const store = createSqlStore(createPgClient({ url: db.url, poolSize: 2 }));
const log = (text: string): void => void process.stderr.write(`${text}\n`);
try {
  await store.migrate();
  const now = Date.now();
  const start = now - 2 * DAY_MS;
  await store.maintainPartitions(new Date(start), null);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  client.on('error', () => undefined);
  let t0 = performance.now();
  for (let from = 0; from < ROWS; from += CHUNK) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(ROWS, from + CHUNK); i++) {
      const at = new Date(start + Math.floor((i / ROWS) * 2 * DAY_MS)).toISOString();
      // eventBody's customers are c-0…c-999; spread them to c-0…c-9999 so one customer is 0.01 % of the archive.
      const body = eventBody(i).replace(/"customer":"c-\d+"/, `"customer":"c-${i % 10_000}"`);
      const hex = Buffer.from(body).toString('hex');
      lines.push(`${newEventId()}\t${TYPES[i % TYPES.length]}\t/bench\t${at}\t${at}\t${i + 1}\t${body}\tapplication/json\t\\\\x${hex}\n`);
    }
    await new Promise<void>((resolve, reject) => {
      const stream = client.query(copyFrom('COPY sluice.events (id, type, source, time, received_at, stream_seq, data, datacontenttype, data_bytes) FROM STDIN'));
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(lines.join(''));
    });
  }
  log(`loaded ${ROWS} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await client.query('VACUUM ANALYZE sluice.events');
  const tableBytes = (await client.query<{ n: string }>(
    "SELECT sum(pg_total_relation_size(inhrelid)) AS n FROM pg_inherits WHERE inhparent = 'sluice.events'::regclass",
  )).rows[0]!.n;
  log(`archive with partitions: ${(Number(tableBytes) / ROWS).toFixed(0)} bytes per event`);

  const day = new Date(Math.floor((start + DAY_MS) / DAY_MS) * DAY_MS);
  const since = day.toISOString();
  const until = new Date(day.getTime() + DAY_MS).toISOString();
  const queries = [
    { name: 'type + day + rare customer (0.01 %)', type: 'order.kind2', data: '{"customer":"c-42"}' },
    { name: 'type + day + customer absent', type: 'order.kind2', data: '{"customer":"nobody"}' },
    { name: 'type + day + common value (every event)', type: 'order.kind2', data: '{"currency":"EUR"}' },
    { name: 'any type + day + rare customer', type: undefined, data: '{"customer":"c-42"}' },
    { name: 'order.> + day + rare customer', type: 'order.>', data: '{"customer":"c-42"}' },
  ];
  const time = async (q: (typeof queries)[number]): Promise<{ ms: number; found: number }> => {
    let best = Infinity;
    let found = 0;
    for (let round = 0; round < 5; round++) {
      const t = performance.now();
      const events = await store.listEvents({ afterSeq: 0, maxSeq: ROWS, limit: 100, since, until, data: q.data, ...(q.type !== undefined ? { type: q.type } : {}) });
      best = Math.min(best, performance.now() - t);
      found = events.length;
    }
    return { ms: best, found };
  };
  const report: Record<string, unknown> = { rows: ROWS, archiveBytesPerEvent: (Number(tableBytes) / ROWS).toFixed(0) };
  for (const q of queries) {
    const r = await time(q);
    report[`without index: ${q.name}`] = `${r.ms.toFixed(1)} ms (${r.found} events)`;
  }
  t0 = performance.now();
  await client.query('CREATE INDEX IF NOT EXISTS events_data_idx ON sluice.events USING gin (data jsonb_path_ops)');
  report.indexBuildSeconds = ((performance.now() - t0) / 1000).toFixed(1);
  await client.query('ANALYZE sluice.events');
  const indexBytes = (await client.query<{ n: string }>(
    "SELECT sum(pg_relation_size(i.indexrelid)) AS n FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid JOIN pg_class c ON c.oid = i.indexrelid WHERE h.inhparent = 'sluice.events'::regclass AND c.relname LIKE '%data%'",
  )).rows[0]!.n;
  report.indexBytesPerEvent = (Number(indexBytes) / ROWS).toFixed(1);
  for (const q of queries) {
    const r = await time(q);
    report[`with index: ${q.name}`] = `${r.ms.toFixed(1)} ms (${r.found} events)`;
  }
  await client.end();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} catch (error) {
  log(`failed: ${String(error)}`);
  process.exitCode = 1;
} finally {
  await store.close();
  if (KEEP) log(`kept database ${db.name}`);
  else await db.drop();
}
