import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { SHARED_NATS_URL } from '../../test/helpers/nats.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';

type Accepted = { id: string; type: string; status: string; time: string; seq: number };

describe('gateway → JetStream → worker → PostgreSQL', () => {
  let p: TestPipeline;
  before(async () => {
    p = await startTestPipeline({ env: { STREAM_MAX_AGE: '24h', STREAM_MAX_MSGS: '100000', STREAM_DUPLICATE_WINDOW: '1m' } });
  });
  after(async () => {
    await p?.stop();
  });

  const waitPersisted = (ids: string[]) =>
    eventually(async () => {
      const rows = await p.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND status = 'persisted'",
        [ids],
      );
      return Number(rows[0]!.n) === ids.length ? true : undefined;
    }, 15_000, `${ids.length} events persisted`);

  it('answers 202 with id, type, status, time and the stream sequence', async () => {
    const r = await http<Accepted>(`${p.url}/events/order.created`, { body: { order_id: 'o-1', total: 10 } });
    assert.equal(r.status, 202);
    assert.match(r.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(r.body.type, 'order.created');
    assert.equal(r.body.status, 'accepted');
    assert.ok(r.body.seq >= 1);
    assert.ok(!Number.isNaN(Date.parse(r.body.time)));
  });

  it('takes a thousand events through all four endpoints; each is persisted with exactly one archive row', async () => {
    const ids: string[] = [];
    const typed = await Promise.all(
      Array.from({ length: 400 }, (_, i) => http<Accepted>(`${p.url}/events/thing.made`, { body: { i } })),
    );
    for (const r of typed) {
      assert.equal(r.status, 202);
      ids.push(r.body.id);
    }
    const messages = await Promise.all(
      Array.from({ length: 200 }, (_, i) => http<{ message_id: string }>(`${p.url}/ingest/message?type=msg.in`, { body: { i } })),
    );
    for (const r of messages) {
      assert.equal(r.status, 202);
      ids.push(r.body.message_id);
    }
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ line: i })).join('\n');
    const batch = await http<{ accepted: number; rejected: number; results: Array<{ line: number; message_id?: string }> }>(
      `${p.url}/ingest/batch?type=batch.line`,
      { raw: lines, headers: { 'content-type': 'application/x-ndjson' } },
    );
    assert.equal(batch.status, 202);
    assert.equal(batch.body.accepted, 300);
    ids.push(...batch.body.results.map((r) => r.message_id!));
    const cloud = Array.from({ length: 100 }, (_, i) => ({ specversion: '1.0', id: `ce-${i}`, source: '/test/batch', type: 'ce.batch', data: { i } }));
    const ce = await http<Accepted[]>(`${p.url}/events`, { raw: JSON.stringify(cloud), headers: { 'content-type': 'application/cloudevents-batch+json' } });
    assert.equal(ce.status, 202);
    assert.equal(ce.body.length, 100);
    ids.push(...ce.body.map((r) => r.id));
    assert.equal(new Set(ids).size, 1000);

    await waitPersisted(ids);
    const archived = await p.db.query<{ id: string; n: string }>(
      'SELECT id, count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[]) GROUP BY id',
      [ids],
    );
    assert.equal(archived.length, 1000);
    assert.ok(archived.every((r) => Number(r.n) === 1));
  });

  it('judges NDJSON lines one by one, counting blank lines, and refuses a batch with no good line', async () => {
    const body = '{"a":1}\n\nnot json\n{"b":2}\r\n{"c":"\\u0000"}\n';
    const r = await http<{ accepted: number; rejected: number; results: Array<{ line: number; message_id?: string; error?: { code: string } }> }>(
      `${p.url}/ingest/batch`,
      { raw: body, headers: { 'content-type': 'text/plain' } },
    );
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 2);
    assert.equal(r.body.rejected, 2);
    assert.deepEqual(
      r.body.results.map((x) => [x.line, x.error?.code ?? 'ok']),
      [[1, 'ok'], [3, 'invalid_json'], [4, 'ok'], [5, 'unsupported_json']],
    );
    const none = await http<{ accepted: number }>(`${p.url}/ingest/batch`, { raw: 'nope\n{', headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(none.status, 400);
    assert.equal(none.body.accepted, 0);
  });

  it('stores a repeated idempotency key once and answers the repeat with the same id', async () => {
    const key = `key-${Date.now()}`;
    const first = await http<Accepted>(`${p.url}/events/pay.made`, { body: { amount: 1 }, headers: { 'idempotency-key': key } });
    const second = await http<Accepted>(`${p.url}/events/pay.made`, { body: { amount: 999 }, headers: { 'idempotency-key': key } });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.seq, first.body.seq);
    const batchKey = `bk-${Date.now()}`;
    const b1 = await http<{ results: Array<{ message_id: string }> }>(`${p.url}/ingest/batch`, { raw: '{"n":1}\n{"n":2}', headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': batchKey } });
    const b2 = await http<{ results: Array<{ message_id: string }> }>(`${p.url}/ingest/batch`, { raw: '{"n":1}\n{"n":2}', headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': batchKey } });
    assert.deepEqual(b2.body.results.map((r) => r.message_id), b1.body.results.map((r) => r.message_id));
    const ce = { specversion: '1.0', id: 'same-ce', source: '/dup', type: 'ce.dup', data: {} };
    const c1 = await http<Accepted>(`${p.url}/events`, { raw: JSON.stringify(ce), headers: { 'content-type': 'application/cloudevents+json' } });
    const c2 = await http<Accepted>(`${p.url}/events`, { raw: JSON.stringify({ ...ce, data: { changed: true } }), headers: { 'content-type': 'application/cloudevents+json' } });
    assert.equal(c2.body.id, c1.body.id);

    const ids = [first.body.id, ...b1.body.results.map((r) => r.message_id), c1.body.id];
    await waitPersisted(ids);
    const rows = await p.db.query<{ data: { amount: number } }>('SELECT data FROM sluice.events WHERE id = $1', [first.body.id]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.data.amount, 1, 'the first one stored wins');
  });

  it('reports accepted or later right after a 202, then persisted; 404 for an id never issued', async () => {
    const r = await http<Accepted>(`${p.url}/events/status.check`, { body: { x: 1 } });
    const s = await http<{ status: string; message_id: string; type: string }>(`${p.url}/ingest/status/${r.body.id}`);
    assert.equal(s.status, 200);
    assert.ok(['accepted', 'processing', 'persisted'].includes(s.body.status));
    assert.equal(s.body.type, 'status.check');
    const done = await eventually(async () => {
      const x = await http<{ status: string; attempts: number; processed_at: string | null }>(`${p.url}/events/${r.body.id}/status`);
      return x.body.status === 'persisted' ? x.body : undefined;
    });
    assert.equal(done.attempts, 1);
    assert.ok(done.processed_at !== null);
    const missing = await http<{ error: { code: string } }>(`${p.url}/ingest/status/0190a8f0-0000-7000-8000-000000000000`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });

  it('keeps CloudEvents attributes: source, subject, time, extensions, the producer id as originid', async () => {
    const r = await http<Accepted>(`${p.url}/events/attr.kept`, {
      body: { v: 1 },
      headers: { 'ce-source': '/shop', 'ce-subject': 'cart-7', 'ce-time': '2026-01-02T03:04:05Z', 'ce-id': 'prod-1', 'ce-region': 'eu', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    assert.equal(r.status, 202);
    const e = await eventually(async () => {
      const x = await http<Record<string, unknown>>(`${p.url}/events/${r.body.id}`);
      return x.status === 200 ? x.body : undefined;
    });
    assert.equal(e.source, '/shop');
    assert.equal(e.subject, 'cart-7');
    assert.equal(e.time, '2026-01-02T03:04:05.000Z');
    assert.equal(e.originid, 'prod-1');
    assert.equal(e.region, 'eu');
    assert.equal(e.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.deepEqual(e.data, { v: 1 });
    assert.equal(e.id, r.body.id);
  });

  it('creates the stream with the configured subjects and limits', async () => {
    const nc = await connect({ servers: SHARED_NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(p.names.stream);
      assert.deepEqual(info.config.subjects, [`${p.names.prefix}.>`]);
      assert.equal(info.config.storage, 'file');
      assert.equal(info.config.max_age, 24 * 3600 * 1e9);
      assert.equal(info.config.max_msgs, 100000);
      assert.equal(info.config.duplicate_window, 60 * 1e9);
      assert.equal(info.config.num_replicas, 1);
      const dlq = await jsm.streams.info(`${p.names.stream}_DLQ`);
      assert.deepEqual(dlq.config.subjects, [`${p.names.prefix}-dlq.>`]);
    } finally {
      await nc.close();
    }
  });

  it('reports the bus and the database in /health', async () => {
    const h = await http<{ status: string; bus: { kind: string; connected: boolean }; db: { kind: string; connected: boolean }; nats_connected: boolean; version: string }>(`${p.url}/health`);
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.deepEqual(h.body.bus, { kind: 'jetstream', connected: true });
    assert.deepEqual(h.body.db, { kind: 'postgres', connected: true });
    assert.equal(h.body.nats_connected, true);
    assert.match(h.body.version, /^\d+\.\d+\.\d+/);
    const live = await http(`${p.url}/health/live`);
    assert.equal(live.status, 200);
  });
});
