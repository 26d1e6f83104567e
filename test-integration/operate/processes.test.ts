import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { freePort, startNatsServer, uniqueNames, type NatsServer } from '../../test/helpers/nats.js';
import { eventually, http } from '../../test/helpers/pipeline.js';
import { parsePrometheus, valueOf } from '../../test/helpers/prometheus.js';
import { startSluice, type RunningSluice } from '../../test/helpers/spawn-sluice.js';

// A gateway and a worker as separate processes, at debug level, with an API key and a NATS
// password set: the trace travels from the request to the worker's log, the worker serves
// /metrics and /health on METRICS_PORT, and no secret ever reaches the output.

const NATS_PASSWORD = 'nats-pass-Secret-7731';
const API_KEY = 'api-key-Secret-4410';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN}-01`;

let nats: NatsServer;
let db: TestDatabase;
let gateway: RunningSluice;
let worker: RunningSluice;
let gatewayUrl: string;
let metricsUrl: string;
const names = uniqueNames('proc');

before(async () => {
  nats = await startNatsServer({ config: `authorization { users = [ { user: sluice, password: "${NATS_PASSWORD}" } ] }` });
  db = await createTestDatabase();
  const [gatewayPort, metricsPort] = [await freePort(), await freePort()];
  const env = {
    NATS_URL: nats.url,
    NATS_USER: 'sluice',
    NATS_PASSWORD,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.prefix,
    SLUICE_CONSUMER: names.consumer,
    DATABASE_URL: db.url,
    SLUICE_API_KEYS: API_KEY,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
  };
  worker = startSluice(['worker'], { ...env, METRICS_PORT: String(metricsPort) });
  gateway = startSluice(['gateway'], { ...env, PORT: String(gatewayPort) });
  gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const up = async (url: string, proc: RunningSluice) =>
    eventually(async () => ((await fetch(url)).ok ? true : undefined), 20_000, `${url} (${proc.output().stderr.slice(-300)})`);
  await up(`${gatewayUrl}/health/live`, gateway);
  await up(`${metricsUrl}/health/live`, worker);
});

after(async () => {
  await gateway?.stop();
  await worker?.stop();
  await nats?.destroy();
  await db?.drop();
});

test('a traceparent travels with the event: stored in the archive and carried by the worker\'s log line', async () => {
  const answer = await http<{ id: string }>(`${gatewayUrl}/events/trace.checked`, {
    body: { n: 1 },
    headers: { authorization: `Bearer ${API_KEY}`, traceparent: TRACEPARENT },
  });
  assert.equal(answer.status, 202);
  const id = answer.body.id;
  const line = await eventually(async () => worker.logLines().find((l) => l.id === id && l.msg === 'event persisted'), 15_000, 'the worker\'s line about the event');
  assert.equal(line.trace_id, TRACE_ID);
  assert.equal(line.span_id, PARENT_SPAN);
  assert.equal(line.type, 'trace.checked');
  const rows = await db.query<{ traceparent: string }>('SELECT traceparent FROM sluice.events WHERE id = $1', [id]);
  assert.equal(rows[0]?.traceparent, TRACEPARENT);
  const event = await http<{ traceparent?: string }>(`${gatewayUrl}/events/${id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(event.body.traceparent, TRACEPARENT);
});

test('the gateway logs one debug line per request with method, route, status, duration and event id', async () => {
  const answer = await http<{ id: string }>(`${gatewayUrl}/events/log.checked`, { body: { n: 2 }, headers: { authorization: `Bearer ${API_KEY}` } });
  assert.equal(answer.status, 202);
  const line = await eventually(async () => gateway.logLines().find((l) => l.msg === 'request' && l.event_id === answer.body.id), 5_000, 'the request line');
  assert.equal(line.method, 'POST');
  assert.equal(line.route, '/events/:type');
  assert.equal(line.status, 202);
  assert.equal(typeof line.ms, 'number');
  assert.equal(line.level, 20);
  const refused = await http(`${gatewayUrl}/events/log.checked`, { body: { n: 3 }, headers: { authorization: 'Bearer wrong' } });
  assert.equal(refused.status, 401);
  await eventually(async () => gateway.logLines().find((l) => l.msg === 'request' && l.status === 401), 5_000, 'the refused request line');
});

test('a worker with METRICS_PORT serves /metrics and /health', async () => {
  const health = await http<{ status: string; bus: { connected: boolean }; db: { connected: boolean } }>(`${metricsUrl}/health`);
  assert.equal(health.status, 200);
  assert.equal(health.body.status, 'ok');
  assert.equal(health.body.db.connected, true);
  const samples = await eventually(async () => {
    const s = parsePrometheus(await (await fetch(`${metricsUrl}/metrics`)).text());
    return valueOf(s, 'sluice_events_persisted_total') >= 2 ? s : undefined;
  }, 10_000, 'persisted events counted');
  const labels = { stream: names.stream, consumer: names.consumer };
  assert.ok(samples.some((s) => s.name === 'sluice_consumer_pending_messages' && s.labels.stream === labels.stream && s.labels.consumer === labels.consumer));
  assert.ok(samples.some((s) => s.name === 'sluice_consumer_ack_pending_messages' && s.labels.consumer === labels.consumer));
  assert.equal(valueOf(samples, 'sluice_events_failed_total'), 0);
});

test('no secret reaches the output, even at debug level; both processes stop cleanly', async () => {
  assert.equal(await gateway.stop(), 0);
  assert.equal(await worker.stop(), 0);
  for (const [name, proc] of [['gateway', gateway], ['worker', worker]] as const) {
    const { stdout, stderr } = proc.output();
    assert.ok(stdout.length > 0, `${name} logged something`);
    for (const secret of [NATS_PASSWORD, API_KEY]) {
      assert.ok(!stdout.includes(secret) && !stderr.includes(secret), `${name} output holds a secret`);
    }
  }
});
