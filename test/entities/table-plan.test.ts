import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntityMigrationError, newestPerKey, parseEntityFile, planEntityTable, upsertParameters, upsertStatement } from '../../src/entities/index.js';
import type { EntityRow, ExistingColumn } from '../../src/entities/index.js';

const [def] = parseEntityFile(
  `entities:
  - name: Order
    table: orders
    types: [order.created]
    key: [order_id]
    fields:
      order_id: string
      total: number
`,
  'ents.yaml',
);
const order = def!;
const system: ExistingColumn[] = [
  { column_name: '_message_id', data_type: 'uuid' },
  { column_name: '_event_type', data_type: 'text' },
  { column_name: '_stream_seq', data_type: 'bigint' },
  { column_name: '_updated_at', data_type: 'timestamp with time zone' },
];

describe('planEntityTable', () => {
  it('creates the table in public without creating a schema', () => {
    const statements = planEntityTable(order, null);
    assert.equal(statements.length, 1);
    assert.match(statements[0]!, /^CREATE TABLE IF NOT EXISTS "public"\."orders" \(\n {2}"order_id" text NOT NULL,\n {2}"total" double precision,\n/);
    assert.match(statements[0]!, /PRIMARY KEY \("order_id"\)\n\)$/);
    assert.deepEqual(planEntityTable(order, []), statements);
  });

  it('has nothing to do when the table matches, and skips the key check without key information', () => {
    const columns = [{ column_name: 'order_id', data_type: 'text' }, { column_name: 'total', data_type: 'double precision' }, ...system];
    assert.deepEqual(planEntityTable(order, columns), []);
  });

  it('refuses a table Sluice did not create', () => {
    const columns = [{ column_name: 'order_id', data_type: 'text' }, { column_name: 'total', data_type: 'double precision' }];
    assert.throws(
      () => planEntityTable(order, columns),
      (e: unknown) => e instanceof EntityMigrationError && e.problems.length === 4 && /column "_message_id" is missing/.test(e.message),
    );
  });

  it('refuses a table without a primary key when the key is known', () => {
    const columns = [{ column_name: 'order_id', data_type: 'text', key_position: null }, { column_name: 'total', data_type: 'double precision', key_position: null }, ...system];
    assert.throws(() => planEntityTable(order, columns), /the table has no primary key but entity Order now declares key \("order_id"\)/);
  });
});

describe('batch upsert', () => {
  const row = (id: string, seq: number, total: number): EntityRow => ({ values: [id, total], messageId: `m${seq}`, eventType: 'order.created', streamSeq: seq });

  it('keeps the highest sequence per key within a batch', () => {
    const kept = newestPerKey(order, [row('a', 3, 1), row('b', 1, 2), row('a', 7, 3), row('a', 5, 4)]);
    assert.deepEqual(kept.map((r) => [r.values[0], r.streamSeq]), [['a', 7], ['b', 1]]);
  });

  it('passes one array per field, then ids, types and sequences', () => {
    const statement = upsertStatement(order);
    assert.deepEqual(statement.arrayTypes, ['text[]', 'double precision[]', 'uuid[]', 'text[]', 'bigint[]']);
    assert.deepEqual(upsertParameters(order, [row('a', 3, 1), row('b', 4, 2)]), [['a', 'b'], [1, 2], ['m3', 'm4'], ['order.created', 'order.created'], [3, 4]]);
    assert.match(statement.text, /ON CONFLICT \("order_id"\) DO UPDATE SET "total" = EXCLUDED\."total", "_message_id" = EXCLUDED\."_message_id"/);
    assert.match(statement.text, /WHERE t\."_stream_seq" <= EXCLUDED\."_stream_seq"$/);
  });
});
