import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CloudEvent, HTTP, Mode, emitterFor, httpTransport } from 'cloudevents';
import { SluiceClient } from '../../src/client/index.js';
import { eventually, startEmbeddedPipeline } from '../helpers/pipeline.js';

type EmbeddedPipeline = Awaited<ReturnType<typeof startEmbeddedPipeline>>;

interface Answer {
  status: number;
  text: string;
  bytes: Buffer;
  contentType: string | null;
  json: () => Record<string, unknown>;
}

async function request(url: string, init: { method?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Answer> {
  const response = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers: init.headers ?? {}, ...(init.body !== undefined ? { body: init.body } : {}) });
  const bytes = Buffer.from(await response.arrayBuffer());
  return { status: response.status, bytes, text: bytes.toString('utf8'), contentType: response.headers.get('content-type'), json: () => JSON.parse(bytes.toString('utf8')) as Record<string, unknown> };
}

/** Bodies as producers send them: odd JSON, big numbers, text, XML, form posts, random bytes. */
const BODIES: Array<{ name: string; contentType: string | undefined; body: Buffer; shown: 'data' | 'string' | 'base64' }> = [
  { name: 'JSON with odd spacing, key order and big numbers', contentType: 'application/json', body: Buffer.from('{ "n":1, "hello" :"world",\n\t"big": 123456789012345678901234567890, "dec": 0.10000000000000000000001, "e": 1E+2 }'), shown: 'data' },
  { name: 'JSON with keys that look repeated', contentType: 'application/json; charset=utf-8', body: Buffer.from('{"a":1,"a":2,"\\u0061":3}'), shown: 'data' },
  { name: 'a vendor +json type', contentType: 'application/vnd.acme.order+json', body: Buffer.from('[1,2 , 3]'), shown: 'data' },
  { name: 'plain text', contentType: 'text/plain', body: Buffer.from('hello\r\nwörld\t"quoted"\\'), shown: 'string' },
  { name: 'XML', contentType: 'application/xml', body: Buffer.from('<order id="1"><total>12.50</total></order>'), shown: 'string' },
  { name: 'an HL7 message', contentType: 'x-application/hl7-v2+er7', body: Buffer.from('MSH|^~\\&|A|B|C|D|202601011200||ADT^A01|1|P|2.5\rPID|1||42'), shown: 'base64' },
  { name: 'a form post (curl -d)', contentType: 'application/x-www-form-urlencoded', body: Buffer.from('customer=c-42&note=a+b%26c'), shown: 'string' },
  { name: 'random bytes with no Content-Type', contentType: undefined, body: randomBytes(300), shown: 'base64' },
  { name: 'an image', contentType: 'image/png', body: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(64)]), shown: 'base64' },
];

