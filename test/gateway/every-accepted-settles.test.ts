import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { attributeText, deepJsonText, jsonText, timeText } from '../envelope/storable-arbitraries.js';
import { eventually, startEmbeddedPipeline } from '../helpers/pipeline.js';

type Started = Awaited<ReturnType<typeof startEmbeddedPipeline>>;
type Injected = { statusCode: number; body: string };

const RUNS = Number(process.env.SLUICE_PROPERTY_RUNS ?? 150);

/** What a producer sends: a body and the attributes around it, on one of the ingest paths. */
const request = fc.record({
  path: fc.constantFrom('typed', 'structured', 'structured-batch', 'binary', 'message', 'ndjson'),
  data: fc.oneof({ weight: 9, arbitrary: jsonText }, { weight: 1, arbitrary: deepJsonText }),
  time: fc.option(timeText, { nil: undefined }),
  source: fc.option(attributeText, { nil: undefined }),
  subject: fc.option(attributeText, { nil: undefined }),
  id: attributeText,
  ext: fc.option(attributeText, { nil: undefined }),
  key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: undefined }),
  type: fc.constantFrom('prop.a', 'prop.b'),
});

/** A structured CloudEvent with the data spliced in as its text (numbers and escapes as generated). */
type ProducerRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;

function structured(r: ProducerRequest): string {
  const attributes = {
    specversion: '1.0',
    id: r.id,
    source: r.source ?? '/prop',
    type: r.type,
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    ...(r.time !== undefined ? { time: r.time } : {}),
    ...(r.ext !== undefined ? { propext: r.ext } : {}),
  };
  return `${JSON.stringify(attributes).slice(0, -1)},"data":${r.data}}`;
}

/** Header values HTTP can carry at all (a client cannot send a line break or NUL in one). */
const headerSafe = (value: string | undefined) => (value !== undefined && /^[\t\x20-\x7e\x80-\xff]*$/.test(value) ? value : undefined);

describe('every event the gateway accepts settles (embedded bus and PGlite, Fastify inject)', () => {
  let p: Started;
  before(async () => {
    p = await startEmbeddedPipeline({ env: { MAX_BODY_BYTES: '4MiB' } });
  });
  after(async () => {
    await p?.stop();
  });

  it('answers no 5xx to any generated request, and every 202 reaches persisted', async () => {
    const app = p.services.gateway!.app;
    const accepted = new Set<string>();
    const post = async (url: string, payload: string, headers: Record<string, string | undefined>): Promise<Injected> => {
      const clean = Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined));
      return app.inject({ method: 'POST', url, payload, headers: clean });
    };
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let answer: Injected;
        const ce = { 'ce-time': headerSafe(r.time), 'ce-source': headerSafe(r.source), 'ce-subject': headerSafe(r.subject), 'ce-propext': headerSafe(r.ext) };
        switch (r.path) {
          case 'typed':
            answer = await post(`/events/${r.type}`, r.data, { 'content-type': 'application/json', 'idempotency-key': r.key, ...ce });
            break;
          case 'binary':
            answer = await post('/events', r.data, { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': headerSafe(r.id) ?? 'x', 'ce-type': r.type, ...ce, 'ce-source': headerSafe(r.source) ?? '/prop' });
            break;
          case 'structured':
            answer = await post('/events', structured(r), { 'content-type': 'application/cloudevents+json' });
            break;
          case 'structured-batch':
            answer = await post('/events', `[${structured(r)},${structured({ ...r, id: `${r.id}-2`, data: '{"ok":true}' })}]`, { 'content-type': 'application/cloudevents-batch+json' });
            break;
          case 'message':
            answer = await post(`/ingest/message?type=${r.type}`, r.data, { 'content-type': 'application/json', 'x-source': headerSafe(r.source), 'idempotency-key': r.key });
            break;
          case 'ndjson':
            answer = await post(`/ingest/batch?type=${r.type}`, `${r.data}\n{"ok":1}\n`, { 'content-type': 'application/x-ndjson', ...ce });
            break;
        }
        assert.ok(answer.statusCode < 500, `${r.path}: ${answer.statusCode} ${answer.body.slice(0, 300)}`);
        for (const id of acceptedIds(answer)) accepted.add(id);
      }),
      { numRuns: RUNS },
    );
    assert.ok(accepted.size >= RUNS / 5, `only ${accepted.size} events were accepted`);
    const pending = new Set(accepted);
    await eventually(
      async () => {
        for (const id of [...pending]) {
          const r = await app.inject({ method: 'GET', url: `/ingest/status/${id}` });
          assert.notEqual(r.statusCode, 404, `${id} was accepted`);
          const status = (JSON.parse(r.body) as { status: string; error: string | null });
          assert.notEqual(status.status, 'failed', `${id} failed after a 202: ${status.error}`);
          if (status.status === 'persisted') pending.delete(id);
        }
        return pending.size === 0 ? true : undefined;
      },
      120_000,
      `${pending.size} of ${accepted.size} accepted events to persist`,
    );
  });
});

function acceptedIds(answer: Injected): string[] {
  if (answer.statusCode !== 202) return [];
  const body = JSON.parse(answer.body) as unknown;
  if (Array.isArray(body)) return body.flatMap((e: { id?: string }) => (e.id !== undefined ? [e.id] : []));
  const b = body as { id?: string; message_id?: string; results?: Array<{ message_id?: string }> };
  if (b.results !== undefined) return b.results.flatMap((r) => (r.message_id !== undefined ? [r.message_id] : []));
  return [b.id ?? b.message_id!];
}
