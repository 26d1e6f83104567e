import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntityMigrationError, deleteStatement, parseEntityFile, planEntityTable, writeStatement } from '../../src/entities/index.js';
import type { ExistingColumn } from '../../src/entities/index.js';

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

  it("gives a merge entity's table the sequence each column was set by, and keeps it when the entity leaves merge", () => {
    const merged = { ...order, mode: 'merge' as const };
    assert.match(planEntityTable(merged, null)[0]!, /"_updated_at" timestamptz NOT NULL DEFAULT now\(\),\n {2}"_field_seqs" jsonb,\n/);
    const columns = [{ column_name: 'order_id', data_type: 'text' }, { column_name: 'total', data_type: 'double precision' }, ...system];
    assert.deepEqual(planEntityTable(merged, columns), ['ALTER TABLE "public"."orders" ADD COLUMN IF NOT EXISTS "_field_seqs" jsonb']);
    const withSeqs = [...columns, { column_name: '_field_seqs', data_type: 'jsonb' }];
    assert.deepEqual(planEntityTable(merged, withSeqs), []);
    assert.deepEqual(planEntityTable(order, withSeqs), []);
    assert.doesNotMatch(planEntityTable(order, null)[0]!, /_field_seqs/);
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

describe('indexes, exact types and keys by event id', () => {
  const [ledger, customer] = parseEntityFile(
    `entities:
  - name: Ledger
    table: ledger
    types: [payment.*]
    mode: append
    fields:
      amount: { type: decimal, precision: 12, scale: 2 }
      account: { type: bigint, index: true }
      day: { type: date }
      ref: { type: uuid, unique: true }
  - name: Customer
    table: customers
    types: [customer.*]
    deletes: [customer.erased]
    key: [customer_id]
    fields:
      customer_id: string
`,
    'ents.yaml',
  );

  it('creates numeric, bigint, date and uuid columns, keyed by event id, with the declared indexes', () => {
    const statements = planEntityTable(ledger!, null);
    assert.match(statements[0]!, /"amount" numeric\(12,2\),\n {2}"account" bigint,\n {2}"day" date,\n {2}"ref" uuid,/);
    assert.match(statements[0]!, /PRIMARY KEY \("_message_id"\)\n\)$/);
    assert.deepEqual(statements.slice(1), [
      'CREATE INDEX IF NOT EXISTS "ledger_account_idx" ON "public"."ledger" ("account")',
      'CREATE UNIQUE INDEX IF NOT EXISTS "ledger_ref_key" ON "public"."ledger" ("ref")',
    ]);
  });

  it('refuses a decimal whose digits changed', () => {
    const columns: ExistingColumn[] = [
      { column_name: 'amount', data_type: 'numeric', numeric_precision: 10, numeric_scale: 2 },
      { column_name: 'account', data_type: 'bigint' },
      { column_name: 'day', data_type: 'date' },
      { column_name: 'ref', data_type: 'uuid' },
      ...system,
    ];
    assert.throws(() => planEntityTable(ledger!, columns), /column "amount" is numeric\(10,2\) but field "amount" is now declared decimal \(numeric\(12,2\)\)/);
  });

  it('appends by event id: a redelivery or replay of the same event re-applies, another event never overwrites', () => {
    const statement = writeStatement(ledger!);
    assert.match(statement.text, /ON CONFLICT \("_message_id"\) DO UPDATE SET .*\nWHERE t\."_message_id" = EXCLUDED\."_message_id"$/);
    assert.deepEqual(statement.arrayTypes, ['numeric[]', 'bigint[]', 'date[]', 'uuid[]', 'uuid[]', 'text[]', 'bigint[]']);
  });

  it('keeps tombstones out of a write and records them on a delete', () => {
    assert.match(writeStatement(customer!).text, /WHERE NOT EXISTS \(SELECT 1 FROM sluice\.entity_tombstones d WHERE d\.table_name = 'customers' AND d\.key = jsonb_build_array\(u\."customer_id"\) AND d\.stream_seq > u\._stream_seq\)/);
    assert.match(deleteStatement(customer!, []).text, /INSERT INTO sluice\.entity_tombstones AS s/);
  });
});
