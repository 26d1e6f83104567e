import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { sendRecords, waitReplayDone, waitSettled, writeEntityFile } from '../../test/helpers/flows.js';

type Started = { replay_id: string; replayed: number; unknown: string[] };
type ErrorBody = { error: { code: string; message: string } };

describe('replay: ranges, ids and progress', () => {
  let p: TestPipeline;
  before(async () => {
    p = await startTestPipeline({ env: { SLUICE_ENTITIES: writeEntityFile(), SLUICE_WORKER_BATCH: '250' } });
  });
  after(async () => {
    await p?.stop();
  });

  const waitAttempts = (ids: readonly string[], attempts: number) =>
    eventually(async () => {
      const rows = await p.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND attempts = $2 AND status = 'persisted'", [ids, attempts]);
      return Number(rows[0]!.n) === ids.length ? true : undefined;
    }, 60_000, `${ids.length} events at ${attempts} attempts`);

  it('repairs an entity table damaged by hand with a time-range replay: no duplicate rows, attempts grow', async () => {
    const n = (i: number) => String(i).padStart(4, '0');
    const since = new Date(Date.now() - 1).toISOString();
    const created = await sendRecords(p.url, 'order.created', Array.from({ length: 500 }, (_, i) => ({ order_id: `o-${n(i)}`, status: 'pending', total: i, customer: `c-${i}` })));
    const updated = await sendRecords(p.url, 'order.updated', Array.from({ length: 250 }, (_, i) => ({ order_id: `o-${n(i)}`, status: 'paid', total: 1000 + i })));
    const until = new Date(Date.now() + 1).toISOString();
    // Outside the range: a later update of order 0 that the replay must not undo (its row is left undamaged).
    const [later] = await sendRecords(p.url, 'order.updated', [{ order_id: 'o-0000', status: 'shipped', total: 5 }]);
    const all = [...created, ...updated, later!];
    await waitSettled(p.db, all);
    const snapshot = async () => p.db.query('SELECT order_id, status, total, customer, _message_id, _event_type, _stream_seq FROM orders ORDER BY order_id');
    const good = await snapshot();
    assert.equal(good.length, 500);

    await p.db.query("UPDATE orders SET total = -1, status = 'cancelled', customer = 'oops' WHERE order_id BETWEEN 'o-0001' AND 'o-0099' OR order_id BETWEEN 'o-0300' AND 'o-0320'");
    await p.db.query("DELETE FROM orders WHERE order_id >= 'o-0400' OR order_id BETWEEN 'o-0200' AND 'o-0210'");
    assert.notDeepEqual(await snapshot(), good);

    const r = await http<Started>(`${p.url}/replay`, { body: { type: 'order.>', since, until } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual([r.body.replayed, r.body.unknown], [750, []]);
    const done = await waitReplayDone(p.url, r.body.replay_id);
    assert.deepEqual([done.matched, done.published], [750, 750]);
    await waitAttempts([...created, ...updated], 2);
    assert.deepEqual(await snapshot(), good, 'the table is back to the newest state of every key');
    const archive = await p.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[])', [all]);
    assert.equal(Number(archive[0]!.n), all.length, 'no duplicate archive rows');
    const laterStatus = await p.db.query<{ attempts: number }>('SELECT attempts FROM sluice.message_status WHERE message_id = $1', [later]);
    assert.equal(laterStatus[0]!.attempts, 1, 'the event outside the range was not replayed');
  });

  it('replays by ids, lists the unknown ones, and refuses bad requests', async () => {
    const ids = await sendRecords(p.url, 'note.added', [{ n: 1 }, { n: 2 }]);
    await waitSettled(p.db, ids);
    const unknown = '0190a8f0-0000-7000-8000-00000000abcd';
    const r = await http<Started>(`${p.url}/replay`, { body: { ids: [ids[0], unknown, ids[1], ids[0]] } });
    assert.equal(r.status, 202);
    assert.deepEqual([r.body.replayed, r.body.unknown], [2, [unknown]]);
    const done = await waitReplayDone(p.url, r.body.replay_id);
    assert.deepEqual([done.status, done.matched, done.published], ['done', 2, 2]);
    await waitAttempts(ids, 2);

    const one = await http<Started>(`${p.url}/replay/${ids[1]}`, { method: 'POST' });
    assert.equal(one.status, 202);
    assert.deepEqual([one.body.replayed, one.body.unknown], [1, []]);
    await waitReplayDone(p.url, one.body.replay_id);
    await waitAttempts([ids[1]!], 3);

    const none = await http<ErrorBody>(`${p.url}/replay`, { body: { ids: [unknown] } });
    assert.deepEqual([none.status, none.body.error.code], [404, 'not_found']);
    const noneOne = await http<ErrorBody>(`${p.url}/replay/${unknown}`, { method: 'POST' });
    assert.equal(noneOne.status, 404);
    const noRange = await http<ErrorBody>(`${p.url}/replay`, { body: { type: 'never.sent' } });
    assert.equal(noRange.status, 404);
    const missingReplay = await http<ErrorBody>(`${p.url}/replay/${unknown}`);
    assert.equal(missingReplay.status, 404);

    const bad: Array<[string, string]> = [
      ['{}', 'empty'],
      ['[]', 'ids'],
      ['{"ids": []}', 'ids'],
      ['{"ids": ["nope"]}', 'not an event id'],
      ['{"type": "a..b"}', 'type'],
      ['{"since": "yesterday"}', 'since'],
      ['{"ids": ["0190a8f0-0000-7000-8000-000000000001"], "type": "a"}', 'either'],
      ['{"colour": 1}', 'colour'],
      ['{"ids": [', ''],
    ];
    for (const [body, word] of bad) {
      const x = await http<ErrorBody>(`${p.url}/replay`, { raw: body, headers: { 'content-type': 'application/json' } });
      assert.equal(x.status, 400, `${body} → ${x.status}`);
      assert.match(x.body.error.message, new RegExp(word), body);
    }
    const empty = await http<ErrorBody>(`${p.url}/replay`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.equal(empty.status, 400, 'an empty body');
    const badId = await http<ErrorBody>(`${p.url}/replay/not-a-uuid`);
    assert.equal(badId.status, 400);
  });

  it('publishes exactly what it matched while new events of the range keep arriving', async () => {
    const ids = await sendRecords(p.url, 'live.tick', Array.from({ length: 1500 }, (_, i) => ({ i })));
    await waitSettled(p.db, ids);
    let sending = true;
    const sender = (async () => {
      for (let r = 0; sending && r < 100; r++) ids.push(...(await sendRecords(p.url, 'live.tick', Array.from({ length: 100 }, (_, i) => ({ r, i })))));
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const r = await http<Started>(`${p.url}/replay`, { body: { type: 'live.tick' } });
    assert.equal(r.status, 202);
    const done = await waitReplayDone(p.url, r.body.replay_id, 60_000);
    sending = false;
    await sender;
    assert.equal(done.published, done.matched, `published ${done.published} of ${done.matched} matched`);
    await waitSettled(p.db, ids);
    const replayed = await p.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE type = 'live.tick' AND attempts = 2");
    assert.equal(Number(replayed[0]!.n), done.matched, 'the matched events, and only they, were re-delivered');
  });

  it('replays a large range in the background: the request returns at once, progress reaches done', async () => {
    const ids = await sendRecords(p.url, 'bulk.item', Array.from({ length: 5000 }, (_, i) => ({ i })));
    await waitSettled(p.db, ids);
    const started = Date.now();
    const r = await http<Started>(`${p.url}/replay`, { body: { type: 'bulk.item' } });
    const answeredIn = Date.now() - started;
    assert.equal(r.status, 202);
    assert.equal(r.body.replayed, 5000);
    const first = await http<{ status: string; matched: number; published: number }>(`${p.url}/replay/${r.body.replay_id}`);
    assert.equal(first.body.matched, 5000);
    const done = await waitReplayDone(p.url, r.body.replay_id, 60_000);
    const finishedIn = Date.now() - started;
    assert.deepEqual([done.matched, done.published], [5000, 5000]);
    assert.ok(answeredIn < 1500 && answeredIn < finishedIn, `answered in ${answeredIn} ms, replay finished after ${finishedIn} ms`);
    assert.ok(first.body.status === 'running' || first.body.published === 5000);
    await waitAttempts(ids, 2);
    const archive = await p.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.events WHERE type = 'bulk.item'");
    assert.equal(Number(archive[0]!.n), 5000);
  });
});