describe('payloads of any content type, kept byte for byte (embedded bus and database)', () => {
  let p: EmbeddedPipeline;
  before(async () => {
    p = await startEmbeddedPipeline();
  });
  after(async () => {
    await p.stop();
  });

  async function archived(id: string): Promise<Record<string, unknown>> {
    return eventually(async () => {
      const status = await request(`${p.url}/events/${id}/status`);
      return status.json().status === 'persisted' ? (await request(`${p.url}/events/${id}`)).json() : undefined;
    }, 20_000, `${id} persisted`);
  }

  async function expectKept(id: string, sent: (typeof BODIES)[number]): Promise<void> {
    const event = await archived(id);
    const contentType = sent.contentType ?? 'application/octet-stream';
    assert.equal(event.datacontenttype, contentType, sent.name);
    const data = await request(`${p.url}/events/${id}/data`);
    assert.equal(data.status, 200);
    assert.equal(data.contentType, contentType, sent.name);
    assert.deepEqual(data.bytes, sent.body, `${sent.name}: /data gives back the exact bytes`);
    const structured = await request(`${p.url}/events/${id}`);
    if (sent.shown === 'data') {
      // The data member is the producer's text, spliced in: not re-serialised.
      assert.ok(structured.text.endsWith(`"data":${sent.body.toString('utf8')}}`), `${sent.name}: ${structured.text}`);
    } else if (sent.shown === 'string') {
      assert.equal(event.data, sent.body.toString('utf8'), sent.name);
    } else {
      assert.equal(event.data_base64, sent.body.toString('base64'), sent.name);
      assert.equal(event.data, undefined, 'never both data and data_base64');
    }
  }

  for (const sent of BODIES) {
    it(`POST /events/{type} takes ${sent.name}`, async () => {
      const answer = await request(`${p.url}/events/payload.test`, { body: sent.body, headers: sent.contentType === undefined ? {} : { 'content-type': sent.contentType } });
      assert.equal(answer.status, 202, answer.text);
      await expectKept(answer.json().id as string, sent);
    });
  }

  it('POST /events in binary mode and POST /ingest/message take any content type too', async () => {
    for (const sent of [BODIES[0]!, BODIES[4]!, BODIES[7]!]) {
      const headers: Record<string, string> = { 'ce-specversion': '1.0', 'ce-id': `bin-${sent.name}`, 'ce-source': '/test', 'ce-type': 'payload.binary' };
      if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
      const binary = await request(`${p.url}/events`, { body: sent.body, headers });
      assert.equal(binary.status, 202, binary.text);
      await expectKept(binary.json().id as string, sent);
      const message = await request(`${p.url}/ingest/message?type=payload.message`, { body: sent.body, headers: sent.contentType === undefined ? {} : { 'content-type': sent.contentType } });
      assert.equal(message.status, 202, message.text);
      await expectKept(message.json().message_id as string, sent);
    }
  });

  it('checks JSON only when the content type says JSON, and refuses a malformed media type with 400', async () => {
    const bad = await request(`${p.url}/events/payload.test`, { body: '{"a":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.equal((bad.json().error as { code: string }).code, 'invalid_json');
    const vendor = await request(`${p.url}/ingest/message`, { body: 'not json', headers: { 'content-type': 'application/problem+json' } });
    assert.equal(vendor.status, 400);
    const nul = await request(`${p.url}/events/payload.test`, { body: '{"a":"\\u0000"}', headers: { 'content-type': 'application/json' } });
    assert.equal((nul.json().error as { code: string }).code, 'unsupported_json');
    const text = await request(`${p.url}/events/payload.test`, { body: '{"a":', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 202);
    for (const contentType of ['json', 'text/plain; charset', 'text plain', 'text/plain; a="unterminated']) {
      const invalid = await request(`${p.url}/events/payload.test`, { body: 'x', headers: { 'content-type': contentType } });
      assert.equal(invalid.status, 400, `${contentType}: ${invalid.text}`);
    }
  });

  it('keeps idempotency and size limits the same for every type', async () => {
    const first = await request(`${p.url}/events/payload.test`, { body: 'one', headers: { 'content-type': 'text/plain', 'idempotency-key': 'text-key' } });
    const again = await request(`${p.url}/events/payload.test`, { body: Buffer.from([1, 2, 3]), headers: { 'idempotency-key': 'text-key' } });
    assert.equal(first.status, 202);
    assert.equal(again.json().id, first.json().id);
    const big = await request(`${p.url}/events/payload.test`, { body: Buffer.alloc(p.config.http.maxBodyBytes + 1), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(big.status, 413);
  });

  it('answers GET /events/{id}/data from the bus before a worker archives the event', async () => {
    const idle = await startEmbeddedPipeline({ worker: false });
    try {
      const answer = await request(`${idle.url}/events/payload.test`, { body: 'a,b\n1,2\n', headers: { 'content-type': 'text/csv' } });
      const id = answer.json().id as string;
      const data = await request(`${idle.url}/events/${id}/data`);
      assert.equal(data.status, 200);
      assert.equal(data.contentType, 'text/csv');
      assert.equal(data.text, 'a,b\n1,2\n');
      const event = (await request(`${idle.url}/events/${id}`)).json();
      assert.equal(event.data, 'a,b\n1,2\n');
      assert.equal((await request(`${idle.url}/events/01a22b2c-d4e1-76d4-98bd-fa8a64aadc10/data`)).status, 404);
    } finally {
      await idle.stop();
    }
  });

  it('takes events from the official CloudEvents SDK (binary and structured) and gives back what the SDK reads as the same event', async () => {
    const cases: Array<CloudEvent<unknown>> = [
      new CloudEvent({ type: 'sdk.json', source: '/sdk', id: 'sdk-1', data: { hello: 'world', n: 1 }, subject: 'orders/1', tenant: 'acme' }),
      new CloudEvent({ type: 'sdk.text', source: '/sdk', id: 'sdk-2', datacontenttype: 'text/plain', data: 'just text' }),
      new CloudEvent({ type: 'sdk.binary', source: '/sdk', id: 'sdk-3', datacontenttype: 'application/octet-stream', data: new Uint8Array([0, 1, 2, 250]) }),
      new CloudEvent({ type: 'sdk.schema', source: '/sdk', id: 'sdk-4', dataschema: 'https://example.com/schema.json', time: '2026-01-31T12:00:00.123456789+02:00', data: { a: [1, 2] } }),
    ];
    for (const mode of [Mode.BINARY, Mode.STRUCTURED]) {
      const emit = emitterFor(httpTransport(`${p.url}/events`), { mode });
      for (const sent of cases) {
        const event = sent.cloneWith({ id: `${sent.id}-${mode}` });
        await emit(event);
        const archivedEvent = await eventually(async () => {
          const list = await request(`${p.url}/events?type=${sent.type}&limit=1000`);
          const found = (list.json().events as Array<Record<string, unknown>>).find((e) => e.originid === event.id);
          return found;
        }, 20_000, `${event.id} archived`);
        const back = await request(`${p.url}/events/${archivedEvent.id as string}`);
        const read = HTTP.toEvent({ headers: { 'content-type': back.contentType ?? '' }, body: back.text }) as CloudEvent;
        assert.equal(read.type, event.type);
        assert.equal(read.source, event.source);
        assert.equal(read.subject, event.subject);
        assert.equal(read.dataschema, event.dataschema);
        // Binary mode sends the SDK's Content-Type (it adds a charset): kept as the producer gave it.
        assert.ok(String(read.datacontenttype).startsWith(event.datacontenttype ?? 'application/json'), String(read.datacontenttype));
        if (event.data instanceof Uint8Array) assert.deepEqual(new Uint8Array(read.data_base64 === undefined ? (read.data as unknown as Uint8Array) : Buffer.from(read.data_base64, 'base64')), event.data);
        else assert.deepEqual(read.data, event.data);
        if (sent.id === 'sdk-1') assert.equal(read.tenant, 'acme');
      }
    }
  });

  it("takes the CloudEvents JSON format's own examples", async () => {
    const examples = [
      { specversion: '1.0', type: 'com.example.someevent', source: '/mycontext', id: 'A234-1234-1234', time: '2018-04-05T17:31:00Z', comexampleextension1: 'value', comexampleothervalue: 5, datacontenttype: 'application/vnd.apache.thrift.binary', data_base64: Buffer.from('thrift bytes').toString('base64') },
      { specversion: '1.0', type: 'com.example.someevent', source: '/mycontext', id: 'B234-1234-1234', time: '2018-04-05T17:31:00Z', comexampleextension1: 'value', comexampleothervalue: 5, unsetextension: null, datacontenttype: 'application/json', data: { appinfoA: 'abc', appinfoB: 123, appinfoC: true } },
      { specversion: '1.0', type: 'com.example.someevent', source: '/mycontext', subject: null, id: 'C234-1234-1234', time: null, comexampleextension1: 'value', comexampleothervalue: 5, datacontenttype: 'application/xml', data: '<much wow="xml"/>' },
    ];
    const expected = [Buffer.from('thrift bytes'), Buffer.from('{"appinfoA":"abc","appinfoB":123,"appinfoC":true}'), Buffer.from('<much wow="xml"/>')];
    const batch = await request(`${p.url}/events`, { body: JSON.stringify(examples), headers: { 'content-type': 'application/cloudevents-batch+json' } });
    assert.equal(batch.status, 202, batch.text);
    const ids = (JSON.parse(batch.text) as Array<{ id: string }>).map((r) => r.id);
    for (let i = 0; i < ids.length; i++) {
      const event = await archived(ids[i]!);
      assert.equal(event.comexampleothervalue, '5');
      assert.equal(event.unsetextension, undefined);
      assert.equal(event.subject, undefined);
      assert.deepEqual((await request(`${p.url}/events/${ids[i]!}/data`)).bytes, expected[i]);
    }
  });

  it('refuses what the CloudEvents spec calls invalid with 400, event by event in a batch', async () => {
    const valid = { specversion: '1.0', type: 'ce.strict', source: '/strict', id: 'x' };
    const invalid: Array<[string, Record<string, unknown>]> = [
      ['empty subject', { ...valid, subject: '' }],
      ['empty dataschema', { ...valid, dataschema: '' }],
      ['empty datacontenttype', { ...valid, datacontenttype: '', data: 'x' }],
      ['empty id', { ...valid, id: '' }],
      ['empty source', { ...valid, source: '' }],
      ['empty type', { ...valid, type: '' }],
      ['time not RFC 3339', { ...valid, time: '2026-01-31 12:00' }],
      ['unknown specversion', { ...valid, specversion: '0.3' }],
      ['upper-case extension', { ...valid, myExt: 'x' }],
      ['extension with a dash', { ...valid, 'my-ext': 'x' }],
      ['object extension', { ...valid, ext: { a: 1 } }],
      ['fractional extension', { ...valid, ext: 1.5 }],
      ['numeric id', { ...valid, id: 5 }],
      ['numeric subject', { ...valid, subject: 5 }],
      ['both data and data_base64', { ...valid, data: 'x', data_base64: 'eA==' }],
      ['data_base64 not base64', { ...valid, data_base64: '***' }],
      ['invalid media type', { ...valid, datacontenttype: 'not a type', data: 'x' }],
      ['missing specversion', { type: 'ce.strict', source: '/strict', id: 'x' }],
      ['null id', { ...valid, id: null }],
    ];
    for (const [name, event] of invalid) {
      const one = await request(`${p.url}/events`, { body: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } });
      assert.equal(one.status, 400, `${name}: ${one.text}`);
    }
    const batch = await request(`${p.url}/events`, { body: JSON.stringify([valid, ...invalid.map(([, e]) => e)]), headers: { 'content-type': 'application/cloudevents-batch+json' } });
    assert.equal(batch.status, 202);
    const results = JSON.parse(batch.text) as Array<{ id?: string; error?: { code: string } }>;
    assert.ok(results[0]!.id !== undefined);
    results.slice(1).forEach((r, i) => assert.ok(r.error !== undefined && r.error.code !== 'unsupported_media_type', invalid[i]![0]));
    const emptyHeader = await request(`${p.url}/events/ce.strict`, { body: '{}', headers: { 'content-type': 'application/json', 'ce-subject': '' } });
    assert.equal(emptyHeader.status, 400);
    const badTime = await request(`${p.url}/events`, { body: '{}', headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': '1', 'ce-source': '/s', 'ce-type': 'a.b', 'ce-time': 'yesterday' } });
    assert.equal(badTime.status, 400);
  });

  it('finds events by their data (JSON containment), with the other filters, paged, through the API and SluiceClient', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const body = i % 2 === 0 ? JSON.stringify({ customer: 'c-42', n: i, tags: ['x', `t${i}`] }) : `customer=c-42&n=${i}`;
      const contentType = i % 2 === 0 ? 'application/json' : 'application/x-www-form-urlencoded';
      const answer = await request(`${p.url}/events/search.${i < 3 ? 'a' : 'b'}`, { body, headers: { 'content-type': contentType } });
      ids.push(answer.json().id as string);
    }
    await request(`${p.url}/events/search.a`, { body: '{"customer":"c-7"}', headers: { 'content-type': 'application/json' } });
    await request(`${p.url}/events/search.a`, { body: 'customer c-42', headers: { 'content-type': 'text/plain' } });
    for (const id of ids) await archived(id);
    const find = async (query: string): Promise<string[]> => {
      const answer = await request(`${p.url}/events?${query}`);
      assert.equal(answer.status, 200, answer.text);
      return (answer.json().events as Array<{ id: string }>).map((e) => e.id);
    };
    const data = encodeURIComponent('{"customer":"c-42"}');
    await eventually(async () => ((await find(`type=search.>&data=${data}`)).length === 6 ? true : undefined), 10_000, 'all six listed');
    assert.deepEqual(await find(`type=search.>&data=${data}`), ids, 'JSON data and form posts, in stream order; text is not searched');
    assert.deepEqual(await find(`type=search.a&data=${data}`), ids.slice(0, 3));
    assert.deepEqual(await find(`type=search.>&data=${encodeURIComponent('{"tags":["t4"]}')}`), [ids[4]]);
    assert.deepEqual(await find(`type=search.>&data=${encodeURIComponent('{"n":"3"}')}`), [ids[3]], 'form fields are strings');
    const first = await request(`${p.url}/events?type=search.>&limit=2&data=${data}`);
    const second = await request(`${p.url}/events?type=search.>&limit=2&data=${data}&cursor=${first.json().next_cursor as string}`);
    assert.deepEqual((second.json().events as Array<{ id: string }>).map((e) => e.id), ids.slice(2, 4));
    for (const bad of ['{', '{"a":"\\u0000"}', 'customer']) {
      const answer = await request(`${p.url}/events?data=${encodeURIComponent(bad)}`);
      assert.equal(answer.status, 400, bad);
      assert.equal((answer.json().error as { code: string }).code, 'invalid_parameter');
    }
    const client = new SluiceClient({ url: p.url });
    const page = await client.list({ type: 'search.>', data: { customer: 'c-42', n: 0 } });
    assert.deepEqual(page.events.map((e) => e.id), [ids[0]]);
  });

  it('keeps NDJSON batches line by line', async () => {
    const batch = await request(`${p.url}/ingest/batch?type=payload.lines`, { body: '{"b":2, "a":1}\nnot json\n\n[1 ,2]', headers: { 'content-type': 'application/x-ndjson' } });
    assert.equal(batch.status, 202);
    const body = batch.json() as { accepted: number; rejected: number; results: Array<{ line: number; message_id?: string; error?: { code: string } }> };
    assert.equal(body.accepted, 2);
    assert.deepEqual(body.results.map((r) => r.line), [1, 2, 4]);
    assert.equal(body.results[1]!.error?.code, 'invalid_json');
    assert.equal((await request(`${p.url}/events/${body.results[0]!.message_id!}/data`)).text, '{"b":2, "a":1}');
  });

  it('gives each NDJSON line its own id when the request carries a ce-id (every line stored, none dropped as a repeat)', async () => {
    const send = () => request(`${p.url}/ingest/batch?type=payload.celines`, { body: '{"n":1}\n{"n":2}\n{"n":3}', headers: { 'content-type': 'application/x-ndjson', 'ce-id': 'batch-7', 'ce-source': '/shop' } });
    const first = (await send()).json() as { accepted: number; results: Array<{ message_id: string }> };
    assert.equal(first.accepted, 3);
    const ids = first.results.map((r) => r.message_id);
    assert.equal(new Set(ids).size, 3, 'three distinct ids');
    for (const [i, id] of ids.entries()) {
      await archived(id);
      assert.equal((await request(`${p.url}/events/${id}/data`)).text, `{"n":${i + 1}}`);
    }
    // The same request again is a repeat of each line, not new events.
    const again = (await send()).json() as { results: Array<{ message_id: string }> };
    assert.deepEqual(again.results.map((r) => r.message_id), ids);
  });

  it('stores a form post whose fields jsonb cannot hold (%00) with its bytes, and settles it persisted', async () => {
    const body = Buffer.from('a=%00&b=ok');
    const answer = await request(`${p.url}/events/payload.form0`, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(answer.status, 202);
    const id = answer.json().id as string;
    await archived(id);
    assert.deepEqual((await request(`${p.url}/events/${id}/data`)).bytes, body);
  });

  it('archives text whose source is /nats as it came (the source names no adapter)', async () => {
    const answer = await request(`${p.url}/events/payload.natssource`, { body: 'just text', headers: { 'content-type': 'text/plain', 'ce-source': '/nats' } });
    assert.equal(answer.status, 202);
    const id = answer.json().id as string;
    await archived(id);
    assert.equal((await request(`${p.url}/events/${id}/data`)).text, 'just text');
  });

  it('keeps the producer\'s id in originid: a structured originid extension is refused, a binary ce-originid ignored', async () => {
    const structured = await request(`${p.url}/events`, {
      body: JSON.stringify({ specversion: '1.0', id: 'mine', source: '/shop', type: 'payload.origin', originid: 'other', data: {} }),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    assert.equal(structured.status, 400);
    assert.equal((structured.json().error as { code: string }).code, 'invalid_cloudevent');
    // Binary mode reads ce-originid as Sluice's own header, never as the producer's extension.
    const binary = await request(`${p.url}/events/payload.origin`, { body: '{}', headers: { 'content-type': 'application/json', 'ce-id': 'mine', 'ce-originid': 'other' } });
    assert.equal(binary.status, 202);
    assert.equal((await archived(binary.json().id as string)).originid, 'mine');
  });

  it('answers a listing by a source no event can have (a NUL) with 400, not 503', async () => {
    const answer = await request(`${p.url}/events?source=%00`);
    assert.equal(answer.status, 400);
    assert.equal((answer.json().error as { code: string }).code, 'invalid_parameter');
  });
});
