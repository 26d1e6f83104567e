import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, type RunningPipeline, type StartPipeline } from '../helpers/pipeline.js';

type ErrorBody = { error: { code: string; message: string } };

/** Every documented 4xx for a client's mistake, from a gateway on the adapters `start` picks. */
export function clientMistakes(adapters: string, start: StartPipeline): void {
  describe(`client mistakes get their documented 4xx (${adapters})`, () => {
    let p: RunningPipeline;
    before(async () => {
      p = await start({ worker: false, env: { MAX_BODY_BYTES: '2KiB', MAX_BATCH_EVENTS: '3' } });
    });
    after(async () => {
      await p?.stop();
    });

    const expectError = async (status: number, code: string, request: Promise<{ status: number; body: unknown }>) => {
      const r = await request;
      assert.equal(r.status, status, JSON.stringify(r.body));
      const body = r.body as ErrorBody;
      assert.equal(body.error.code, code);
      assert.ok(body.error.message.length > 10, 'the message says what is wrong');
    };

    it('400 for malformed JSON, an empty body and non-UTF-8 bytes', async () => {
      await expectError(400, 'invalid_json', http(`${p.url}/events/a.b`, { raw: '{"a":', headers: { 'content-type': 'application/json' } }));
      await expectError(400, 'invalid_json', http(`${p.url}/events/a.b`, { raw: '', headers: { 'content-type': 'application/json' } }));
      await expectError(400, 'invalid_json', http(`${p.url}/events/a.b`, { raw: Buffer.from([0x22, 0xff, 0xfe, 0x22]), headers: { 'content-type': 'application/json' } }));
    });

    it('400 unsupported_json for text PostgreSQL cannot store', async () => {
      await expectError(400, 'unsupported_json', http(`${p.url}/events/a.b`, { raw: '{"a":"\\u0000"}', headers: { 'content-type': 'application/json' } }));
      await expectError(400, 'unsupported_json', http(`${p.url}/ingest/message`, { raw: '["\\ud800"]', headers: { 'content-type': 'application/json' } }));
    });

    it('400 for a bad event type, and for ce-type contradicting the path', async () => {
      await expectError(400, 'invalid_event_type', http(`${p.url}/events/bad..type`, { body: {} }));
      await expectError(400, 'invalid_event_type', http(`${p.url}/events/${'x'.repeat(201)}`, { body: {} }));
      await expectError(400, 'invalid_event_type', http(`${p.url}/ingest/message?type=no%20spaces`, { body: {} }));
      await expectError(400, 'type_mismatch', http(`${p.url}/events/a.b`, { body: {}, headers: { 'ce-type': 'c.d' } }));
    });

    it('400 for CloudEvents missing required attributes or with a bad time', async () => {
      const ce = (e: unknown) => http(`${p.url}/events`, { raw: JSON.stringify(e), headers: { 'content-type': 'application/cloudevents+json' } });
      await expectError(400, 'invalid_cloudevent', ce({ specversion: '1.0', source: '/s', type: 'a' }));
      await expectError(400, 'invalid_cloudevent', ce({ specversion: '0.3', id: '1', source: '/s', type: 'a' }));
      await expectError(400, 'invalid_cloudevent', ce({ specversion: '1.0', id: '1', source: '/s', type: 'a', time: 'yesterday' }));
      await expectError(400, 'invalid_event_type', ce({ specversion: '1.0', id: '1', source: '/s', type: 'a b' }));
      await expectError(400, 'invalid_cloudevent', http(`${p.url}/events`, { body: { x: 1 }, headers: { 'ce-id': '1' } }));
    });

    it('gives each bad CloudEvent in a batch its own error entry', async () => {
      const r = await http<Array<{ id?: string; error?: { code: string } }>>(`${p.url}/events`, {
        raw: JSON.stringify([{ specversion: '1.0', id: 'x1', source: '/s', type: 'ok.one', data: 1 }, { specversion: '1.0', id: 'x2', source: '/s' }]),
        headers: { 'content-type': 'application/cloudevents-batch+json' },
      });
      assert.equal(r.status, 202);
      assert.ok(r.body[0]!.id !== undefined);
      assert.equal(r.body[1]!.error?.code, 'invalid_cloudevent');
    });

    it('400 for a bad id and a bad query parameter, naming it', async () => {
      await expectError(400, 'invalid_id', http(`${p.url}/ingest/status/not-a-uuid`));
      await expectError(400, 'invalid_id', http(`${p.url}/events/123`));
      const r = await http<ErrorBody>(`${p.url}/events?limit=5000`);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, 'invalid_parameter');
      assert.match(r.body.error.message, /limit/);
      const s = await http<ErrorBody>(`${p.url}/events?since=yesterday`);
      assert.match(s.body.error.message, /since/);
      const t = await http<ErrorBody>(`${p.url}/events?type=a..b`);
      assert.match(t.body.error.message, /type/);
      const c = await http<ErrorBody>(`${p.url}/events?cursor=garbage`);
      assert.match(c.body.error.message, /cursor/);
    });

    it('404 for an unknown route', async () => {
      await expectError(404, 'not_found', http(`${p.url}/nope`));
    });

    it('413 for a body over MAX_BODY_BYTES and a batch over MAX_BATCH_EVENTS', async () => {
      await expectError(413, 'body_too_large', http(`${p.url}/events/a.b`, { body: { big: 'x'.repeat(4000) } }));
      await expectError(413, 'batch_too_large', http(`${p.url}/ingest/batch`, { raw: '1\n2\n3\n4', headers: { 'content-type': 'application/x-ndjson' } }));
      const ok = await http(`${p.url}/ingest/batch`, { raw: '1\n\n2\n3\n', headers: { 'content-type': 'application/x-ndjson' } });
      assert.equal(ok.status, 202, 'blank lines do not count toward the limit');
    });

    it('415 only where an endpoint needs one type; the ingest endpoints take any, and 400 for a malformed one', async () => {
      await expectError(415, 'unsupported_media_type', http(`${p.url}/ingest/batch`, { raw: '{}', headers: { 'content-type': 'application/json' } }));
      await expectError(415, 'unsupported_media_type', http(`${p.url}/replay`, { raw: '<ids/>', headers: { 'content-type': 'application/xml' } }));
      assert.equal((await http(`${p.url}/events/a.b`, { raw: '<p>{}</p>', headers: { 'content-type': 'text/html' } })).status, 202);
      assert.equal((await http(`${p.url}/events/a.b`, { raw: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 202);
      await expectError(400, 'invalid_content_type', http(`${p.url}/events/a.b`, { raw: 'a=1', headers: { 'content-type': 'form' } }));
      // Binary mode without its ce-* headers is no CloudEvent.
      await expectError(400, 'invalid_cloudevent', http(`${p.url}/events`, { raw: '{}', headers: { 'content-type': 'application/xml' } }));
    });

    it('400 for replay bodies that are empty or malformed, 404 when no id is known', async () => {
      await expectError(400, 'invalid_body', http(`${p.url}/replay`, { body: {} }));
      await expectError(400, 'invalid_body', http(`${p.url}/replay`, { body: { ids: [] } }));
      await expectError(400, 'invalid_id', http(`${p.url}/replay`, { body: { ids: ['nope'] } }));
      await expectError(400, 'invalid_json', http(`${p.url}/replay`, { raw: '{', headers: { 'content-type': 'application/json' } }));
      await expectError(404, 'not_found', http(`${p.url}/replay`, { body: { ids: ['0190a8f0-0000-7000-8000-000000000000'] } }));
    });
  });
}
