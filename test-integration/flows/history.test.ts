import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { sendRecords, waitSettled, writeEntityFile } from '../../test/helpers/flows.js';

type Listed = { id: string; type: string; source: string; sequence: string; receivedat: string; data: unknown };
type Page = { events: Listed[]; next_cursor: string | null };

describe('GET /events: history with filters and a cursor', () => {
  let p: TestPipeline;
  let second: Services;
  before(async () => {
    // Small batches and two workers, so commits land out of stream order.
    p = await startTestPipeline({ env: { SLUICE_ENTITIES: writeEntityFile(), SLUICE_WORKER_BATCH: '40' } });
    second = await runServices(p.config, silentLogger(), { gateway: false, worker: true, migrate: false });
  });
  after(async () => {
    await second?.stop();
    await p?.stop();
  });

  const list = (query: string) => http<Page>(`${p.url}/events?${query}`);

  it('pages through to the end while events keep arriving: no gaps, no repeats, in stream order', async () => {
    const sent = new Map<string, string>();
    const sendRound = async (round: number) => {
      for (const type of ['shop.order.placed', 'shop.cart.viewed', 'shop.order.paid', 'other.thing']) {
        const ids = await sendRecords(p.url, type, Array.from({ length: 50 }, (_, i) => ({ round, i })));
        for (const id of ids) sent.set(id, type);
      }
    };
    for (let r = 0; r < 5; r++) await sendRound(r);
    let sending = true;
    const sender = (async () => {
      for (let r = 5; r < 25; r++) {
        await sendRound(r);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      sending = false;
    })();

    const seen: Listed[] = [];
    let cursor: string | null = null;
    const deadline = Date.now() + 60_000;
    let settledChecked = false;
    for (;;) {
      assert.ok(Date.now() < deadline, `paging did not reach the end (${seen.length} seen)`);
      const page: { status: number; body: Page } = await list(`type=shop.order.>&limit=70${cursor === null ? '' : `&cursor=${cursor}`}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.next_cursor !== null, 'a cursor is always given, to poll for what comes next');
      seen.push(...page.body.events);
      cursor = page.body.next_cursor;
      if (page.body.events.length > 0) continue;
      if (sending) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        continue;
      }
      if (!settledChecked) {
        await sender;
        await waitSettled(p.db, [...sent.keys()]);
        settledChecked = true;
        continue;
      }
      const wanted = [...sent.values()].filter((t) => t.startsWith('shop.order.')).length;
      if (seen.length >= wanted) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const expected = [...sent].filter(([, t]) => t.startsWith('shop.order.')).map(([id]) => id);
    assert.equal(seen.length, expected.length, 'no repeats');
    assert.deepEqual(new Set(seen.map((e) => e.id)), new Set(expected), 'no gaps');
    const seqs = seen.map((e) => Number(e.sequence));
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'in stream order');
    // Ids are time-ordered and each request was sent after the last: stream order is sending order.
    assert.deepEqual(seen.map((e) => e.id), expected);
  });

  it('filters by one-token wildcard, exact type, source and a time range', async () => {
    const star = await list('type=shop.*.paid&limit=1000');
    assert.equal(star.status, 200);
    assert.ok(star.body.events.length > 0 && star.body.events.every((e) => e.type === 'shop.order.paid'));
    const none = await list('type=shop.*&limit=1000');
    assert.deepEqual(none.body.events, [], '* matches exactly one token');
    const exact = await list('type=other.thing&limit=5');
    assert.deepEqual(exact.body.events.map((e) => e.type), Array(5).fill('other.thing'));

    const a = await sendRecords(p.url, 'src.check', [{ n: 1 }, { n: 2 }], { source: '/shop/a' });
    const b = await sendRecords(p.url, 'src.check', [{ n: 3 }], { source: '/shop/b' });
    await waitSettled(p.db, [...a, ...b]);
    let fromA: { body: Page } | undefined;
    for (let i = 0; i < 40; i++) {
      fromA = await list(`type=src.check&source=${encodeURIComponent('/shop/a')}`);
      if (fromA.body.events.length === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(fromA!.body.events.map((e) => e.id), a);
    assert.ok(fromA!.body.events.every((e) => e.source === '/shop/a'));

    const all = (await list('type=src.check')).body.events;
    assert.equal(all.length, 3);
    const middle = all[1]!.receivedat;
    const since = await list(`type=src.check&since=${encodeURIComponent(middle)}`);
    assert.deepEqual(since.body.events.map((e) => e.id), all.filter((e) => e.receivedat >= middle).map((e) => e.id), 'since is inclusive');
    const until = await list(`type=src.check&until=${encodeURIComponent(middle)}`);
    assert.deepEqual(until.body.events.map((e) => e.id), all.filter((e) => e.receivedat < middle).map((e) => e.id), 'until is exclusive');
    const offset = await list(`type=src.check&since=${encodeURIComponent(new Date(Date.parse(middle)).toISOString().replace('Z', '+00:00'))}`);
    assert.equal(offset.body.events.length, since.body.events.length, 'an offset time reads the same');
  });

  it('answers 400 invalid_parameter naming the parameter for every bad one', async () => {
    const bad: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01T00:00:00Z', 'until'],
      ['type=order..created', 'type'],
      ['type=order.>.x', 'type'],
      ['type=a&type=b', 'type'],
      ['source=a&source=b', 'source'],
      ['cursor=not-a-cursor', 'cursor'],
      ['status=bogus', 'status'],
      ['colour=red', 'colour'],
      [`source=${'x'.repeat(1001)}`, 'source'],
    ];
    for (const [query, name] of bad) {
      const r = await http<{ error: { code: string; message: string } }>(`${p.url}/events?${query}`);
      assert.equal(r.status, 400, `${query.slice(0, 40)} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      assert.equal(r.body.error.code, 'invalid_parameter', query);
      assert.match(r.body.error.message, new RegExp(name), `${query.slice(0, 40)}: ${r.body.error.message}`);
    }
  });

  it('lists the failed events with ?status=failed', async () => {
    const bad = await sendRecords(p.url, 'order.created', [{ order_id: 'x1', total: -1 }, { order_id: 'x2', currency: 'no' }]);
    const good = await sendRecords(p.url, 'order.created', [{ order_id: 'x3', total: 1 }]);
    await waitSettled(p.db, [...bad, ...good]);
    let failed: Listed[] = [];
    for (let i = 0; i < 40 && failed.length < 2; i++) {
      failed = (await list('status=failed&type=order.>')).body.events;
      if (failed.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(failed.map((e) => e.id), bad);
    const persisted = (await list('status=persisted&type=order.created')).body.events;
    assert.deepEqual(persisted.map((e) => e.id), good);
  });
});
