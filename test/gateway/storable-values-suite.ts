import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, http, type RunningPipeline, type StartPipeline } from '../helpers/pipeline.js';

type ErrorBody = { error: { code: string; message: string } };
type Status = { status: string; error: string | null };

const JSON_TYPE = { 'content-type': 'application/json' };
const STRUCTURED = { 'content-type': 'application/cloudevents+json' };
const BATCH = { 'content-type': 'application/cloudevents-batch+json' };

const ce = (extra: Record<string, unknown>) => ({ specversion: '1.0', id: `e-${Math.random()}`, source: '/edge', type: 'edge.ce', data: { n: 1 }, ...extra });

/**
 * The gateway accepts exactly what the database stores: values PostgreSQL (or a NATS header)
 * would refuse get a 400 naming why, and edge values it can store get a 202 and settle.
 */
export function storableValues(adapters: string, start: StartPipeline): void {
  describe(`the gateway accepts what the database stores (${adapters})`, () => {
    let p: RunningPipeline;
    before(async () => {
      p = await start({ env: { MAX_BODY_BYTES: '4MiB' } });
    });
    after(async () => {
      await p?.stop();
    });

    const refused = async (code: string, pattern: RegExp, request: Promise<{ status: number; body: unknown }>) => {
      const r = await request;
      assert.equal(r.status, 400, JSON.stringify(r.body).slice(0, 300));
      const body = r.body as ErrorBody;
      assert.equal(body.error.code, code, body.error.message);
      assert.match(body.error.message, pattern);
    };
    const settled = async (id: string): Promise<Status> =>
      eventually(async () => {
        const r = await http<Status>(`${p.url}/ingest/status/${id}`);
        return r.status === 200 && (r.body.status === 'persisted' || r.body.status === 'failed') ? r.body : undefined;
      }, 60_000, `event ${id} to settle`);

    it('refuses numbers outside numeric, on every ingest path', async () => {
      for (const raw of ['{"x":1e-20000}', '{"x":1e200000}', '[1e-16384]', '1.5e-16383', '1e131072', `{"x":0.${'0'.repeat(16383)}1}`, '1e-2147483648']) {
        await refused('unsupported_json', /numeric/, http(`${p.url}/events/edge.num`, { raw, headers: JSON_TYPE }));
      }
      await refused('unsupported_json', /numeric/, http(`${p.url}/ingest/message`, { raw: '{"x":1e-20000}', headers: JSON_TYPE }));
      await refused('unsupported_json', /numeric/, http(`${p.url}/events`, { raw: '{"x":1e-20000}', headers: { ...JSON_TYPE, 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 'edge.bin' } }));
      const batch = await http<{ results: Array<{ error?: { code: string } }> }>(`${p.url}/ingest/batch`, { raw: '{"ok":1}\n{"x":1e-20000}\n', headers: { 'content-type': 'application/x-ndjson' } });
      assert.equal(batch.status, 202);
      assert.equal(batch.body.results[1]?.error?.code, 'unsupported_json');
    });

    it('refuses times outside the years 0001-9999 once the offset is applied, and impossible dates', async () => {
      for (const time of ['0000-01-01T00:00:00Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00', '2021-02-29T00:00:00Z', '2020-04-31T00:00:00Z', '2020-01-01T24:00:00Z', '2016-12-31T23:59:60Z', '2020-01-01T00:00:00+24:00']) {
        await refused('invalid_cloudevent', /time/, http(`${p.url}/events/edge.time`, { body: { t: time }, headers: { 'ce-time': time } }));
        await refused('invalid_cloudevent', /time/, http(`${p.url}/events`, { raw: JSON.stringify(ce({ time })), headers: STRUCTURED }));
      }
    });

    it('refuses attribute values a NATS header or a text column cannot carry: 400, never 500', async () => {
      for (const [name, value] of [
        ['source', '/a\nb'],
        ['id', 'x\ry'],
        ['subject', 's\u0000'],
        ['subject', 'tab\there'],
        ['source', '/lone\ud800'],
        ['id', ' padded '],
        ['myext', 'line\nbreak'],
        ['source', `/${'s'.repeat(2100)}`],
      ] as const) {
        await refused('invalid_cloudevent', new RegExp(name === 'myext' ? 'extension myext' : name), http(`${p.url}/events`, { raw: JSON.stringify(ce({ [name]: value })), headers: STRUCTURED }));
      }
    });

    it('gives a bad value inside a CloudEvents batch its own 400-style entry, not 503', async () => {
      const good = ce({ type: 'edge.batch' });
      const r = await http<Array<{ id?: string; error?: { code: string; message: string } }>>(`${p.url}/events`, {
        raw: JSON.stringify([good, ce({ source: '/a\nb' }), ce({ time: '0000-01-01T00:00:00Z' }), ce({ data: '\u0000' }), ce({ subject: '\u0007' })]),
        headers: BATCH,
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.ok(r.body[0]!.id !== undefined);
      assert.deepEqual(r.body.slice(1).map((e) => e.error?.code), ['invalid_cloudevent', 'invalid_cloudevent', 'unsupported_json', 'invalid_cloudevent']);
      assert.equal(r.headers.get('retry-after'), null);
      const onlyBad = await http<Array<{ error?: { code: string } }>>(`${p.url}/events`, { raw: JSON.stringify([ce({ source: '/a\nb' })]), headers: BATCH });
      assert.equal(onlyBad.status, 400);
      assert.equal(onlyBad.headers.get('retry-after'), null);
    });

    it('answers 400 to binary mode with an empty ce-type (or any empty required header)', async () => {
      for (const empty of ['ce-type', 'ce-id', 'ce-source', 'ce-specversion']) {
        const headers: Record<string, string> = { ...JSON_TYPE, 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 'edge.bin', [empty]: '' };
        await refused('invalid_cloudevent', new RegExp(empty), http(`${p.url}/events`, { raw: '{}', headers }));
      }
    });

    it('reads since/until with any RFC 3339 offset (PostgreSQL itself reads only up to ±15:59)', async () => {
      const r = await http<{ events: unknown[] }>(`${p.url}/events?since=${encodeURIComponent('2020-01-01T00:00:00+23:59')}&until=${encodeURIComponent('2999-01-01T00:00:00-16:00')}&limit=1`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const replay = await http(`${p.url}/replay`, { body: { type: 'edge.none', since: '2020-01-01T00:00:00+23:59' } });
      assert.ok(replay.status < 500, `replay: ${replay.status} ${JSON.stringify(replay.body)}`);
      await refused('invalid_parameter', /since/, http(`${p.url}/events?since=0000-01-01T00:00:00Z`));
    });

    it('scopes an Idempotency-Key by event type: one key on two types is two events', async () => {
      const key = `k-${Math.random()}`;
      const a = await http<{ id: string }>(`${p.url}/events/edge.key.a`, { body: { a: 1 }, headers: { 'idempotency-key': key } });
      const b = await http<{ id: string }>(`${p.url}/events/edge.key.b`, { body: { b: 1 }, headers: { 'idempotency-key': key } });
      const again = await http<{ id: string }>(`${p.url}/events/edge.key.a`, { body: { a: 2 }, headers: { 'idempotency-key': key } });
      assert.equal(a.status, 202);
      assert.equal(b.status, 202);
      assert.notEqual(a.body.id, b.body.id);
      assert.equal(again.body.id, a.body.id, 'a repeat on the same type is still the same event');
      assert.equal((await settled(a.body.id)).status, 'persisted');
      assert.equal((await settled(b.body.id)).status, 'persisted');
      const stored = await http<{ type: string; data: unknown }>(`${p.url}/events/${b.body.id}`);
      assert.equal(stored.body.type, 'edge.key.b');
      assert.deepEqual(stored.body.data, { b: 1 });
    });

    it('accepts edge values the database stores, and every one settles persisted', async () => {
      const ids: string[] = [];
      const accept = async (request: Promise<{ status: number; body: unknown }>) => {
        const r = await request;
        assert.equal(r.status, 202, JSON.stringify(r.body).slice(0, 300));
        ids.push((r.body as { id: string }).id);
      };
      for (const raw of ['[1e-16383]', '1e131071', '0.1e131072', '0e99999999', '-0', '{"a":"\\uffff\\ufffe\\u0001"}', '"\\ud83d\\ude00"', `${'['.repeat(1000)}${']'.repeat(1000)}`, `0.${'0'.repeat(16382)}1`]) {
        await accept(http(`${p.url}/events/edge.ok`, { raw, headers: JSON_TYPE }));
      }
      for (const time of ['0001-01-01T00:00:00Z', '0001-01-01T00:30:00+00:30', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.9999999Z', '9999-12-31T22:30:00-01:29', '2020-02-29T12:00:00+23:59']) {
        await accept(http(`${p.url}/events/edge.ok`, { body: { time }, headers: { 'ce-time': time } }));
        await accept(http(`${p.url}/events`, { raw: JSON.stringify(ce({ type: 'edge.ok', time })), headers: STRUCTURED }));
      }
      await accept(http(`${p.url}/events`, { raw: JSON.stringify(ce({ type: 'edge.ok', source: `/${'é'.repeat(1000)}`, subject: 'ü 😀 x', myext: 'a:b; c' })), headers: STRUCTURED }));
      for (const id of ids) assert.equal((await settled(id)).status, 'persisted', id);
    });
  });
}
