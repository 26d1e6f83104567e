import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileEntities, parseEntityFile, parseEventText, type EntityModel } from '../../src/entities/index.js';
import { newEventId, type EventEnvelope } from '../../src/envelope/index.js';
import { createEntityTables, createSqlStore, type StorePort, type WriteItem } from '../../src/store/index.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { SHOP_ENTITIES } from './fixtures-shop.js';

const encoder = new TextEncoder();

/** A fresh database's client (closing it is the store's job) and how to clean up after it. */
export type MakeClient = () => Promise<{ client: SqlClient; cleanup(): Promise<void> }>;

/**
 * What an entity file does to tables, from events: run unchanged on the embedded database and
 * on PostgreSQL (where the two transactions of one batch really run at once).
 */
export function entityMappingContract(name: string, makeClient: MakeClient): void {
describe(`entity mapping into tables (${name})`, { timeout: 120_000 }, () => {
  let cleanup: () => Promise<void>;
  let client: SqlClient;
  let store: StorePort;
  let model: EntityModel;
  let seq = 100;

  before(async () => {
    ({ client, cleanup } = await makeClient());
    store = createSqlStore(client, { entityTables: createEntityTables() });
    const defs = parseEntityFile(SHOP_ENTITIES, 'shop.yaml');
    model = compileEntities(defs);
    await store.migrate(defs);
  });
  after(async () => {
    await store.close();
    await cleanup();
  });

  /** An event as the worker prepares it: the exact JSON text, mapped with the model. */
  const event = async (type: string, json: string, options: { seq?: number; id?: string; replay?: boolean } = {}): Promise<WriteItem> => {
    const now = new Date().toISOString();
    const envelope: EventEnvelope = { id: options.id ?? newEventId(), type, source: '/test', time: now, receivedAt: now, data: encoder.encode(json), dataContentType: 'application/json' };
    const mapping = await model.map({ id: envelope.id, type, source: envelope.source, time: now }, parseEventText(json));
    const mapped = mapping.ok ? { rows: mapping.rows } : { rows: null, failure: mapping.failure };
    return { envelope, seq: options.seq ?? ++seq, replay: options.replay ?? false, entityType: mapping.entityType, ...mapped };
  };
  const rows = async <T>(text: string, params: unknown[] = []): Promise<T[]> => (await client.query<T>(text, params)).rows;

  it('writes an order, its lines and its customer from one event, in one batch', async () => {
    const created = await event(
      'order.created',
      '{"order_id":"o-1","total":12.50,"customer":{"id":"c-1","email":"a@example.com","name":"Ann","currency":"USD"},"placed_on":"2026-03-01","lines":[{"sku":"a","qty":1,"price":2.50},{"sku":"b","qty":2,"price":5.00}]}',
    );
    assert.equal(created.failure, undefined);
    await store.writeBatch([created]);
    const [order] = await rows<Record<string, unknown>>('SELECT order_id, customer_id, total::text, currency, channel, total_cents::text, placed_on::text, received_by::text FROM orders');
    assert.deepEqual(order, { order_id: 'o-1', customer_id: 'c-1', total: '12.50', currency: 'USD', channel: 'web', total_cents: '1250', placed_on: '2026-03-01', received_by: created.envelope.id });
    const lines = await rows('SELECT order_id, line_no::int, sku, qty::int, price::text FROM order_lines ORDER BY line_no');
    assert.deepEqual(lines, [
      { order_id: 'o-1', line_no: 0, sku: 'a', qty: 1, price: '2.50' },
      { order_id: 'o-1', line_no: 1, sku: 'b', qty: 2, price: '5.00' },
    ]);
    const customers = await rows('SELECT customer_id, email, name, tier FROM customers');
    assert.deepEqual(customers, [{ customer_id: 'c-1', email: 'a@example.com', name: 'Ann', tier: 'basic' }]);
    const status = await store.getStatus(created.envelope.id);
    assert.equal(status?.entityType, 'Order,Customer,FirstTouch');
    assert.deepEqual(status?.rows, [
      { table: 'orders', key: { order_id: 'o-1' } },
      { table: 'customers', key: { customer_id: 'c-1' } },
      { table: 'first_touch', key: { customer_id: 'c-1' } },
      { table: 'order_lines', key: { order_id: 'o-1', line_no: 0 } },
      { table: 'order_lines', key: { order_id: 'o-1', line_no: 1 } },
    ]);
  });

  const lineSkus = async (orderId: string): Promise<string[]> =>
    (await rows<{ sku: string }>('SELECT sku FROM order_lines WHERE order_id = $1 ORDER BY line_no', [orderId])).map((r) => r.sku);

  it('replaces the lines as a set on a newer order event; an older one, arriving later, touches nothing', async () => {
    const v1 = await event('order.created', '{"order_id":"o-2","total":"10","lines":[{"sku":"a"},{"sku":"b"},{"sku":"c"}]}', { seq: 1000 });
    const v3 = await event('order.updated', '{"order_id":"o-2","total":"30","lines":[{"sku":"x"}]}', { seq: 1002 });
    const v2 = await event('order.updated', '{"order_id":"o-2","total":"20","lines":[{"sku":"p"},{"sku":"q"}]}', { seq: 1001 });
    await store.writeBatch([v1]);
    assert.deepEqual(await lineSkus('o-2'), ['a', 'b', 'c']);
    await store.writeBatch([v3]);
    assert.deepEqual(await lineSkus('o-2'), ['x'], 'elements gone from the array are gone from the table');
    await store.writeBatch([v2]);
    assert.deepEqual(await lineSkus('o-2'), ['x'], 'an older event leaves the children alone');
    assert.deepEqual(await rows('SELECT total::text FROM orders WHERE order_id = $1', ['o-2']), [{ total: '30.00' }]);
    // An event without the array leaves the lines as they are; one with an empty array clears them.
    await store.writeBatch([await event('order.updated', '{"order_id":"o-2","total":"31"}', { seq: 1003 })]);
    assert.deepEqual(await lineSkus('o-2'), ['x']);
    await store.writeBatch([await event('order.updated', '{"order_id":"o-2","lines":[]}', { seq: 1004 })]);
    assert.deepEqual(await lineSkus('o-2'), []);
    // The older v1 again (a replay): the empty set written by 1004 stays empty.
    await store.writeBatch([{ ...v1, replay: true }]);
    assert.deepEqual(await lineSkus('o-2'), []);
  });

  const discounts = async (orderId: string): Promise<string[]> =>
    (await rows<{ d: string }>("SELECT line_no || ':' || code || '=' || amount AS d FROM line_discounts WHERE order_id = $1 ORDER BY line_no, code", [orderId])).map((r) => r.d);

  it('writes grandchildren (an order line\'s discounts) keyed by order, line and their own key, replaced as a set by a newer order event', async () => {
    const v1 = await event(
      'order.created',
      '{"order_id":"o-g","lines":[{"sku":"a","discounts":[{"code":"X","amount":"1"},{"code":"Y","amount":"2"}]},{"sku":"b","discounts":[{"code":"X","amount":"3"}]}]}',
      { seq: 1500 },
    );
    assert.equal(v1.failure, undefined);
    await store.writeBatch([v1]);
    assert.deepEqual(await discounts('o-g'), ['0:X=1.00', '0:Y=2.00', '1:X=3.00']);
    const status = await store.getStatus(v1.envelope.id);
    assert.deepEqual(
      status?.rows?.filter((r) => r.table === 'line_discounts'),
      [
        { table: 'line_discounts', key: { order_id: 'o-g', line_no: 0, code: 'X' } },
        { table: 'line_discounts', key: { order_id: 'o-g', line_no: 0, code: 'Y' } },
        { table: 'line_discounts', key: { order_id: 'o-g', line_no: 1, code: 'X' } },
      ],
    );
    // A newer order: line 1 is gone with its discount, line 0 keeps one; an element without the array has none.
    const v3 = await event('order.updated', '{"order_id":"o-g","lines":[{"sku":"a","discounts":[{"code":"Y","amount":"5"}]},{"sku":"c"}]}', { seq: 1502 });
    const v2 = await event('order.updated', '{"order_id":"o-g","lines":[{"sku":"a","discounts":[{"code":"Z","amount":"9"}]}]}', { seq: 1501 });
    await store.writeBatch([v3]);
    assert.deepEqual(await discounts('o-g'), ['0:Y=5.00']);
    await store.writeBatch([v2]);
    assert.deepEqual(await discounts('o-g'), ['0:Y=5.00'], 'an older order event leaves the grandchildren alone');
    // Both in one batch: the newer wins whatever the order.
    await store.writeBatch([
      await event('order.updated', '{"order_id":"o-g","lines":[{"sku":"a","discounts":[{"code":"N","amount":"7"}]}]}', { seq: 1504 }),
      await event('order.updated', '{"order_id":"o-g","lines":[{"sku":"a","discounts":[{"code":"O","amount":"6"}]}]}', { seq: 1503 }),
    ]);
    assert.deepEqual(await discounts('o-g'), ['0:N=7.00']);
    // An event without lines leaves lines and discounts; a delete takes them all.
    await store.writeBatch([await event('order.updated', '{"order_id":"o-g","total":"1"}', { seq: 1505 })]);
    assert.deepEqual(await discounts('o-g'), ['0:N=7.00']);
    await store.writeBatch([await event('order.purged', '{"order_id":"o-g"}', { seq: 1506 })]);
    assert.deepEqual(await discounts('o-g'), []);
    assert.deepEqual(await lineSkus('o-g'), []);
    // A bad grandchild names where it is.
    const bad = await event('order.created', '{"order_id":"o-gx","lines":[{"sku":"a"},{"sku":"b","discounts":[{"amount":"1"}]}]}');
    assert.equal(bad.failure, 'Order (OrderLine, lines[1]) (LineDiscount, discounts[0]): field "code": is required');
  });

  it('merges partial customer updates: absent fields keep their values, null clears', async () => {
    await store.writeBatch([await event('customer.created', '{"customer":{"id":"c-9","email":"n@example.com","name":"Nina","tier":"gold"}}', { seq: 2000 })]);
    await store.writeBatch([await event('customer.updated', '{"customer":{"id":"c-9","name":"Nina B."}}', { seq: 2001 })]);
    assert.deepEqual(await rows('SELECT email, name, tier FROM customers WHERE customer_id = $1', ['c-9']), [{ email: 'n@example.com', name: 'Nina B.', tier: 'gold' }]);
    await store.writeBatch([await event('customer.updated', '{"customer":{"id":"c-9","email":null}}', { seq: 2002 })]);
    assert.deepEqual(await rows('SELECT email, name, tier FROM customers WHERE customer_id = $1', ['c-9']), [{ email: null, name: 'Nina B.', tier: 'gold' }]);
    // Older and newer partial updates in one batch fold; an older one alone changes nothing.
    await store.writeBatch([
      await event('customer.updated', '{"customer":{"id":"c-9","name":"N3"}}', { seq: 2004 }),
      await event('customer.updated', '{"customer":{"id":"c-9","email":"x@example.com","name":"N2"}}', { seq: 2003 }),
    ]);
    assert.deepEqual(await rows('SELECT email, name FROM customers WHERE customer_id = $1', ['c-9']), [{ email: 'x@example.com', name: 'N3' }]);
    await store.writeBatch([await event('customer.updated', '{"customer":{"id":"c-9","name":"stale"}}', { seq: 1999 })]);
    assert.deepEqual(await rows('SELECT name FROM customers WHERE customer_id = $1', ['c-9']), [{ name: 'N3' }]);
    // An order without a customer does not feed customers (the when condition).
    const plain = await event('order.created', '{"order_id":"o-nocust"}');
    assert.equal(plain.entityType, 'Order');
  });

  it('deletes an order and its lines; an older event cannot bring it back, a newer one can', async () => {
    await store.writeBatch([await event('order.created', '{"order_id":"o-3","lines":[{"sku":"a"}]}', { seq: 3000 })]);
    const purge = await event('order.purged', '{"order_id":"o-3"}', { seq: 3002 });
    await store.writeBatch([purge]);
    assert.deepEqual(await rows('SELECT order_id FROM orders WHERE order_id = $1', ['o-3']), []);
    assert.deepEqual(await lineSkus('o-3'), []);
    assert.deepEqual((await store.getStatus(purge.envelope.id))?.rows, [{ table: 'orders', key: { order_id: 'o-3' }, deleted: true }]);
    await store.writeBatch([await event('order.updated', '{"order_id":"o-3","total":"1","lines":[{"sku":"old"}]}', { seq: 3001 })]);
    assert.deepEqual(await rows('SELECT order_id FROM orders WHERE order_id = $1', ['o-3']), [], 'the tombstone keeps an older event out');
    assert.deepEqual(await lineSkus('o-3'), []);
    await store.writeBatch([await event('order.updated', '{"order_id":"o-3","total":"2","lines":[{"sku":"new"}]}', { seq: 3003 })]);
    assert.deepEqual(await rows('SELECT total::text FROM orders WHERE order_id = $1', ['o-3']), [{ total: '2.00' }]);
    assert.deepEqual(await lineSkus('o-3'), ['new']);
    // A delete older than the row leaves it.
    await store.writeBatch([await event('order.purged', '{"order_id":"o-3"}', { seq: 3001 })]);
    assert.deepEqual(await lineSkus('o-3'), ['new']);
  });

  it('appends one ledger row per event, exactly: redelivery and replay add nothing', async () => {
    const pay = await event('payment.received', '{"account":9223372036854775807,"amount":0.30000000000000001}');
    assert.equal(pay.failure, 'Ledger: field "amount": must be a decimal number (a JSON number, or a string like "12.50") with at most 18 digits before the point and 4 after, got 0.30000000000000001');
    const ok = await event('payment.received', '{"account":9223372036854775807,"amount":12345678901234567.1234}');
    const refund = await event('payment.refunded', '{"account":"-9223372036854775808","amount":"-1.5"}');
    await store.writeBatch([ok, refund]);
    await store.writeBatch([ok, refund]);
    await store.writeBatch([{ ...ok, replay: true }]);
    const ledger = await rows('SELECT account::text, amount::text, kind, _message_id::text AS id FROM ledger ORDER BY _stream_seq');
    assert.deepEqual(ledger, [
      { account: '9223372036854775807', amount: '12345678901234567.1234', kind: 'payment.received', id: ok.envelope.id },
      { account: '-9223372036854775808', amount: '-1.5000', kind: 'payment.refunded', id: refund.envelope.id },
    ]);
    assert.deepEqual((await store.getStatus(ok.envelope.id))?.rows, [{ table: 'ledger', key: { _message_id: ok.envelope.id } }]);
  });

  it('keeps the first event in stream order for an insert-once entity, whatever order they arrive in', async () => {
    const second = await event('order.created', '{"order_id":"o-5b","customer":{"id":"c-5"}}', { seq: 5002 });
    const first = await event('order.created', '{"order_id":"o-5a","customer":{"id":"c-5"}}', { seq: 5001 });
    await store.writeBatch([second]);
    await store.writeBatch([first]);
    await store.writeBatch([await event('order.created', '{"order_id":"o-5c","customer":{"id":"c-5"}}', { seq: 5003 })]);
    assert.deepEqual(await rows('SELECT order_id FROM first_touch WHERE customer_id = $1', ['c-5']), [{ order_id: 'o-5a' }]);
  });

  it('fails an event that does not fit, naming the entity, the field and the value', async () => {
    const cases: Array<[string, string, string]> = [
      ['order.created', '{"order_id":"o-x","total":123456789012.5}', 'Order: field "total": must be a decimal number (a JSON number, or a string like "12.50") with at most 10 digits before the point and 2 after, got 123456789012.5'],
      ['order.created', '{"order_id":"o-x","placed_on":"2026-02-30"}', 'Order: field "placed_on": must be a date like 2024-05-01, got "2026-02-30"'],
      ['order.created', '{"order_id":"o-x","lines":[{"sku":"a"},{"qty":2}]}', 'Order (OrderLine, lines[1]): field "sku": is required'],
      ['order.created', '{"order_id":"o-x","lines":[{"sku":"a","qty":0}]}', 'Order (OrderLine, lines[0]): field "qty": must be >= 1, got 0'],
      ['order.created', '{"order_id":"o-x","lines":{"sku":"a"}}', 'Order: "lines" must be an array for the rows of OrderLine, got an object'],
      ['order.created', '{"order_id":"o-x","customer":{"id":"c-1","email":"nope"}}', 'Customer: field "email": must be a valid email, got "nope"'],
      ['payment.made', '{"account":9223372036854775808,"amount":1}', 'Ledger: field "account": must be a whole number between -9223372036854775808 and 9223372036854775807 (a JSON number or a string of digits), got 9223372036854775808'],
      ['order.created', '[1,2]', 'Order: the event data must be a JSON object; got an array'],
      ['order.created', '{"order_id":"o-x","total":"ten"}', 'Order: field "total": must be a decimal number (a JSON number, or a string like "12.50") with at most 10 digits before the point and 2 after, got "ten"'],
    ];
    for (const [type, json, reason] of cases) {
      const item = await event(type, json);
      assert.equal(item.failure, reason, json);
    }
  });

  it('writes concurrent transactions over the same keys without a deadlock, ending as stream order says', async () => {
    for (let round = 0; round < 6; round++) {
      const k = (n: number) => `o-r${round}-${n % 5}`;
      const make = async (i: number) => [
        await event('order.updated', `{"order_id":"${k(i)}","total":"${i}","customer":{"id":"cc-${i % 3}","name":"n${i}"},"lines":[{"sku":"s${i}"},{"sku":"t${i}"}]}`, { seq: 9000 + i }),
        await event(i % 4 === 0 ? 'order.purged' : 'order.updated', `{"order_id":"${k(i + 2)}"}`, { seq: 9500 + i }),
      ];
      const batches = await Promise.all(Array.from({ length: 6 }, (_, b) => Promise.all(Array.from({ length: 10 }, (_, i) => make(b * 10 + i))).then((x) => x.flat())));
      await Promise.all(batches.map((items) => store.writeBatch(items)));
      // The newest event of each key is one of the 95xx ones: a purge deletes it, an update without a total leaves NULL.
      const expected = new Map<string, boolean>();
      for (let i = 0; i < 60; i++) expected.set(k(i + 2), i % 4 !== 0);
      const stored = await rows<{ order_id: string; total: string | null }>('SELECT order_id, total::text FROM orders WHERE order_id LIKE $1', [`o-r${round}-%`]);
      assert.deepEqual(new Set(stored.map((r) => r.order_id)), new Set([...expected].filter(([, kept]) => kept).map(([key]) => key)));
      for (const r of stored) assert.equal(r.total, null);
    }
  });
});
}
