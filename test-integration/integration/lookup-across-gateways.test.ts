import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { SHARED_NATS_URL } from '../../test/helpers/nats.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';

describe('looking up an event no worker has archived yet', () => {
  let a: TestPipeline;
  let b: Services;
  before(async () => {
    // No worker: accepted events stay on the bus only.
    a = await startTestPipeline({ worker: false });
    b = await runServices(a.config, silentLogger(), { gateway: true, worker: false, migrate: false });
  });
  after(async () => {
    await b?.stop();
    await a?.stop();
  });

  it('answers accepted from the gateway that stored it, and from any other gateway', async () => {
    const r = await http<{ id: string; seq: number }>(`${a.url}/events/order.created`, { body: { order_id: 'o-9' }, headers: { 'ce-source': '/shop' } });
    assert.equal(r.status, 202);
    for (const url of [a.url, b.address!]) {
      const s = await http<{ status: string; type: string; attempts: number }>(`${url}/ingest/status/${r.body.id}`);
      assert.equal(s.status, 200, url);
      assert.equal(s.body.status, 'accepted');
      assert.equal(s.body.type, 'order.created');
      assert.equal(s.body.attempts, 0);
      const e = await http<{ id: string; source: string; sequence: string; data: unknown }>(`${url}/events/${r.body.id}`);
      assert.equal(e.status, 200, url);
      assert.equal(e.body.source, '/shop');
      assert.equal(e.body.sequence, String(r.body.seq));
      assert.deepEqual(e.body.data, { order_id: 'o-9' });
    }
    const missing = await http(`${b.address!}/ingest/status/0190a8f0-0000-7000-8000-000000000001`);
    assert.equal(missing.status, 404);
    // A time-ordered id from the year 10889 (no message was stored then) and one from 1970.
    for (const id of ['ffffffe4-b044-71bf-9d1b-500700000010', '00000000-0001-7000-8000-000000000001']) {
      assert.equal((await http(`${a.url}/ingest/status/${id}`)).status, 404, id);
      assert.equal((await http(`${a.url}/replay/${id}`, { method: 'POST' })).status, 404, id);
    }
  });

  it('finds an event from any gateway when the issuing gateway runs 45 s ahead of the NATS server', async () => {
    const realNow = Date.now;
    Date.now = () => realNow() + 45_000;
    let r;
    try {
      r = await http<{ id: string }>(`${a.url}/events/order.created`, { body: { order_id: 'o-skew' } });
    } finally {
      Date.now = realNow;
    }
    assert.equal(r.status, 202);
    for (const url of [a.url, b.address!]) {
      assert.equal((await http(`${url}/ingest/status/${r.body.id}`)).status, 200, url);
    }
    const replay = await http<{ matched: number; unknown: string[] }>(`${b.address!}/replay/${r.body.id}`, { method: 'POST' });
    assert.equal(replay.status, 202);
    assert.deepEqual(replay.body.unknown ?? [], []);
  });
});

describe('looking up an id when the workers have acknowledged everything', () => {
  let p: TestPipeline;
  let nc: NatsConnection;
  before(async () => {
    p = await startTestPipeline();
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  after(async () => {
    await nc?.close();
    await p?.stop();
  });

  it('answers 404 for an id never accepted without asking the other gateways', async () => {
    const r = await http<{ id: string }>(`${p.url}/events/order.created`, { body: { order_id: 'o-1' } });
    assert.equal(r.status, 202);
    await eventually(async () => ((await http<{ status: string }>(`${p.url}/ingest/status/${r.body.id}`)).body.status === 'persisted' ? true : undefined));
    const questions: string[] = [];
    const listener = nc.subscribe(`_SLUICE.${p.names.stream}.lookup`, { callback: (_error, msg) => void questions.push(msg.string()) });
    await nc.flush();
    // A key-derived id (UUIDv5) and a time-ordered one: neither is on the stream above the floor.
    for (const id of ['8e0d3a7c-2b1f-5c3e-9a4d-1f2e3d4c5b6a', '0190a8f0-0000-7000-8000-000000000002']) {
      assert.equal((await http(`${p.url}/ingest/status/${id}`)).status, 404);
      assert.equal((await http(`${p.url}/replay/${id}`, { method: 'POST' })).status, 404);
    }
    await nc.flush();
    listener.unsubscribe();
    assert.deepEqual(questions, [], 'no gateway was asked: nothing unacknowledged can hold these ids');
  });
});
