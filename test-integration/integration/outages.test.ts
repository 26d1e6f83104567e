import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createTestDatabase } from '../../test/helpers/db.js';
import { startNatsServer, type NatsServer } from '../../test/helpers/nats.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js';

type Accepted = { id: string; seq: number };

describe('outages of NATS and PostgreSQL', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('answers 503 with Retry-After within 5 s while NATS is down, and 202 again once it is back, without a restart', async () => {
    const nats: NatsServer = await startNatsServer();
    cleanups.push(() => nats.destroy());
    const p: TestPipeline = await startTestPipeline({ natsUrl: nats.url, env: { SLUICE_PUBLISH_TIMEOUT: '2s' } });
    cleanups.push(() => p.stop());
    const before = await http<Accepted>(`${p.url}/events/up.before`, { body: { n: 1 } });
    assert.equal(before.status, 202);
    await eventually(async () => {
      const r = await http<{ status: string }>(`${p.url}/ingest/status/${before.body.id}`);
      return r.body.status === 'persisted' ? true : undefined;
    }, 15_000, 'the first event persisted');

    await nats.kill();
    const started = Date.now();
    const down = await http<{ error: { code: string } }>(`${p.url}/events/down.now`, { body: { n: 2 } });
    assert.equal(down.status, 503);
    assert.equal(down.body.error.code, 'bus_unavailable');
    assert.ok(Number(down.headers.get('retry-after')) >= 1);
    assert.ok(Date.now() - started < 5000, 'answered within 5 s');
    const health = await http<{ status: string }>(`${p.url}/health`);
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    // The status of an archived event still answers (from the database); an unknown id cannot be
    // told from one the bus holds, so it is 503, never 404, while the bus is away.
    const st = await http(`${p.url}/ingest/status/${before.body.id}`);
    assert.equal(st.status, 200);
    const unknown = await http<{ error: { code: string } }>(`${p.url}/ingest/status/0190a8f0-0000-7000-8000-00000000abcd`);
    assert.equal(unknown.status, 503);
    assert.equal(unknown.body.error.code, 'bus_unavailable');

    await nats.restart();
    const again = await eventually(async () => {
      const r = await http<Accepted>(`${p.url}/events/up.after`, { body: { n: 3 } });
      return r.status === 202 ? r : undefined;
    }, 15_000, 'a 202 after NATS came back');
    await eventually(async () => {
      const r = await http<{ status: string }>(`${p.url}/ingest/status/${again.body.id}`);
      return r.body.status === 'persisted' ? true : undefined;
    }, 15_000, 'the event after the outage persisted');
  });

  it('answers lookups 503 within 5 s while NATS is frozen with its connections open, and 404 again once it runs', async () => {
    const nats: NatsServer = await startNatsServer();
    cleanups.push(() => nats.destroy());
    const p: TestPipeline = await startTestPipeline({ natsUrl: nats.url, env: { SLUICE_PUBLISH_TIMEOUT: '2s' } });
    cleanups.push(() => p.stop());
    const accepted = await http<Accepted>(`${p.url}/events/frozen.before`, { body: { n: 1 } });
    assert.equal(accepted.status, 202);
    const unknown = ['0190a8f0-0000-7000-8000-00000000abcd', '6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'];

    nats.freeze();
    try {
      for (const path of [`/events/${unknown[0]}`, `/events/${unknown[1]}/status`, `/events/${accepted.body.id}/data`]) {
        const started = Date.now();
        const r = await http<{ status?: string; error?: { code: string } }>(`${p.url}${path}`);
        const took = Date.now() - started;
        assert.ok(took < 5000, `GET ${path} answered within 5 s (${took} ms)`);
        // The accepted event may be archived already (200 from the database); nothing is 404 while the bus cannot be asked.
        assert.ok(r.status === 503 || (r.status === 200 && path.startsWith(`/events/${accepted.body.id}`)), `GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status === 503) assert.equal(r.body.error?.code, 'bus_unavailable');
      }
    } finally {
      nats.thaw();
    }
    await eventually(async () => ((await http(`${p.url}/events/${unknown[0]}`)).status === 404 ? true : undefined), 15_000, 'an unknown id is 404 again once NATS runs');
  });

  it('keeps accepting while PostgreSQL is away, answers status from the bus, and persists everything once it is back', async () => {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    const proxy = await startTcpProxy('127.0.0.1', 5432);
    cleanups.push(() => proxy.close());
    const viaProxy = { ...db, url: db.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`) };
    const p = await startTestPipeline({ db: viaProxy, env: { SLUICE_MAX_DELIVER: '2' } });
    cleanups.push(() => p.stop());

    proxy.cut();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await http<Accepted>(`${p.url}/events/db.away`, { body: { i } });
      assert.equal(r.status, 202, 'the gateway does not need the database to accept');
      ids.push(r.body.id);
    }
    const st = await http<{ status: string; type: string }>(`${p.url}/ingest/status/${ids[0]}`);
    assert.equal(st.status, 200, 'never 404 right after a 202, even while the database is away');
    assert.equal(st.body.status, 'accepted');
    const ev = await http<{ id: string; data: { i: number } }>(`${p.url}/events/${ids[3]}`);
    assert.equal(ev.status, 200);
    assert.deepEqual(ev.body.data, { i: 3 });
    // Longer than SLUICE_MAX_DELIVER failed attempts would take: an outage is never counted against the events.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    proxy.restore();

    await eventually(async () => {
      const rows = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) GROUP BY status', [ids]);
      return rows.length === 1 && rows[0]!.status === 'persisted' && Number(rows[0]!.n) === 20 ? true : undefined;
    }, 30_000, 'all 20 persisted after the database came back');
    const archived = await db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[])', [ids]);
    assert.equal(Number(archived[0]!.n), 20);
  });
});
