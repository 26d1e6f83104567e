/**
 * The worker's database write alone: `writeBatch` of BATCH events, BATCHES times, against a
 * fresh PostgreSQL database (or the embedded one with `--embedded`), with the time each
 * statement took. Attributes the worker drain's database time without NATS in the way.
 *
 *   node --import tsx bench/store-write.ts [--batches 50] [--batch 1000] [--embedded] [--data-index] [--drop-index A,B] [--sizes]
 *
 * `--data-index` adds the GIN index on the archive's `data` first (what finding events by
 * their data on a large archive needs), to measure what it costs the write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileEntities, loadEntityFile } from '../src/entities/index.js';
import { newEventId } from '../src/envelope/index.js';
import { createEntityTables, createSqlStore, type SqlClient, type SqlExecutor, type WriteItem } from '../src/store/index.js';
import { createEmbeddedSqlClient } from '../src/store/embedded/index.js';
import { createPgClient } from '../src/store/postgres/index.js';
import { prepareItem } from '../src/worker/index.js';
import { createTestDatabase } from '../test/helpers/db.js';
import { eventBody } from './payload.js';
import { cpuSeconds } from './proc.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const BATCHES = flag('--batches', 50);
const BATCH = flag('--batch', 1000);
const EMBEDDED = argv.includes('--embedded');
const DATA_INDEX = argv.includes('--data-index');
/** Also weigh the archive without its `data_bytes` copy (bytes per event). */
const SIZES = argv.includes('--sizes');
/** Archive indexes to drop before writing (`--drop-index events_type_seq_idx,events_source_seq_idx`), to weigh what each costs. */
const DROP_INDEXES = (argv.includes('--drop-index') ? argv[argv.indexOf('--drop-index') + 1]! : '').split(',').filter((s) => s !== '');

/** Statement text (its first words) → total milliseconds and count. */
const timings = new Map<string, { ms: number; count: number }>();
const label = (text: string): string => text.replace(/\s+/g, ' ').trim().slice(0, 60);
const note = (text: string, ms: number): void => {
  const key = label(text);
  const t = timings.get(key) ?? { ms: 0, count: 0 };
  t.ms += ms;
  t.count++;
  timings.set(key, t);
};
const timed = <T extends SqlExecutor>(executor: T): T =>
  ({
    ...executor,
    ...(executor.copyFrom !== undefined
      ? {
          copyFrom: async (sql: string, body: string | Uint8Array) => {
            const t0 = performance.now();
            try {
              await executor.copyFrom!(sql, body);
            } finally {
              note(sql, performance.now() - t0);
            }
          },
        }
      : {}),
    ...(executor.copyMany !== undefined
      ? {
          copyMany: async (copies: ReadonlyArray<{ sql: string; body: string | Uint8Array }>) => {
            const t0 = performance.now();
            try {
              await executor.copyMany!(copies);
            } finally {
              note(`(one round trip) ${copies.map((c) => label(c.sql).slice(0, 30)).join(' + ')}`, performance.now() - t0);
            }
          },
        }
      : {}),
    query: async (text: string, params?: readonly unknown[]) => {
      const t0 = performance.now();
      try {
        return await executor.query(text, params);
      } finally {
        note(text, performance.now() - t0);
      }
    },
  }) as T;

function timedClient(client: SqlClient): SqlClient {
  return {
    ...timed(client),
    kind: client.kind,
    exec: (sql) => client.exec(sql),
    close: () => client.close(),
    transaction: (fn) =>
      client.transaction(async (tx) => {
        const t0 = performance.now();
        try {
          return await fn(timed(tx));
        } finally {
          note('(transaction body)', performance.now() - t0);
        }
      }),
  };
}

