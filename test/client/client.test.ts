import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SluiceApiError, SluiceClient, SluiceConnectionError } from '../../src/client/index.js';
import { type FakeGateway, send, startFakeGateway } from './fake-gateway.js';

describe('SluiceClient against the HTTP contract', () => {
  let gateway: FakeGateway;
  before(async () => {
    gateway = await startFakeGateway({ apiKey: 'k1' });
  });
  after(async () => {
    await gateway.stop();
  });
  const client = (extra: Partial<ConstructorParameters<typeof SluiceClient>[0]> = {}): SluiceClient =>
    new SluiceClient({ url: `${gateway.url}/`, apiKey: 'k1', ...extra });

  it('sends an event with its headers and returns the 202 answer', async () => {
    gateway.override = undefined;
    const accepted = await client().send('order.created', { order_id: 'o-1' }, { idempotencyKey: 'K', source: '/shop', subject: 'o-1', entity: 'Order' });
    assert.equal(accepted.type, 'order.created');
    assert.equal(accepted.status, 'accepted');
    const request = gateway.requests.at(-1);
    assert.equal(request?.url, '/events/order.created');
    assert.equal(request?.headers.authorization, 'Bearer k1');
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.equal(request?.headers['idempotency-key'], 'K');
    assert.equal(request?.headers['ce-source'], '/shop');
    assert.equal(request?.headers['ce-subject'], 'o-1');
    assert.equal(request?.headers['x-entity-type'], 'Order');
    assert.equal(request?.body, '{"order_id":"o-1"}');
    const status = await client().status(accepted.id);
    assert.equal(status.message_id, accepted.id);
    const event = await client().get(accepted.id);
    assert.deepEqual(event.data, { order_id: 'o-1' });
  });

  it('maps an error body to SluiceApiError with code, status and message', async () => {
    await assert.rejects(client().status('no-such-id'), (e: unknown) => {
      assert.ok(e instanceof SluiceApiError);
      assert.equal(e.code, 'not_found');
      assert.equal(e.status, 404);
      assert.equal(e.message, 'no event has the id no-such-id');
      return true;
    });
    await assert.rejects(client({ apiKey: 'wrong' }).health(), (e: unknown) => e instanceof SluiceApiError && e.code === 'unauthorized' && e.status === 401);
  });

  it('names the status when the answer carries no Sluice error body', async () => {
    gateway.override = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
      return true;
    };
    try {
      await assert.rejects(client().health(), (e: unknown) => e instanceof SluiceApiError && e.code === 'http_502' && e.message.startsWith('HTTP 502'));
    } finally {
      gateway.override = undefined;
    }
  });

  it('takes the code of a batch that failed whole from its first rejected line', async () => {
    gateway.override = (_req, res) => {
      const error = { code: 'bus_unavailable', message: 'the bus cannot store events now' };
      send(res, 503, { accepted: 0, rejected: 2, results: [{ line: 1, error }, { line: 2, error }] }, { 'retry-after': '2' });
      return true;
    };
    try {
      await assert.rejects(client().sendBatch([1, 2]), (e: unknown) =>
        e instanceof SluiceApiError && e.code === 'bus_unavailable' && e.status === 503 && e.retryAfterSeconds === 2);
    } finally {
      gateway.override = undefined;
    }
  });

  it('throws 429 at once with retryAfterSeconds when retries are off', async () => {
    let calls = 0;
    gateway.override = (_req, res) => {
      calls++;
      send(res, 429, { error: { code: 'overloaded', message: 'too many events in flight' } }, { 'retry-after': '7' });
      return true;
    };
    try {
      await assert.rejects(client().send('t', 1), (e: unknown) => e instanceof SluiceApiError && e.code === 'overloaded' && e.retryAfterSeconds === 7 && e.retryable);
      assert.equal(calls, 1);
    } finally {
      gateway.override = undefined;
    }
  });

  it('retries 503 after the Retry-After wait when retries are on', async () => {
    let refusals = 0;
    gateway.override = (req, res) => {
      if (req.url.startsWith('/events/') && refusals < 1) {
        refusals++;
        send(res, 503, { error: { code: 'bus_unavailable', message: 'the bus cannot store events now' } }, { 'retry-after': '1' });
        return true;
      }
      return false;
    };
    try {
      const started = Date.now();
      const accepted = await client({ retries: 2 }).send('t', { n: 1 });
      assert.equal(accepted.status, 'accepted');
      assert.equal(refusals, 1);
      assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    } finally {
      gateway.override = undefined;
    }
  });

  it('gives up after the allowed retries and throws the last answer', async () => {
    let calls = 0;
    gateway.override = (_req, res) => {
      calls++;
      send(res, 429, { error: { code: 'overloaded', message: 'busy' } }, { 'retry-after': '0' });
      return true;
    };
    try {
      await assert.rejects(client({ retries: 2 }).send('t', 1), (e: unknown) => e instanceof SluiceApiError && e.code === 'overloaded');
      assert.equal(calls, 3);
    } finally {
      gateway.override = undefined;
    }
  });

  it('returns a degraded health report instead of throwing', async () => {
    gateway.override = (_req, res) => {
      send(res, 503, { status: 'degraded', version: '1', bus: { kind: 'jetstream', connected: false }, db: { kind: 'postgres', connected: true }, nats_connected: false });
      return true;
    };
    try {
      const health = await client({ retries: 3 }).health();
      assert.equal(health.status, 'degraded');
      assert.equal(health.bus.connected, false);
    } finally {
      gateway.override = undefined;
    }
  });

  it('sends a batch as NDJSON with the type in the query, and returns per-line results', async () => {
    const result = await client().sendBatch([{ a: 1 }, 'two', 3], { type: 'metric.sample', idempotencyKey: 'B' });
    assert.equal(result.accepted, 3);
    assert.deepEqual(result.results.map((r) => r.line), [1, 2, 3]);
    const request = gateway.requests.at(-1);
    assert.equal(request?.url, '/ingest/batch?type=metric.sample');
    assert.equal(request?.headers['content-type'], 'application/x-ndjson');
    assert.equal(request?.headers['idempotency-key'], 'B');
    assert.equal(request?.body, '{"a":1}\n"two"\n3\n');
  });

  it('returns the per-line answer of a batch where no line was accepted (400)', async () => {
    const result = await client().sendNdjson('{bad\n\nnot json\n', { type: 't' });
    assert.equal(result.accepted, 0);
    assert.deepEqual(result.results.map((r) => r.line), [1, 3]);
  });

  it('lists one page with the filter in the query', async () => {
    await client().list({ type: 'order.>', since: new Date('2026-01-01T00:00:00Z'), until: '2026-02-01T00:00:00Z', limit: 5, cursor: 'c1', status: 'failed' });
    const url = new URL(gateway.requests.at(-1)?.url ?? '', 'http://x');
    assert.equal(url.pathname, '/events');
    assert.equal(url.searchParams.get('type'), 'order.>');
    assert.equal(url.searchParams.get('since'), '2026-01-01T00:00:00.000Z');
    assert.equal(url.searchParams.get('until'), '2026-02-01T00:00:00Z');
    assert.equal(url.searchParams.get('limit'), '5');
    assert.equal(url.searchParams.get('cursor'), 'c1');
    assert.equal(url.searchParams.get('status'), 'failed');
  });

  it('reads the metrics as text, and sends its requests through the fetch it was given', async () => {
    gateway.override = (req, res) => {
      if (req.url !== '/metrics') return false;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('# TYPE sluice_events_accepted_total counter\nsluice_events_accepted_total 3\n');
      return true;
    };
    const seen: string[] = [];
    const counting: typeof fetch = (input, init) => {
      seen.push(`${init?.method ?? 'GET'} ${String(input)} ${new Headers(init?.headers).get('accept')}`);
      return fetch(input, init);
    };
    try {
      const text = await new SluiceClient({ url: gateway.url, fetch: counting }).metrics();
      assert.match(text, /^sluice_events_accepted_total 3$/m);
      assert.deepEqual(seen, [`GET ${gateway.url}/metrics text/plain`]);
    } finally {
      gateway.override = undefined;
    }
  });

  it('follows next_cursor through every page until an empty one', async () => {
    for (let i = 0; i < 7; i++) gateway.add('page.test', { i });
    const before = gateway.requests.length;
    const seen: unknown[] = [];
    for await (const event of client().listAll({ type: 'page.test', limit: 3 })) seen.push(event.data);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6].map((i) => ({ i })));
    const cursors = gateway.requests.slice(before).map((r) => new URL(r.url, 'http://x').searchParams.get('cursor'));
    assert.equal(cursors[0], null);
    assert.equal(cursors.length, 4, 'three full pages, then one empty page');
  });

  it('replays one id by path, many by body, a range by body, and reports progress', async () => {
    const a = gateway.add('r.t', 1);
    const b = gateway.add('r.t', 2);
    const one = await client().replay(a.id);
    assert.equal(gateway.requests.at(-1)?.url, `/replay/${a.id}`);
    assert.equal(one.replayed, 1);
    const many = await client().replay({ ids: [a.id, b.id, 'never'] });
    assert.deepEqual(JSON.parse(gateway.requests.at(-1)?.body ?? ''), { ids: [a.id, b.id, 'never'] });
    assert.deepEqual(many.unknown, ['never']);
    await client().replay({ type: 'r.>', since: new Date('2026-01-01T00:00:00Z') });
    assert.deepEqual(JSON.parse(gateway.requests.at(-1)?.body ?? ''), { type: 'r.>', since: '2026-01-01T00:00:00.000Z' });
    const status = await client().replayStatus(one.replay_id);
    assert.equal(status.replay_id, one.replay_id);
    await assert.rejects(client().replay('never'), (e: unknown) => e instanceof SluiceApiError && e.status === 404);
  });

  it('posts CloudEvents in structured mode, one or a batch', async () => {
    gateway.override = (req, res) => {
      if (req.url !== '/events') return false;
      const batch = req.headers['content-type'] === 'application/cloudevents-batch+json';
      const one = { id: 'x', type: 'ce.t', status: 'accepted', time: 'now', seq: 1 };
      send(res, 202, batch ? [one, { error: { code: 'invalid_cloudevent', message: 'no source' } }] : one);
      return true;
    };
    try {
      const single = await client().sendCloudEvents({ specversion: '1.0', id: '1', source: '/s', type: 'ce.t' });
      assert.equal(single.id, 'x');
      assert.equal(gateway.requests.at(-1)?.headers['content-type'], 'application/cloudevents+json');
      const results = await client().sendCloudEvents([{ specversion: '1.0', id: '1', source: '/s', type: 'ce.t' }, { id: '2' }]);
      assert.equal(results.length, 2);
      assert.ok('error' in (results[1] ?? {}));
      gateway.override = (req, res) => {
        send(res, 400, [{ error: { code: 'invalid_cloudevent', message: 'no source' } }]);
        return true;
      };
      const refused = await client().sendCloudEvents([{ id: '3' }]);
      assert.deepEqual(refused, [{ error: { code: 'invalid_cloudevent', message: 'no source' } }]);
    } finally {
      gateway.override = undefined;
    }
  });
});

describe('SluiceClient when the gateway cannot be reached', () => {
  it('throws SluiceConnectionError naming the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new SluiceClient({ url: `http://127.0.0.1:${port}` });
    await assert.rejects(client.health(), (e: unknown) => {
      assert.ok(e instanceof SluiceConnectionError);
      assert.equal(e.code, 'connection_failed');
      assert.match(e.message, new RegExp(`could not reach http://127\\.0\\.0\\.1:${port}/health: .*ECONNREFUSED`));
      return true;
    });
  });

  it('gives up after timeoutMs with a message naming the URL', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      await assert.rejects(new SluiceClient({ url, timeoutMs: 200 }).status('x'), (e: unknown) => {
        assert.ok(e instanceof SluiceConnectionError);
        assert.equal(e.timedOut, true);
        assert.match(e.message, /no answer from http:\/\/127\.0\.0\.1:\d+\/ingest\/status\/x within 200 ms/);
        return true;
      });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('refuses a URL that is not http or https', () => {
    assert.throws(() => new SluiceClient({ url: 'nats://127.0.0.1:4222' }), /not an http or https URL/);
    assert.throws(() => new SluiceClient({ url: 'localhost 8080' }), /not a valid gateway URL/);
  });
});
