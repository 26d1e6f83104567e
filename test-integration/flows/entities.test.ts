import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { readDeadLetters, sendRecords, waitReplayDone, waitSettled, writeEntityFile } from '../../test/helpers/flows.js';

type OrderRow = { order_id: string; status: string | null; total: number | null; currency: string | null; customer: string | null; lines: unknown; _message_id: string; _stream_seq: string };

describe('entities: ten thousand events into newest-state tables, with dead letters', () => {
  let p: TestPipeline;
  const ids = { customersCreated: [] as string[], customersUpdated: [] as string[], ordersCreated: [] as string[], v1: [] as string[], v2: [] as string[], v3: [] as string[], invalid: [] as string[], audit: [] as string[] };

  before(async () => {
    // A one-second duplicate window lets a repeated idempotency key reach the workers again, so the database's own guard is tested too.
    p = await startTestPipeline({
      env: { SLUICE_ENTITIES: writeEntityFile(), SLUICE_MAX_DELIVER: '3', STREAM_DUPLICATE_WINDOW: '1s', SLUICE_WORKER_BATCH: '500' },
    });
  });
  after(async () => {
    await p?.stop();
  });

  it('lands ten thousand events: newest state per key, invalid ones failed with a reason, nothing twice', async () => {
    const n = (i: number) => String(i).padStart(4, '0');
    ids.customersCreated = await sendRecords(p.url, 'customer.created', Array.from({ length: 2000 }, (_, i) => ({ customer_id: `c-${n(i)}`, name: `Customer ${i}`, email: `c${i}@example.com`, vip: i % 7 === 0, orders: 0, signed_up: '2026-01-01T00:00:00Z' })), { key: 'cc' });
    ids.ordersCreated = await sendRecords(p.url, 'order.created', Array.from({ length: 3000 }, (_, i) => ({ order_id: `o-${n(i)}`, status: 'pending', total: i, currency: 'EUR', customer: `c-${n(i % 2000)}`, placed_at: '2026-02-01T10:00:00Z', lines: [{ sku: 'a', qty: 1 }] })), { key: 'oc' });
    // Three versions of the same thousand orders, each version sent after the previous one is stored.
    for (const [v, status] of [[1, 'paid'], [2, 'shipped'], [3, 'cancelled']] as const) {
      ids[`v${v}`] = await sendRecords(p.url, 'order.updated', Array.from({ length: 1000 }, (_, i) => ({ order_id: `o-${n(i)}`, status, total: v * 1000 + i, currency: 'USD', lines: { version: v } })), { key: `ou${v}` });
    }
    ids.customersUpdated = await sendRecords(p.url, 'customer.updated', Array.from({ length: 1000 }, (_, i) => ({ customer_id: `c-${n(i)}`, name: `Renamed ${i}`, orders: 3 })));
    const invalid = [
      ...Array.from({ length: 50 }, (_, i) => ['order.created', { order_id: `bad-total-${i}`, total: -5 }] as const),
      ...Array.from({ length: 50 }, (_, i) => ['order.created', { order_id: `bad-currency-${i}`, currency: 'eur' }] as const),
      ...Array.from({ length: 50 }, (_, i) => ['customer.created', { name: `nobody ${i}` }] as const),
      ...Array.from({ length: 50 }, (_, i) => ['customer.updated', { customer_id: `bad-email-${i}`, email: 'not an email' }] as const),
    ];
    for (const type of ['order.created', 'customer.created', 'customer.updated']) {
      ids.invalid.push(...(await sendRecords(p.url, type, invalid.filter(([t]) => t === type).map(([, d]) => d))));
    }
    ids.audit = await sendRecords(p.url, 'audit.logged', Array.from({ length: 800 }, (_, i) => ({ who: `u${i}` })));
    const all = Object.values(ids).flat();
    assert.equal(all.length, 10_000);
    assert.equal(new Set(all).size, 10_000);
    await waitSettled(p.db, all, 90_000);

    const statuses = await p.db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM sluice.message_status GROUP BY status ORDER BY status');
    assert.deepEqual(statuses.map((r) => [r.status, Number(r.n)]), [['failed', 200], ['persisted', 9800]]);
    const archive = await p.db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT id) AS d FROM sluice.events');
    assert.deepEqual([Number(archive[0]!.n), Number(archive[0]!.d)], [10_000, 10_000], 'one archive row per event');

    const orders = await p.db.query<OrderRow>('SELECT * FROM orders ORDER BY order_id');
    assert.equal(orders.length, 3000, 'one row per valid order key, none for the invalid ones');
    for (let i = 0; i < 3000; i++) {
      const row = orders[i]!;
      assert.equal(row.order_id, `o-${n(i)}`);
      if (i < 1000) {
        assert.deepEqual([row.status, row.total, row.currency, row.lines, row._message_id], ['cancelled', 3000 + i, 'USD', { version: 3 }, ids.v3[i]], `order ${i} holds version 3`);
        // Fields v3 does not send become NULL: the row is the newest event's declared fields.
        assert.equal(row.customer, null);
      } else {
        assert.deepEqual([row.status, row.total, row.customer, row._message_id], ['pending', i, `c-${n(i % 2000)}`, ids.ordersCreated[i]]);
      }
    }
    const customers = await p.db.query<{ customer_id: string; name: string; email: string | null; orders: number | null }>('SELECT customer_id, name, email, orders FROM customers ORDER BY customer_id');
    assert.equal(customers.length, 2000);
    assert.deepEqual(customers[5], { customer_id: 'c-0005', name: 'Renamed 5', email: null, orders: 3 });
    assert.deepEqual(customers[1500], { customer_id: 'c-1500', name: 'Customer 1500', email: 'c1500@example.com', orders: 0 });
  });

  it('marks invalid records failed with the field and why, and dead-letters each once with the reason header', async () => {
    const failed = await p.db.query<{ message_id: string; error: string; entity_type: string; attempts: number }>(
      "SELECT message_id, error, entity_type, attempts FROM sluice.message_status WHERE status = 'failed'",
    );
    assert.deepEqual(new Set(failed.map((f) => f.message_id)), new Set(ids.invalid));
    const reasons = new Map(failed.map((f) => [f.message_id, f.error]));
    assert.match(reasons.get(ids.invalid[0]!)!, /^Order: field "total": .*>= 0.*-5/);
    assert.match(reasons.get(ids.invalid[60]!)!, /^Order: field "currency": .*pattern.*"eur"/);
    assert.match(reasons.get(ids.invalid[110]!)!, /^Customer: field "customer_id": is required/);
    assert.match(reasons.get(ids.invalid[160]!)!, /^Customer: field "email": must be a valid email/);
    const status = await http<{ status: string; error: string; entity_type: string }>(`${p.url}/ingest/status/${ids.invalid[0]}`);
    assert.equal(status.body.status, 'failed');
    assert.equal(status.body.entity_type, 'Order');
    assert.equal(status.body.error, reasons.get(ids.invalid[0]!));

    const letters = await readDeadLetters(p.names.stream);
    assert.equal(letters.length, 200, 'each invalid event dead-lettered exactly once');
    assert.deepEqual(new Set(letters.map((l) => l.id)), new Set(ids.invalid));
    for (const l of letters) {
      assert.equal(l.reason, reasons.get(l.id));
      assert.equal(l.subject, `${p.names.prefix}-dlq.${l.type}`);
    }
  });

  it('keeps the newest row when an older update is replayed, and counts the replay as an attempt', async () => {
    const r = await http<{ replay_id: string; replayed: number; unknown: string[] }>(`${p.url}/replay/${ids.v1[7]}`, { method: 'POST' });
    assert.equal(r.status, 202);
    assert.deepEqual([r.body.replayed, r.body.unknown], [1, []]);
    const done = await waitReplayDone(p.url, r.body.replay_id);
    assert.deepEqual([done.matched, done.published], [1, 1]);
    await eventually(async () => {
      const s = await p.db.query<{ attempts: number }>('SELECT attempts FROM sluice.message_status WHERE message_id = $1', [ids.v1[7]]);
      return s[0]!.attempts === 2 ? true : undefined;
    });
    const row = await p.db.query<OrderRow>("SELECT * FROM orders WHERE order_id = 'o-0007'");
    assert.deepEqual([row[0]!.status, row[0]!.total, row[0]!._message_id], ['cancelled', 3007, ids.v3[7]]);
  });

  it('does not re-apply a repeated idempotency key that reaches the workers after the duplicate window', async () => {
    // The same key as the first order.created batch: same ids, but new stream messages (the window is 1 s).
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const again = await sendRecords(p.url, 'order.created', Array.from({ length: 5 }, (_, i) => ({ order_id: `o-000${i}`, status: 'pending', total: 0 })), { key: 'oc' });
    assert.deepEqual(again, ids.ordersCreated.slice(0, 5), 'the repeat answers with the same ids');
    // A marker sent after the repeat: once it is persisted, the repeat has been handled.
    const [marker] = await sendRecords(p.url, 'audit.logged', [{ marker: true }]);
    await waitSettled(p.db, [marker!]);
    const rows = await p.db.query<OrderRow>("SELECT * FROM orders WHERE order_id IN ('o-0000', 'o-0004') ORDER BY order_id");
    assert.deepEqual(rows.map((r) => r.status), ['cancelled', 'cancelled'], 'an older event never overwrites a newer one');
    const archive = await p.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[])', [again]);
    assert.equal(Number(archive[0]!.n), 5, 'still one archive row each');
    const attempts = await p.db.query<{ attempts: number }>('SELECT attempts FROM sluice.message_status WHERE message_id = ANY($1::uuid[])', [again]);
    assert.ok(attempts.every((a) => a.attempts === 1));
  });

  it('retries an event a CHECK constraint refuses with growing delays, fails and dead-letters it after SLUICE_MAX_DELIVER, and a replay after the fix persists it', async () => {
    await p.db.query("ALTER TABLE orders ADD CONSTRAINT no_blocked_customer CHECK (customer IS DISTINCT FROM 'blocked')");
    const [bad] = await sendRecords(p.url, 'order.created', [{ order_id: 'o-blocked', customer: 'blocked', total: 1 }]);
    const [good] = await sendRecords(p.url, 'order.created', [{ order_id: 'o-fine', customer: 'fine', total: 1 }]);
    await waitSettled(p.db, [good!]);
    const seen = new Map<number, number>();
    const final = await eventually(async () => {
      const s = await p.db.query<{ status: string; attempts: number; error: string | null }>('SELECT status, attempts, error FROM sluice.message_status WHERE message_id = $1', [bad]);
      const row = s[0];
      if (row === undefined) return undefined;
      if (!seen.has(row.attempts)) seen.set(row.attempts, Date.now());
      return row.status === 'failed' ? row : undefined;
    }, 20_000, 'the refused event failed');
    assert.equal(final.attempts, 3);
    assert.match(final.error!, /gave up after 3 failed deliveries: .*no_blocked_customer/);
    const gap1 = seen.get(2)! - seen.get(1)!;
    const gap2 = seen.get(3)! - seen.get(2)!;
    assert.ok(gap1 >= 700, `first retry waited ${gap1} ms`);
    assert.ok(gap2 >= gap1 + 500, `the second retry waited longer (${gap2} ms vs ${gap1} ms)`);
    const letters = await readDeadLetters(p.names.stream);
    const mine = letters.filter((l) => l.id === bad);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]!.reason, final.error);
    assert.equal((await p.db.query("SELECT 1 FROM orders WHERE order_id = 'o-blocked'")).length, 0);

    // The cause is fixed; the archived event is replayed and lands.
    await p.db.query('ALTER TABLE orders DROP CONSTRAINT no_blocked_customer');
    const r = await http<{ replay_id: string; replayed: number }>(`${p.url}/replay/${bad}`, { method: 'POST' });
    assert.equal(r.status, 202);
    await waitReplayDone(p.url, r.body.replay_id);
    const persisted = await eventually(async () => {
      const s = await http<{ status: string; attempts: number; error: string | null }>(`${p.url}/ingest/status/${bad}`);
      return s.body.status === 'persisted' ? s.body : undefined;
    }, 10_000, 'the replayed event persisted');
    assert.equal(persisted.attempts, 4);
    assert.equal(persisted.error, null);
    const row = await p.db.query<OrderRow>("SELECT * FROM orders WHERE order_id = 'o-blocked'");
    assert.equal(row.length, 1);
    assert.equal(row[0]!.customer, 'blocked');
  });
});