const definitions = await loadEntityFile(new URL('./entities.yaml', import.meta.url).pathname);
const model = compileEntities(definitions);
const db = EMBEDDED ? undefined : await createTestDatabase();
const dataDir = EMBEDDED ? mkdtempSync(join(tmpdir(), 'sluice-store-write-')) : undefined;
const raw = db !== undefined ? createPgClient({ url: db.url, poolSize: 2 }) : await createEmbeddedSqlClient({ dataDir: dataDir! });
const store = createSqlStore(timedClient(raw), { entityTables: createEntityTables() });
try {
  await store.migrate(definitions);
  if (DATA_INDEX) await raw.query('CREATE INDEX IF NOT EXISTS events_data_idx ON sluice.events USING gin (data jsonb_path_ops)');
  for (const index of DROP_INDEXES) await raw.query(`DROP INDEX sluice.${index.replace(/[^a-z0-9_]/g, '')}`);
  timings.clear();
  const receivedAt = new Date().toISOString();
  const encoder = new TextEncoder();
  let seq = 0;
  let total = 0;
  const backends = async (): Promise<number[]> =>
    db === undefined ? [] : (await db.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'sluice'")).map((r) => r.pid);
  const backendCpu = async (): Promise<number> => (await backends()).reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const backend0 = await backendCpu();
  const client0 = process.cpuUsage();
  for (let b = 0; b < BATCHES; b++) {
    const items: WriteItem[] = [];
    for (let i = 0; i < BATCH; i++) {
      seq++;
      const type = seq % 2 === 0 ? 'order.created' : 'page.viewed';
      const envelope = { id: newEventId(), type, source: '/bench', time: receivedAt, receivedAt, data: encoder.encode(eventBody(seq)), dataContentType: 'application/json' };
      items.push(await prepareItem({ envelope, seq, streamSeq: seq }, model));
    }
    const t0 = performance.now();
    await store.writeBatch(items);
    total += performance.now() - t0;
  }
  const client = process.cpuUsage(client0);
  const backendMs = ((await backendCpu()) - backend0) * 1000;
  const rows = BATCHES * BATCH;
  process.stdout.write(
    `${rows} events in ${BATCHES} batches: ${Math.round(rows / (total / 1000))} events/s (${(total / BATCHES).toFixed(1)} ms per batch; CPU per batch: ` +
      `this process ${((client.user + client.system) / 1000 / BATCHES).toFixed(1)} ms incl. building the events, PostgreSQL backend ${(backendMs / BATCHES).toFixed(1)} ms)\n`,
  );
  const archive = await raw.query<{ n: string | number }>(
    "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0) AS n FROM pg_inherits WHERE inhparent = 'sluice.events'::regclass",
  );
  process.stdout.write(`archive: ${Math.round(Number(archive.rows[0]!.n) / rows)} bytes per event (table, TOAST and indexes)\n`);
  if (SIZES) {
    // The same rows and indexes with and without the exact bytes (`data_bytes` NULL), each
    // rewritten compactly and indexed afresh, to weigh what keeping the bytes costs in storage.
    for (const [table, bytes] of [['sizes_with_bytes', 'data_bytes'], ['sizes_without_bytes', 'NULL::bytea']] as const) {
      await raw.exec(`CREATE TABLE sluice.${table} (LIKE sluice.events INCLUDING DEFAULTS)`);
      await raw.exec(
        `INSERT INTO sluice.${table} (id, type, source, subject, time, received_at, stream_seq, specversion, datacontenttype, data, origin_id, entity_type, traceparent, extensions, data_bytes, dataschema, entity_hint) ` +
          `SELECT id, type, source, subject, time, received_at, stream_seq, specversion, datacontenttype, data, origin_id, entity_type, traceparent, extensions, ${bytes}, dataschema, entity_hint FROM sluice.events`,
      );
      await raw.exec(
        `CREATE INDEX ON sluice.${table} (stream_seq); CREATE INDEX ON sluice.${table} (type, stream_seq); ` +
          `CREATE INDEX ON sluice.${table} (source, stream_seq); ALTER TABLE sluice.${table} ADD PRIMARY KEY (id, received_at)`,
      );
      const size = await raw.query<{ n: string | number }>(`SELECT pg_total_relation_size('sluice.${table}') AS n`);
      process.stdout.write(`${table}: ${Math.round(Number(size.rows[0]!.n) / rows)} bytes per event (the same rows and indexes, built afresh)\n`);
    }
  }
  for (const [text, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms)) {
    process.stdout.write(`${(t.ms / BATCHES).toFixed(1).padStart(8)} ms/batch  ${String(t.count).padStart(5)}×  ${text}\n`);
  }
} finally {
  await store.close();
  await db?.drop();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
}
