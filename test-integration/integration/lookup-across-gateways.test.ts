import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runServices, type Services } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';

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
  });
});
