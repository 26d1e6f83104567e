/**
 * Entities on the worker's drain: a stream pre-filled with N events, each an order with five
 * lines and a customer (rows in three tables: the order, five lines, the customer), drained by
 * `sluice worker`, next to the archive-only drain of the same events under a type no entity
 * takes, in the same run, rounds alternated. Then what JSONata costs per event: the compiled
 * expressions evaluated over typical events in a loop, and the whole mapping of one event.
 *
 *   node --import tsx bench/entities.ts [--events 20000] [--rounds 3] [--no-build]
 *
 * Starts its own nats-server and a fresh database; needs PostgreSQL on 127.0.0.1:5432.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { envelopeHeaders } from '../src/bus/jetstream/wire.js';
import { compileEntities, parseEntityFile, parseEventText } from '../src/entities/index.js';
import { compileExpression } from '../src/entities/expressions.js';
import { newEventId } from '../src/envelope/index.js';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.js';
import { startNatsServer, type NatsServer } from '../test/helpers/nats.js';
import { cpuMeter } from './proc.js';

const ROOT = new URL('..', import.meta.url).pathname;
const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i === -1 ? fallback : Number(argv[i + 1]);
};
const EVENTS = flag('--events', 20_000);
const ROUNDS = flag('--rounds', 3);
const LINES = 5;
/** Rows one entity event writes: the order, its lines, its customer. */
const ROWS_PER_EVENT = 1 + LINES + 1;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The entity file: orders with lines (a child) and customers (merge), as nomnom's examples map them. */
const ENTITY_FILE = `entities:
  - name: Order
    table: orders
    types: ["order.*"]
    key: [order_id]
    fields:
      order_id:    { type: string, required: true }
      status:      { type: string, enum: [pending, paid, shipped, cancelled] }
      total:       { type: decimal, precision: 12, scale: 2 }
      currency:    { from: [currency, customer.currency], type: string, default: EUR }
      customer_id: { from: customer.id, type: string, index: true }
      total_cents: { expr: "$round($number(total) * 100)", type: bigint }
  - name: OrderLine
    table: order_lines
    parent: Order
    each: lines
    key: [line_no]
    fields:
      line_no: { from: $index, type: integer }
      sku:     { type: string, required: true }
      qty:     { type: integer, minimum: 1 }
      price:   { type: decimal, precision: 10, scale: 2 }
  - name: Customer
    table: customers
    types: ["order.*"]
    mode: merge
    when: { path: customer.id, exists: true }
    key: [customer_id]
    fields:
      customer_id: { from: customer.id, type: string, required: true }
      email:       { from: customer.email, type: string, format: email }
      name:        { from: customer.name, type: string }
`;

/** An order with five lines and a customer (about 520 bytes of JSON). */
function orderBody(tag: string, i: number): string {
  const lines = Array.from({ length: LINES }, (_, n) => ({ sku: `sku-${(i + n) % 500}`, qty: 1 + (n % 3), price: `${(n + 1) * 3}.25` }));
  const customer = { id: `${tag}-c${i % 1000}`, email: `c${i % 1000}@example.com`, name: `Customer ${i % 1000}`, currency: 'EUR' };
  return JSON.stringify({ order_id: `${tag}-o${i}`, status: 'paid', total: '61.25', customer, lines });
}

interface Names {
  readonly stream: string;
  readonly prefix: string;
  readonly consumer: string;
}

function env(nats: NatsServer, db: TestDatabase, entityFile: string, n: Names): Record<string, string> {
  return { NATS_URL: nats.url, DATABASE_URL: db.url, NATS_STREAM: n.stream, NATS_SUBJECT_PREFIX: n.prefix, SLUICE_CONSUMER: n.consumer, SLUICE_ENTITIES: entityFile, LOG_LEVEL: 'warn' };
}

