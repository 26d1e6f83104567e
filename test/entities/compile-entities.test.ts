import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileEntities, parseEntityFile, parseEventText } from '../../src/entities/index.js';

const defs = parseEntityFile(
  `entities:
  - name: Order
    table: orders
    types: ["order.created", "order.updated"]
    key: [order_id]
    fields:
      order_id:  { type: string, required: true, maxLength: 8 }
      status:    { type: string, enum: [pending, paid] }
      total:     { type: number, minimum: 0 }
      count:     { type: integer, maximum: 100 }
      paid:      { type: boolean }
      placed_at: { type: timestamp }
      lines:     { type: json }
      note:      { type: string, required: true }
  - name: Customer
    table: crm.customers
    types: ["customer.>"]
    key: [customer_id]
    fields:
      customer_id: { type: integer }
      email:       { type: string, format: email }
      tier:        { type: integer, const: 1 }
`,
  'ents.yaml',
);
const model = compileEntities(defs);
const valid = { order_id: 'o-1', note: 'n' };

/** Why `data` does not fit the entity the type routes to (its name stripped), or null. */
async function problem(type: string, data: unknown): Promise<string | null> {
  const mapping = await model.map({ id: '0190b4e2-6c1e-7c3a-9d5e-1f2a3b4c5d6e', type, source: '/t', time: '2024-05-01T12:00:00Z' }, parseEventText(JSON.stringify(data)));
  return mapping.ok ? null : mapping.failure.replace(/^\w+: /, '');
}
const order = { validate: (data: unknown) => problem('order.created', data) };
const customer = { validate: (data: unknown) => problem('customer.created', data) };

/** The one row the data maps to in its entity's table. */
async function row(type: string, data: unknown): Promise<readonly unknown[]> {
  const mapping = await model.map({ id: '0190b4e2-6c1e-7c3a-9d5e-1f2a3b4c5d6e', type, source: '/t', time: '2024-05-01T12:00:00Z' }, parseEventText(JSON.stringify(data)));
  assert.ok(mapping.ok && mapping.rows !== null);
  return mapping.rows.writes[0]!.values;
}

describe('entity validators', () => {
  it('accepts valid data, ignoring undeclared properties', async () => {
    assert.equal(await order.validate({ ...valid, total: 12.5, count: 3, paid: true, placed_at: '2024-05-01T12:00:00Z', lines: [{ sku: 'a' }], extra: { x: 1 } }), null);
  });

  it('accepts null and missing for fields that are not required, even with enum or const', async () => {
    assert.equal(await order.validate({ ...valid, status: null, total: null, placed_at: null, lines: null }), null);
    assert.equal(await customer.validate({ customer_id: 7, tier: null }), null);
  });

  it('names the field and the reason', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, total: -1 }, 'field "total": must be >= 0, got -1'],
      [{ note: 'n' }, 'field "order_id": is required'],
      [{ ...valid, order_id: null }, 'field "order_id": is required and must not be null'],
      [{ ...valid, order_id: 'much-too-long' }, 'field "order_id": must NOT have more than 8 characters, got "much-too-long"'],
      [{ ...valid, status: 'lost' }, 'field "status": must be one of "pending", "paid", got "lost"'],
      [{ ...valid, count: 1.5 }, 'field "count": must be an integer, got 1.5'],
      [{ ...valid, count: 101 }, 'field "count": must be <= 100, got 101'],
      [{ ...valid, paid: 'yes' }, 'field "paid": must be true or false, got "yes"'],
      [{ ...valid, total: '12' }, 'field "total": must be a number, got "12"'],
    ];
    for (const [data, message] of cases) assert.equal(await order.validate(data), message);
    assert.equal(await customer.validate({ customer_id: 1, email: 'nope' }), 'field "email": must be a valid email, got "nope"');
    assert.equal(await customer.validate({ customer_id: 1, tier: 2 }), 'field "tier": must be one of 1, got 2');
  });

  it('checks timestamps as RFC 3339 with a time zone', async () => {
    for (const ok of ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.123456+02:00', '2024-05-01 12:00:00-05:30']) {
      assert.equal(await order.validate({ ...valid, placed_at: ok }), null, ok);
    }
    for (const bad of ['2024-05-01', '2024-05-01T12:00:00', 'yesterday', '2024-13-01T00:00:00Z', '0000-01-01T00:00:00Z']) {
      assert.match(await order.validate({ ...valid, placed_at: bad }) ?? '', /^field "placed_at": must be an RFC 3339 timestamp/, bad);
    }
  });

  it('refuses text PostgreSQL cannot store, in strings and in json', async () => {
    assert.equal(await order.validate({ ...valid, note: 'a\u0000b' }), 'field "note": must not contain the character \\u0000, which PostgreSQL cannot store');
    assert.match(await order.validate({ ...valid, lines: [{ text: 'a\u0000b' }] }) ?? '', /^field "lines": .*\\u0000/);
    assert.equal(await order.validate({ ...valid, lines: [{ text: 'a literal \\u0000 is fine' }] }), null);
  });

  it('refuses integers too large to be exact', async () => {
    assert.match(await customer.validate({ customer_id: 2 ** 60 }) ?? '', /^field "customer_id": must be an integer between/);
  });

  it('refuses data that is not an object', async () => {
    for (const data of [null, [1], 'text', 3]) {
      assert.match((await order.validate(data)) ?? '', /^the event data must be a JSON object; got /);
    }
  });

  it('builds rows in field order: json as text, missing and null as null', async () => {
    const values = await row('order.created', { note: 'n', order_id: 'o-1', lines: [{ sku: 'a' }], placed_at: '2024-05-01T12:00:00Z', paid: false, total: null, ignored: 1 });
    assert.deepEqual(values, ['o-1', null, null, null, false, '2024-05-01T12:00:00Z', '[{"sku":"a"}]', 'n']);
    assert.deepEqual((await row('order.created', { order_id: 'x', note: 'n', lines: 'plain' })).at(-2), '"plain"');
  });
});

describe('routing', () => {
  it('routes by type pattern, and by entity hint first', async () => {
    const names = (type: string, hint?: string) => model.route(type, hint).map((e) => e.definition.name);
    assert.deepEqual(names('order.created'), ['Order']);
    assert.deepEqual(names('customer.address.changed'), ['Customer']);
    assert.deepEqual(names('customer'), []);
    assert.deepEqual(names('order.deleted'), []);
    assert.deepEqual(names('order.created', 'Customer'), ['Customer']);
    assert.deepEqual(names('ingest.message', 'Order'), ['Order']);
    assert.deepEqual(names('order.created', 'NoSuchEntity'), ['Order']);
  });
});
