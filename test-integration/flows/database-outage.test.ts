import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTestDatabase } from '../../test/helpers/db.js';
import { startTestPipeline } from '../../test/helpers/pipeline.js';
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js';
import { readDeadLetters, sendRecords, waitSettled, writeEntityFile } from '../../test/helpers/flows.js';

describe('entities while PostgreSQL is away for thirty seconds under load', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('retries instead of dead-lettering, and lands everything once when the database is back', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const proxy = await startTcpProxy('127.0.0.1', 5432);
    cleanups.push(() => proxy.close());
    const viaProxy = { ...db, url: db.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`) };
    const p = await startTestPipeline({ db: viaProxy, env: { SLUICE_ENTITIES: writeEntityFile(), SLUICE_MAX_DELIVER: '2', SLUICE_WORKER_BATCH: '200' } });
    cleanups.push(() => p.stop());

    const valid: string[] = [];
    const invalid: string[] = [];
    let round = 0;
    const sendRound = async () => {
      const r = round++;
      valid.push(...(await sendRecords(p.url, 'order.created', Array.from({ length: 40 }, (_, i) => ({ order_id: `o-${r}-${i}`, status: 'pending', total: i })))));
      // Every round updates the same ten orders of round 0: the last round's version must win.
      valid.push(...(await sendRecords(p.url, 'order.updated', Array.from({ length: 10 }, (_, i) => ({ order_id: `o-0-${i}`, status: 'paid', total: 1000 * r + i })))));
      invalid.push(...(await sendRecords(p.url, 'order.created', [{ order_id: `bad-${r}`, total: -1 }])));
    };
    for (let i = 0; i < 5; i++) await sendRound();
    await waitSettled(db, [...valid, ...invalid]);

    proxy.cut();
    const cutAt = Date.now();
    while (Date.now() - cutAt < 30_000) {
      await sendRound();
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const during = await db.query<{ status: string; n: string }>("SELECT status, count(*) AS n FROM sluice.message_status WHERE status <> 'persisted' GROUP BY status");
    assert.deepEqual(during.map((r) => [r.status, Number(r.n)]), [['failed', 5]], 'nothing new settled while the database was away');
    proxy.restore();

    const all = [...valid, ...invalid];
    await waitSettled(db, all, 60_000);
    const statuses = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM sluice.message_status GROUP BY status ORDER BY status');
    assert.deepEqual(statuses.map((r) => [r.status, Number(r.n)]), [['failed', invalid.length], ['persisted', valid.length]]);
    const failed = await db.query<{ message_id: string; error: string }>("SELECT message_id, error FROM sluice.message_status WHERE status = 'failed'");
    assert.deepEqual(new Set(failed.map((f) => f.message_id)), new Set(invalid), 'only the invalid events failed; the outage failed none');
    assert.ok(failed.every((f) => /^Order: field "total"/.test(f.error)));
    const archive = await db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT id) AS d FROM sluice.events');
    assert.deepEqual([Number(archive[0]!.n), Number(archive[0]!.d)], [all.length, all.length]);

    const orders = await db.query<{ n: string }>('SELECT count(*) AS n FROM orders');
    assert.equal(Number(orders[0]!.n), round * 40);
    const updated = await db.query<{ order_id: string; total: number }>("SELECT order_id, total FROM orders WHERE order_id = ANY($1) ORDER BY total", [Array.from({ length: 10 }, (_, i) => `o-0-${i}`)]);
    assert.deepEqual(updated.map((u) => u.total), Array.from({ length: 10 }, (_, i) => 1000 * (round - 1) + i), 'the newest update of each order won');

    const letters = await readDeadLetters(p.names.stream);
    assert.deepEqual(letters.map((l) => l.id).sort(), [...invalid].sort(), 'each invalid event dead-lettered once, however often its batch was retried');
  });
});