/** Publishes `count` events of `type`, 1000 in flight. */
async function prefill(natsUrl: string, prefix: string, type: string, tag: string, count: number): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const js = jetstream(nc, { timeout: 30_000 });
  const encoder = new TextEncoder();
  const receivedAt = new Date().toISOString();
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const id = newEventId();
      const envelope = { id, type, source: '/bench', time: receivedAt, receivedAt, data: encoder.encode(orderBody(tag, i)), dataContentType: 'application/json' };
      await js.publish(`${prefix}.${type}`, envelope.data, { msgID: id, headers: envelopeHeaders(envelope) });
    }
  };
  await Promise.all(Array.from({ length: 1000 }, lane));
  await nc.drain();
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Drains a pre-filled stream with `sluice worker`: events/s from the first delivery to the last ack, and the worker's CPU. */
async function drain(jsm: JetStreamManager, nats: NatsServer, db: TestDatabase, entityFile: string, n: Names): Promise<{ eventsPerSecond: number; cpuPercent: number }> {
  const child = spawn(process.execPath, ['bin/sluice.js', 'worker'], { cwd: ROOT, env: { ...process.env, ...env(nats, db, entityFile, n) }, stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    let first: { at: number; acked: number } | undefined;
    let meter: { stop(): number } | undefined;
    const deadline = performance.now() + 600_000;
    for (;;) {
      const info = await jsm.consumers.info(n.stream, n.consumer).catch(() => null);
      if (info !== null) {
        if (first === undefined && info.delivered.stream_seq > 0) {
          first = { at: performance.now(), acked: info.ack_floor.stream_seq };
          meter = cpuMeter(child.pid!);
        }
        if (info.num_pending === 0 && info.num_ack_pending === 0 && info.ack_floor.stream_seq >= EVENTS) break;
      }
      if (performance.now() > deadline || child.exitCode !== null) throw new Error('the worker did not drain the stream');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const seconds = (performance.now() - first!.at) / 1000;
    return { eventsPerSecond: (EVENTS - first!.acked) / seconds, cpuPercent: meter!.stop() };
  } finally {
    await stop(child);
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** µs per evaluation of each expression over typical events, and of the whole mapping of one event. */
async function expressionCosts(): Promise<Array<{ what: string; us: number }>> {
  const events = Array.from({ length: 1000 }, (_, i) => JSON.parse(orderBody('x', i)) as Record<string, unknown>);
  const attributes = { id: newEventId(), type: 'order.created', source: '/bench', time: new Date().toISOString() };
  const expressions = ['$round($number(total) * 100)', '$exists(customer.id)', 'customer.email', '$sum(lines.($number(price) * qty))', '$type & ":" & order_id'];
  const loop = async (evaluate: (data: Record<string, unknown>, i: number) => Promise<unknown>): Promise<number> => {
    const per = async (count: number): Promise<number> => {
      const t0 = performance.now();
      for (let i = 0; i < count; i++) await evaluate(events[i % events.length]!, i);
      return ((performance.now() - t0) * 1000) / count;
    };
    await per(5000); // warm-up: JIT and JSONata's first-call paths
    return median([await per(20_000), await per(20_000), await per(20_000)]);
  };
  const results: Array<{ what: string; us: number }> = [];
  for (const text of expressions) {
    const compiled = compileExpression(text);
    results.push({ what: `\`${text}\``, us: await loop((data) => compiled.evaluate(data, attributes, undefined, data)) });
  }
  const model = compileEntities(parseEntityFile(ENTITY_FILE, 'bench-entities.yaml'));
  const texts = events.map((e) => JSON.stringify(e));
  results.push({ what: 'whole mapping of one event (parse + 3 entities, 7 rows, 1 expression)', us: await loop((_, i) => model.map(attributes, parseEventText(texts[i % texts.length]!))) });
  return results;
}

async function main(): Promise<void> {
  if (!argv.includes('--no-build')) {
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const nats = await startNatsServer();
  const db = await createTestDatabase();
  const scratch = mkdtempSync(join(tmpdir(), 'sluice-bench-entities-'));
  const entityFile = join(scratch, 'entities.yaml');
  writeFileSync(entityFile, ENTITY_FILE);
  const nc = await connect({ servers: nats.url });
  const jsm = await jetstreamManager(nc);
  try {
    const migrated = spawnSync(process.execPath, ['bin/sluice.js', 'migrate'], { cwd: ROOT, env: { ...process.env, ...env(nats, db, entityFile, { stream: 'BENCH_MIGRATE', prefix: 'm', consumer: 'm' }) }, stdio: ['ignore', 'ignore', 'inherit'] });
    if (migrated.status !== 0) throw new Error('sluice migrate failed');
    const runs: Record<'entities' | 'archive', Array<{ eventsPerSecond: number; cpuPercent: number }>> = { entities: [], archive: [] };
    let run = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const kinds: Array<'entities' | 'archive'> = round % 2 === 0 ? ['entities', 'archive'] : ['archive', 'entities'];
      for (const kind of kinds) {
        run++;
        const n: Names = { stream: `BENCH_ENT_${run}`, prefix: `bent${run}`, consumer: `bench_ent_${run}` };
        const tag = `r${run}`;
        await jsm.streams.add({ name: n.stream, subjects: [`${n.prefix}.>`] });
        // Same bytes either way; only the type says whether an entity takes them.
        await prefill(nats.url, n.prefix, kind === 'entities' ? 'order.created' : 'page.viewed', tag, EVENTS);
        const result = await drain(jsm, nats, db, entityFile, n);
        const [counts] = await db.query<{ events: string; orders: string; lines: string; customers: string }>(
          `SELECT (SELECT count(*) FROM sluice.events WHERE data->>'order_id' LIKE $1) AS events, (SELECT count(*) FROM orders WHERE order_id LIKE $1) AS orders,
             (SELECT count(*) FROM order_lines WHERE order_id LIKE $1) AS lines, (SELECT count(*) FROM customers WHERE customer_id LIKE $1) AS customers`,
          [`${tag}-%`],
        );
        const expected = kind === 'entities' ? { events: EVENTS, orders: EVENTS, lines: EVENTS * LINES, customers: Math.min(EVENTS, 1000) } : { events: EVENTS, orders: 0, lines: 0, customers: 0 };
        const got = { events: Number(counts!.events), orders: Number(counts!.orders), lines: Number(counts!.lines), customers: Number(counts!.customers) };
        if (JSON.stringify(got) !== JSON.stringify(expected)) throw new Error(`${kind} run ${run}: rows ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
        runs[kind].push(result);
        log(`round ${round + 1} ${kind}: ${Math.round(result.eventsPerSecond)} events/s, worker CPU ${Math.round(result.cpuPercent)}% (rows verified)`);
        await jsm.streams.delete(n.stream);
      }
    }
    const entities = median(runs.entities.map((r) => r.eventsPerSecond));
    const archive = median(runs.archive.map((r) => r.eventsPerSecond));
    const costs = await expressionCosts();
    const out = [
      `Worker drain of ${EVENTS} events per run, ${ROUNDS} rounds alternated, medians:`,
      '',
      '| drain | events/s | rows/s (entity tables) | worker CPU | vs archive-only |',
      '|---|---:|---:|---:|---:|',
      `| archive only (type no entity takes) | ${Math.round(archive)} | 0 | ${Math.round(median(runs.archive.map((r) => r.cpuPercent)))}% | 1.00 |`,
      `| order + ${LINES} lines + customer (3 tables, ${ROWS_PER_EVENT} rows/event) | ${Math.round(entities)} | ${Math.round(entities * ROWS_PER_EVENT)} | ${Math.round(median(runs.entities.map((r) => r.cpuPercent)))}% | ${(entities / archive).toFixed(2)} |`,
      '',
      'Per-round events/s: entities ' + runs.entities.map((r) => Math.round(r.eventsPerSecond)).join(', ') + '; archive ' + runs.archive.map((r) => Math.round(r.eventsPerSecond)).join(', '),
      '',
      '| JSONata, compiled once, over typical events | µs per event |',
      '|---|---:|',
      ...costs.map((c) => `| ${c.what} | ${c.us.toFixed(1)} |`),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await nc.close();
    await db.drop();
    await nats.destroy();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
