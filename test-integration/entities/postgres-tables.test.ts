import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  EntityMigrationError,
  compileEntities,
  existingColumnsQuery,
  parseEntityFile,
  parseEventText,
  planEntityTable,
  writeStatement,
} from '../../src/entities/index.js';
import type { CompiledEntity, EntityDefinition, EntityModel, ExistingColumn } from '../../src/entities/index.js';

const SERVER = process.env.SLUICE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432';
const database = `sluice_t_${randomBytes(6).toString('hex')}`;
let admin: pg.Client;
let db: pg.Client;

const ENTITIES = `entities:
  - name: Order
    table: shop.orders
    types: ["order.*"]
    key: [order_id]
    fields:
      order_id:  { type: string }
      status:    { type: string, enum: [pending, paid, shipped] }
      total:     { type: number, minimum: 0 }
      count:     { type: integer }
      rush:      { type: boolean }
      placed_at: { type: timestamp }
      lines:     { type: json }
  - name: Stock
    table: stock
    types: ["stock.*"]
    key: [warehouse, sku]
    fields:
      warehouse: { type: integer }
      sku:       { type: string }
      on_hand:   { type: integer }
`;

async function existing(def: EntityDefinition): Promise<ExistingColumn[] | null> {
  const q = existingColumnsQuery(def);
  const result = await db.query<ExistingColumn>(q.text, q.params);
  return result.rows.length === 0 ? null : result.rows;
}

async function migrate(def: EntityDefinition): Promise<string[]> {
  const statements = planEntityTable(def, await existing(def));
  for (const statement of statements) await db.query(statement);
  return statements;
}

/** Maps a batch and runs the entity's set-based write over it as it comes (the statement reduces each key to its newest event). */
async function write(entity: CompiledEntity, events: { seq: number; type?: string; data: Record<string, unknown> }[], model: EntityModel = compileEntities([entity.definition])): Promise<number> {
  const def = entity.definition;
  const columns: unknown[][] = def.fields.map(() => []);
  const ids: string[] = [];
  const types: string[] = [];
  const seqs: number[] = [];
  for (const e of events) {
    const type = e.type ?? `${def.types[0]!.replace(/[*>]$/, 'updated')}`;
    const mapping = await model.map({ id: randomUUID(), type, source: '/t', time: '2024-05-01T12:00:00Z' }, parseEventText(JSON.stringify(e.data)), def.name);
    assert.ok(mapping.ok && mapping.rows !== null, JSON.stringify(mapping));
    mapping.rows.writes[0]!.values.forEach((v, i) => columns[i]!.push(v));
    ids.push(randomUUID());
    types.push(type);
    seqs.push(e.seq);
  }
  const result = await db.query(writeStatement(def).text, [...columns, ids, types, seqs]);
  return result.rowCount ?? 0;
}

