/**
 * Baseline: the gateway a sceptical engineer would build instead of a queue. Each request's
 * event waits in memory; every FLUSH_MS (or as soon as MAX_ROWS are waiting) the waiting events
 * go into PostgreSQL in one multi-row INSERT, its own transaction, and each request is answered
 * 202 only after that commit: the same durable promise as Sluice's 202, with no bus and no
 * worker. The table is `sluice.events` of a database of its own, made by `sluice migrate` (the
 * same columns and indexes, partitioned by day as the worker's), and each row holds what the
 * worker writes for a single event: the data as jsonb and as its exact bytes.
 *
 *   node --import tsx bench/servers/direct.ts PORT DATABASE_URL
 *
 * Routes: POST /events/{type} (the body is one JSON event), POST /ingest/batch?type=T
 * (NDJSON: the batch's lines in one INSERT, with whatever else is waiting).
 */
import Fastify from 'fastify';
import pg from 'pg';
import { newEventId } from '../../src/envelope/index.js';

const [port, databaseUrl] = process.argv.slice(2);
/** How long the first waiting event waits for others to share its INSERT (group commit). */
const FLUSH_MS = 2;
/** An INSERT is sent at once when this many events wait (a few batches of 1000, or 64 connections many times over). */
const MAX_ROWS = 4000;
/** INSERTs in flight at once; a flush beyond it waits for a connection. */
const CONNECTIONS = 4;
const DAY_MS = 86_400_000;

// Idle connections are kept 30 s, as Sluice's own pool keeps them.
const pool = new pg.Pool({ connectionString: databaseUrl!, max: CONNECTIONS, idleTimeoutMillis: 30_000 });

// The worker creates the day partitions it writes into; this gateway does it for today and tomorrow.
for (const day of [0, 1].map((d) => Math.floor(Date.now() / DAY_MS) * DAY_MS + d * DAY_MS)) {
  const name = `events_${new Date(day).toISOString().slice(0, 10).replace(/-/g, '')}`;
  await pool.query(
    `CREATE TABLE IF NOT EXISTS sluice.${name} PARTITION OF sluice.events FOR VALUES FROM ('${new Date(day).toISOString()}') TO ('${new Date(day + DAY_MS).toISOString()}')`,
  );
}
let streamSeq = Number((await pool.query<{ seq: string }>('SELECT coalesce(max(stream_seq), 0) AS seq FROM sluice.events')).rows[0]!.seq);

const INSERT = `INSERT INTO sluice.events (id, type, source, time, received_at, stream_seq, data, datacontenttype, data_bytes)
  SELECT id, type, '/direct', t, t, seq, data::jsonb, 'application/json', bytes
  FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::bigint[], $5::text[], $6::bytea[]) AS r(id, type, t, seq, data, bytes)`;

/** The events waiting for the next INSERT, column by column, and the requests waiting on it. */
class Group {
  readonly ids: string[] = [];
  readonly types: string[] = [];
  readonly times: string[] = [];
  readonly seqs: number[] = [];
  readonly data: string[] = [];
  readonly bytes: Buffer[] = [];
  readonly waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
}

let group = new Group();
let timer: NodeJS.Timeout | undefined;

function flush(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  const g = group;
  group = new Group();
  if (g.ids.length === 0) return;
  pool.query({ name: 'insert-events', text: INSERT, values: [g.ids, g.types, g.times, g.seqs, g.data, g.bytes] }).then(
    () => {
      for (const w of g.waiters) w.resolve();
    },
    (error: Error) => {
      for (const w of g.waiters) w.reject(error);
    },
  );
}

/** Queues one event's row; returns its id. */
function add(type: string, body: Buffer, receivedAt: string): string {
  const id = newEventId();
  group.ids.push(id);
  group.types.push(type);
  group.times.push(receivedAt);
  group.seqs.push(++streamSeq);
  group.data.push(body.toString('utf8'));
  group.bytes.push(body);
  return id;
}

/** Resolves once the group holding the events just added is committed. */
function committed(): Promise<void> {
  const done = new Promise<void>((resolve, reject) => group.waiters.push({ resolve, reject }));
  if (group.ids.length >= MAX_ROWS) flush();
  else timer ??= setTimeout(flush, FLUSH_MS);
  return done;
}

const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
app.addContentTypeParser(['application/json', 'application/x-ndjson'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

app.post<{ Params: { type: string } }>('/events/:type', async (request, reply) => {
  const body = request.body as Buffer;
  JSON.parse(body.toString('utf8'));
  const id = add(request.params.type, body, new Date().toISOString());
  await committed();
  return reply.code(202).send({ id, status: 'accepted' });
});

app.post<{ Querystring: { type?: string } }>('/ingest/batch', async (request, reply) => {
  const body = request.body as Buffer;
  const type = request.query.type ?? 'event';
  const receivedAt = new Date().toISOString();
  const ids: string[] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf(10, start);
    if (end === -1) end = body.length;
    if (end > start) {
      const line = body.subarray(start, end);
      JSON.parse(line.toString('utf8'));
      ids.push(add(type, line, receivedAt));
    }
    start = end + 1;
  }
  await committed();
  return reply.code(202).send({ accepted: ids.length, ids });
});

const close = async (): Promise<void> => {
  await app.close();
  flush();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void close());
process.once('SIGINT', () => void close());

const address = await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write(`listening ${address}\n`);
