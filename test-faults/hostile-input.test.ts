import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { attributeText, deepJsonText, jsonText, timeText } from '../test/envelope/storable-arbitraries.js';
import { answersLive, residentBytes, startSluice } from './harness/processes.js';
import { encodeRequest, sendRaw, type RawRequest } from './harness/raw-http.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';

let scenario: Scenario | undefined;
after(async () => scenario?.close());

const RUNS = Number(process.env.SLUICE_FUZZ_RUNS ?? 10_000);
const MIB = 1024 * 1024;
/** What the contract lets a client mistake be answered with, plus HTTP's own 408/414/417/431 (slow request, long URL, unknown Expect, oversized headers). */
const DOCUMENTED = new Set([200, 202, 400, 401, 404, 405, 408, 413, 414, 415, 417, 429, 431]);

const utf8 = (s: string) => Buffer.from(s, 'utf8');

const eventType = fc.oneof(
  fc.constantFrom('order.created', 'a', 'fault.fuzz', 'x-y_z.1.2'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('..', '.a', 'a.', '*', '>', 'a.*', '%00', '%FF%FE', 'a%2Fb', '%ZZ', 'x'.repeat(201), 'y'.repeat(5000)),
);

// Paths are sent byte for byte: encodeURIComponent for most, raw latin1 bytes for some.
const path = fc.oneof(
  { weight: 6, arbitrary: eventType.map((t) => `/events/${encodeURIComponent(t)}`) },
  { weight: 1, arbitrary: eventType.map((t) => `/events/${t.replace(/[\s?#]/g, '_')}`) },
  { weight: 2, arbitrary: fc.constantFrom('/events', '/ingest/message', '/ingest/batch', '/replay', '/ingest/message?entity=FaultCounter', '/ingest/message?type=%ZZ', '/ingest/batch?type=a..b') },
  { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.string({ maxLength: 60 })).map((id) => `/ingest/status/${encodeURIComponent(id)}`) },
  { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.string({ maxLength: 60 })).map((id) => `/events/${encodeURIComponent(id)}`) },
  { weight: 1, arbitrary: fc.oneof(fc.uuid(), fc.string({ maxLength: 60 })).map((id) => `/replay/${encodeURIComponent(id)}`) },
  { weight: 1, arbitrary: fc.webPath({ size: 'large' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((q) => `/events?type=${encodeURIComponent(q)}&limit=${encodeURIComponent(q)}&since=${encodeURIComponent(q)}&cursor=${encodeURIComponent(q)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 70_000 }).map((n) => `/events/${'a.'.repeat(n / 2)}b`) },
);

const method = fc.oneof({ weight: 12, arbitrary: fc.constant('POST') }, { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });

const contentType = fc.option(
  fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-ndjson',
      'application/cloudevents+json',
      'application/cloudevents-batch+json',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      '',
      ';;;',
      'application/json, text/plain',
    ),
    fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
  ),
  { freq: 6 },
);

// Header values go on the wire as latin1: any byte but CR and LF.
const headerValue = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }).map((s) => Buffer.from(s, 'utf8').toString('latin1')),
  fc.constantFrom('', ' ', '\u0000', '\t', 'x'.repeat(300), 'k'.repeat(20_000), '2024-13-45T99:99:99Z', '1.0', '0.3'),
).map((s) => s.replace(/[\r\n]/g, ' '));

const extraHeaders = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom('idempotency-key', 'ce-id', 'ce-source', 'ce-type', 'ce-specversion', 'ce-time', 'ce-subject', 'ce-traceparent', 'ce-myext', 'x-entity-type', 'x-source', 'traceparent', 'authorization', 'transfer-encoding', 'content-encoding', 'expect'),
      fc.stringMatching(/^ce-[a-z0-9]{0,30}$/),
      fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n:]/g, '') || 'x'),
    ),
    headerValue,
  ),
  { maxLength: 6 },
);

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const body = fc.oneof(
  { weight: 8, arbitrary: fc.json({ maxDepth: 4 }).map(utf8) },
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }).chain((j) => fc.nat(j.length).map((n) => utf8(j.slice(0, n)))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((d) => utf8(nested(d))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 50_000 }).map((d) => utf8(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)) },
  { weight: 2, arbitrary: fc.constantFrom('1e999999', '-1e-999999', '9'.repeat(5000), `{"n":${'1'.repeat(400)}}`, '123456789012345678901234567890', 'NaN', 'Infinity', '-0', '0x10').map(utf8) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 2, arbitrary: fc.constantFrom('"\\u0000"', '{"a":"\\u0000"}', '{"\\u0000":1}', '"\\ud800"', '{"a":"\\udfff x"}', '["\\ud83d"]', '{"a":"\\ud83d\\ude00"}').map(utf8) },
  { weight: 2, arbitrary: fc.constantFrom(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), Buffer.from([0x22, 0xc3, 0x28, 0x22]), Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), Buffer.from('{"a":1}\u0000', 'utf8'), Buffer.from([0, 0, 0, 0])) },
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 20 }), fc.constant('')), { maxLength: 30 }).map((lines) => utf8(lines.join('\n'))) },
  { weight: 2, arbitrary: fc.array(fc.record({ specversion: fc.constantFrom('1.0', '0.3', 1), id: fc.string({ maxLength: 10 }), source: fc.string({ maxLength: 10 }), type: eventType, data: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }), { maxLength: 5 }).chain((events) => fc.boolean().map((batch) => utf8(JSON.stringify(batch ? events : (events[0] ?? {}))))) },
  { weight: 1, arbitrary: fc.constantFrom(1.1 * MIB, 0.9 * MIB, 2.5 * MIB).map((size) => utf8(`{"big":"${'x'.repeat(Math.floor(size))}"}\n{"small":1}`)) },
);

const randomRequest = fc.record({ method, path, contentType, headers: extraHeaders, body }).map(
  (r): RawRequest => ({
    method: r.method,
    path: r.path,
    headers: [...(r.contentType !== null ? [['Content-Type', r.contentType] as const] : []), ...r.headers.filter(([name]) => name.toLowerCase() !== 'content-length')],
    body: r.method === 'GET' || r.method === 'HEAD' ? Buffer.alloc(0) : r.body,
  }),
);

/** A header value as HTTP carries it (latin1 bytes, no CR, LF or NUL): what a client can send at all. */
const onWire = (value: string) => Buffer.from(value, 'utf8').toString('latin1').replace(/[\r\n]/g, '').split('\u0000').join('');

/**
 * Well-formed requests whose values sit at the edges of what PostgreSQL (numeric, jsonb,
 * timestamptz, text), NATS headers and CloudEvents allow: the right path and content type, so
 * they reach the checks that decide between a 400 and a 202, and the 202s reach a worker.
 */
const edgeRequest = fc
  .record({
    kind: fc.constantFrom('typed', 'structured', 'batch', 'binary', 'message', 'ndjson'),
    data: fc.oneof({ weight: 9, arbitrary: jsonText }, { weight: 1, arbitrary: deepJsonText }),
    time: fc.option(timeText, { nil: undefined }),
    source: fc.option(attributeText, { nil: undefined }),
    subject: fc.option(attributeText, { nil: undefined }),
    id: attributeText,
    ext: fc.option(attributeText, { nil: undefined }),
    key: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
    type: fc.constantFrom('fault.edge', 'fault.edge.b'),
  })
  .map((r): RawRequest => {
    const ceHeaders: Array<[string, string]> = [];
    if (r.time !== undefined) ceHeaders.push(['ce-time', onWire(r.time)]);
    if (r.source !== undefined) ceHeaders.push(['ce-source', onWire(r.source)]);
    if (r.subject !== undefined) ceHeaders.push(['ce-subject', onWire(r.subject)]);
    if (r.ext !== undefined) ceHeaders.push(['ce-edgeext', onWire(r.ext)]);
    if (r.key !== undefined) ceHeaders.push(['Idempotency-Key', onWire(r.key)]);
    const structured = (id: string, data: string) =>
      `${JSON.stringify({ specversion: '1.0', id, source: r.source ?? '/fault', type: r.type, ...(r.subject !== undefined ? { subject: r.subject } : {}), ...(r.time !== undefined ? { time: r.time } : {}), ...(r.ext !== undefined ? { edgeext: r.ext } : {}) }).slice(0, -1)},"data":${data}}`;
    switch (r.kind) {
      case 'typed':
        return { method: 'POST', path: `/events/${r.type}`, headers: [['Content-Type', 'application/json'], ...ceHeaders], body: utf8(r.data) };
      case 'binary':
        return { method: 'POST', path: '/events', headers: [['Content-Type', 'application/json'], ['ce-specversion', '1.0'], ['ce-id', onWire(r.id)], ['ce-type', r.type], ['ce-source', onWire(r.source ?? '/fault')], ...ceHeaders.filter(([n]) => n !== 'ce-source')], body: utf8(r.data) };
      case 'structured':
        return { method: 'POST', path: '/events', headers: [['Content-Type', 'application/cloudevents+json']], body: utf8(structured(r.id, r.data)) };
      case 'batch':
        return { method: 'POST', path: '/events', headers: [['Content-Type', 'application/cloudevents-batch+json']], body: utf8(`[${structured(r.id, r.data)},${structured(`${r.id}.2`, '{"ok":true}')}]`) };
      case 'message':
        return { method: 'POST', path: `/ingest/message?type=${r.type}`, headers: [['Content-Type', 'application/json'], ...ceHeaders], body: utf8(r.data) };
      case 'ndjson':
        return { method: 'POST', path: `/ingest/batch?type=${r.type}`, headers: [['Content-Type', 'application/x-ndjson'], ...ceHeaders], body: utf8(`${r.data}\n{"ok":1}\n`) };
    }
  });

const request = fc.oneof({ weight: 2, arbitrary: randomRequest }, { weight: 1, arbitrary: edgeRequest });

/** The ids of the events an answer accepted (one event, a CloudEvents batch, an NDJSON batch); none for a replay. */
function acceptedIds(r: RawRequest, status: number, body: string): string[] {
  if (status !== 202 || r.path.startsWith('/replay')) return [];
  const parsed = JSON.parse(body) as unknown;
  const items = (Array.isArray(parsed) ? parsed : ((parsed as { results?: unknown[] }).results ?? [parsed])) as Array<{ id?: unknown; message_id?: unknown }>;
  return items.flatMap((e) => [e.id, e.message_id].filter((id): id is string => typeof id === 'string'));
}

function describeRequest(r: RawRequest): string {
  return `${r.method} ${r.path.slice(0, 200)} headers=${JSON.stringify(r.headers).slice(0, 300)} body(${r.body.length})=${JSON.stringify(r.body.subarray(0, 200).toString('latin1'))}`;
}

test(`${RUNS} generated hostile requests: every answer a documented 4xx or a 202, every accepted event settles, no crash, bounded memory`, { timeout: 360_000 }, async () => {
  const s = (scenario = await startScenario('fuzz'));
  const worker = s.track(await startSluice('worker', { name: 'worker', env: s.env() }));
  const port = await s.freePort();
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port, env: s.env({ LOG_LEVEL: 'warn' }) }));

  const startRss = residentBytes(gateway.pid) ?? 0;
  let peakRss = startRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, residentBytes(gateway.pid) ?? 0);
  }, 200);
  const counts = new Map<number, number>();
  const accepted = new Set<string>();
  const started = Date.now();

  // A few slow bodies on raw sockets beside the fuzzing: bytes trickle in, the answer still comes.
  const slowBodies = Promise.all(
    [0, 1, 2].map((i) => {
      const bytes = encodeRequest({ method: 'POST', path: '/events/fault.slow', headers: [['Content-Type', 'application/json']], body: utf8(JSON.stringify({ slow: i, pad: 'p'.repeat(40) })) });
      const pieces = Array.from({ length: Math.ceil(bytes.length / 4) }, (_, k) => bytes.subarray(k * 4, k * 4 + 4));
      return sendRaw(port, pieces, { pauseMs: 100, timeoutMs: 60_000 });
    }),
  );
  // And one that stops half-way and is abandoned: the gateway must not hold anything for it.
  const abandoned = sendRaw(port, [Buffer.from('POST /events/fault.half HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":')], { timeoutMs: 3000 });

  try {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await sendRaw(port, [encodeRequest(r)]);
        counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
        for (const id of acceptedIds(r, answer.status, answer.body)) accepted.add(id);
        // A large body the server refuses before reading it (413, or 404 for no route) ends in a reset
        // while the client is still writing: the answer may be lost with the connection, which is TCP's doing.
        if (answer.status === 0 && r.body.length > 64 * 1024 && /EPIPE|ECONNRESET/.test(answer.error ?? '')) return;
        assert.ok(DOCUMENTED.has(answer.status), `answered ${answer.status} ${answer.error ?? ''} ${answer.body.slice(0, 300)} to ${describeRequest(r)}`);
        if (answer.status >= 400 && (answer.headers['content-type'] ?? '').includes('json') && r.method !== 'HEAD') {
          type Failure = { error?: { code?: unknown } };
          const parsed = JSON.parse(answer.body) as unknown;
          // A batch whose every line was refused answers 400 with its per-line results (the contract's batch shape).
          const errors: Failure[] = Array.isArray(parsed) ? (parsed as Failure[]) : ((parsed as { results?: Failure[] }).results ?? [parsed as Failure]);
          assert.ok(errors.length > 0 && errors.every((e) => typeof e.error?.code === 'string'), `error body without a code: ${answer.body.slice(0, 300)} to ${describeRequest(r)}`);
        }
        assert.ok(gateway.running(), `the gateway died after ${describeRequest(r)}:\n${gateway.logTail()}`);
      }),
      { numRuns: RUNS, endOnFailure: false, interruptAfterTimeLimit: 150_000, markInterruptAsFailure: true },
    );
  } finally {
    clearInterval(sampler);
  }
  const slow = await slowBodies;
  const half = await abandoned;
  const elapsed = Date.now() - started;
  // Every accepted event settles: persisted, or failed with its reason (an entity rule), never stuck.
  const settled = { persisted: 0, failed: 0 };
  const failures = new Set<string>();
  const pending = new Set(accepted);
  const settleBy = Date.now() + 90_000;
  while (pending.size > 0 && Date.now() < settleBy) {
    for (const id of [...pending]) {
      const status = await fetch(`${gateway.url}/ingest/status/${id}`);
      assert.notEqual(status.status, 404, `${id} got a 202 and then 404`);
      const { status: state, error } = (await status.json()) as { status?: string; error?: string | null };
      if (state === 'failed') failures.add((error ?? '').slice(0, 120));
      if (state === 'persisted' || state === 'failed') {
        settled[state]++;
        pending.delete(id);
      }
    }
    if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const summary = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${status}:${n}`).join(',');
  const line = `scenario=hostile_input sent=${RUNS} acked=${counts.get(202) ?? 0} accepted_events=${accepted.size} persisted=${settled.persisted} failed=${settled.failed} unsettled=${pending.size} duplicates=- lost=- longest_unavailable_ms=0 crashes=${gateway.running() ? 0 : 1} answers=${summary} slow_bodies=${slow.map((a) => a.status).join(',')} start_rss_mib=${(startRss / MIB).toFixed(0)} peak_rss_mib=${(peakRss / MIB).toFixed(0)} duration_ms=${elapsed}`;
  console.log(line);
  if (failures.size > 0) console.log(`failed (settled with a reason): ${[...failures].slice(0, 5).join(' | ')}`);
  if (process.env.SLUICE_FAULTS_RESULTS) appendFileSync(process.env.SLUICE_FAULTS_RESULTS, `${line}\n`);

  assert.equal(pending.size, 0, `${pending.size} of ${accepted.size} accepted events never settled: ${[...pending].slice(0, 5).join(', ')}`);
  for (const answer of slow) assert.equal(answer.status, 202, `a slow body is still accepted: ${answer.body}`);
  assert.ok(half.status === 0 || half.status === 400 || half.status === 408, 'a body that never completes gets no 5xx');
  assert.ok(peakRss < 600 * MIB, `gateway RSS stayed bounded (peak ${(peakRss / MIB).toFixed(0)} MiB)`);
  assert.ok(await answersLive(gateway.url), 'the gateway still answers /health/live');
  const health = await fetch(`${gateway.url}/health`);
  assert.equal(health.status, 200, 'the gateway is still healthy');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  assert.ok(await stopsWhenTold(worker), `the worker exits 0 on SIGTERM:\n${worker.logTail()}`);
});