describe('entity tables in PostgreSQL', () => {
  const defs = parseEntityFile(ENTITIES, 'ents.yaml');
  const model = compileEntities(defs);
  const order = model.entities[0]!;
  const stock = model.entities[1]!;

  before(async () => {
    admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    db = new pg.Client({ connectionString: `${SERVER}/${database}` });
    await db.connect();
  });

  after(async () => {
    await db?.end();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('creates the schema and the table with declared and system columns', async () => {
    const statements = await migrate(order.definition);
    assert.match(statements[0]!, /^CREATE SCHEMA IF NOT EXISTS "shop"$/);
    const columns = await existing(order.definition);
    assert.deepEqual(
      columns?.map((c) => [c.column_name, c.data_type, c.key_position]),
      [
        ['order_id', 'text', 1],
        ['status', 'text', null],
        ['total', 'double precision', null],
        ['count', 'bigint', null],
        ['rush', 'boolean', null],
        ['placed_at', 'timestamp with time zone', null],
        ['lines', 'jsonb', null],
        ['_message_id', 'uuid', null],
        ['_event_type', 'text', null],
        ['_stream_seq', 'bigint', null],
        ['_updated_at', 'timestamp with time zone', null],
      ],
    );
    assert.deepEqual(await migrate(order.definition), [], 'a second plan has nothing to do');
    await migrate(stock.definition);
  });

  it('keeps the newest event per key whatever order the batches arrive in', async () => {
    await write(order, [
      { seq: 5, data: { order_id: 'a', status: 'paid', total: 20, lines: [{ sku: 'x', qty: 2 }], placed_at: '2024-05-01T12:00:00.123456+02:00' } },
      { seq: 2, data: { order_id: 'a', status: 'pending', total: 10 } },
      { seq: 3, data: { order_id: 'b', status: 'pending', count: 1, rush: true } },
    ]);
    // An older batch arrives late: it must not overwrite a or b.
    await write(order, [
      { seq: 1, data: { order_id: 'a', status: 'pending', total: 1 } },
      { seq: 2, data: { order_id: 'b', status: 'shipped' } },
      { seq: 4, data: { order_id: 'c', status: 'pending', total: 0, lines: 'note "quoted" \\ back' } },
    ]);
    // Same key twice within one batch without reducing first: the statement keeps the newest.
    await write(order, [
      { seq: 9, data: { order_id: 'c', status: 'shipped', total: 7 } },
      { seq: 8, data: { order_id: 'c', status: 'paid', total: 6 } },
    ]);

    const rows = await db.query(
      `SELECT order_id, status, total, count, rush, to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS placed, lines, _stream_seq::int AS seq FROM shop.orders ORDER BY order_id`,
    );
    assert.deepEqual(rows.rows, [
      { order_id: 'a', status: 'paid', total: 20, count: null, rush: null, placed: '2024-05-01 10:00:00.123456', lines: [{ sku: 'x', qty: 2 }], seq: 5 },
      { order_id: 'b', status: 'pending', total: null, count: '1', rush: true, placed: null, lines: null, seq: 3 },
      { order_id: 'c', status: 'shipped', total: 7, count: null, rush: null, placed: null, lines: null, seq: 9 },
    ]);
  });

  it('re-applies an event with the same sequence, repairing a row changed by hand', async () => {
    await db.query(`UPDATE shop.orders SET status = 'pending', total = 999 WHERE order_id = 'a'`);
    const changed = await write(order, [{ seq: 5, data: { order_id: 'a', status: 'paid', total: 20 } }]);
    assert.equal(changed, 1);
    const row = await db.query(`SELECT status, total FROM shop.orders WHERE order_id = 'a'`);
    assert.deepEqual(row.rows[0], { status: 'paid', total: 20 });
  });

  it('upserts by a composite key', async () => {
    await write(stock, [
      { seq: 10, data: { warehouse: 1, sku: 'x', on_hand: 5 } },
      { seq: 11, data: { warehouse: 2, sku: 'x', on_hand: 7 } },
      { seq: 12, data: { warehouse: 1, sku: 'x', on_hand: 4 } },
    ]);
    const rows = await db.query(`SELECT warehouse::int AS w, sku, on_hand::int AS n FROM public.stock ORDER BY warehouse`);
    assert.deepEqual(rows.rows, [{ w: 1, sku: 'x', n: 4 }, { w: 2, sku: 'x', n: 7 }]);
  });

  it('adds a column for a new field on the next plan, keeping the rows', async () => {
    const grown = parseEntityFile(ENTITIES.replace('      lines:     { type: json }', '      lines:     { type: json }\n      coupon:    { type: string }'), 'ents.yaml')[0]!;
    const statements = await migrate(grown);
    assert.deepEqual(statements, ['ALTER TABLE "shop"."orders" ADD COLUMN IF NOT EXISTS "coupon" text']);
    const entity = compileEntities([grown]).entities[0]!;
    await write(entity, [{ seq: 20, data: { order_id: 'd', coupon: 'SPRING' } }]);
    const rows = await db.query(`SELECT order_id, coupon FROM shop.orders ORDER BY order_id`);
    assert.deepEqual(rows.rows.map((r) => [r.order_id, r.coupon]), [['a', null], ['b', null], ['c', null], ['d', 'SPRING']]);
  });

  it('refuses a changed type, a removed field and a changed key, changing nothing', async () => {
    const withCoupon = ENTITIES.replace('      lines:     { type: json }', '      lines:     { type: json }\n      coupon:    { type: string }');
    const retyped = parseEntityFile(withCoupon.replace('total:     { type: number, minimum: 0 }', 'total:     { type: integer }'), 'ents.yaml')[0]!;
    const columns = await existing(retyped);
    assert.throws(
      () => planEntityTable(retyped, columns),
      (e: unknown) => e instanceof EntityMigrationError && /column "total" is double precision but field "total" is now declared integer \(bigint\)/.test(e.message) && /ALTER TABLE "shop"\."orders" ALTER COLUMN "total" TYPE bigint/.test(e.message),
    );
    const removed = parseEntityFile(ENTITIES, 'ents.yaml')[0]!;
    assert.throws(() => planEntityTable(removed, columns), /column "coupon" holds a field that entity Order no longer declares; dropping it would delete its data/);
    const rekeyed = parseEntityFile(withCoupon.replace('key: [order_id]', 'key: [order_id, status]'), 'ents.yaml')[0]!;
    assert.throws(() => planEntityTable(rekeyed, columns), /has the primary key \("order_id"\) but entity Order now declares key \("order_id", "status"\)/);
    assert.deepEqual(await existing(retyped), columns, 'the table is unchanged');
  });
});
