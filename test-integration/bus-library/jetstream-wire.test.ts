// The library and the gateway share one stream: same headers, same payload, same ids.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeEnvelope, envelopeHeaders } from '../../src/bus/jetstream/index.js';
import { busFromConfig, createBus, type BusEvent } from '../../src/bus-library/index.js';
import { loadConfig } from '../../src/config/index.js';
import { idFromIdempotencyKey, subjectFor } from '../../src/envelope/index.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];

before(async () => {
  nc = await connect({ servers: NATS_URL });
  jsm = await jetstreamManager(nc);
});
after(async () => {
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

function isolated(): { stream: string; subjectPrefix: string } {
  const suffix = randomBytes(6).toString('hex');
  streams.push(`BUSWIRE_${suffix}`);
  return { stream: `BUSWIRE_${suffix}`, subjectPrefix: `buswire_${suffix}` };
}

test('an event published through the library carries the gateway headers and the data JSON as payload', async () => {
  const { stream, subjectPrefix } = isolated();
  const bus = createBus<{ 'job.created': { jobId: string } }>({ kind: 'jetstream', url: NATS_URL, stream, subjectPrefix });
  try {
    const result = await bus.publish('job.created', { jobId: 'j1' }, { source: '/billing', idempotencyKey: 'K1' });
    assert.equal(result.id, idFromIdempotencyKey('job.created', 'K1'));
    const stored = await jsm.streams.getMessage(stream, { seq: result.seq });
    assert.ok(stored !== null);
    assert.equal(stored.subject, subjectFor(subjectPrefix, 'job.created'));
    assert.equal(stored.header.get('Nats-Msg-Id'), result.id);
    assert.equal(stored.header.get('ce-id'), result.id);
    assert.equal(stored.header.get('ce-specversion'), '1.0');
    assert.equal(stored.header.get('ce-type'), 'job.created');
    assert.equal(stored.header.get('ce-source'), '/billing');
    assert.match(stored.header.get('ce-time'), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.equal(new TextDecoder().decode(stored.data), '{"jobId":"j1"}');
    const decoded = decodeEnvelope(stored.header, stored.data, stored.subject, subjectPrefix);
    assert.equal(decoded?.envelope.id, result.id);
    assert.equal(decoded?.envelope.type, 'job.created');
  } finally {
    await bus.close();
  }
});

test('a library subscriber receives an event published the way the gateway publishes it', async () => {
  const { stream, subjectPrefix } = isolated();
  const bus = createBus<{ 'order.created': { total: number } }>({ kind: 'jetstream', url: NATS_URL, stream, subjectPrefix });
  try {
    const seen: Array<BusEvent<'order.created', { total: number }>> = [];
    await bus.subscribe('order.*', (event) => void seen.push(event));
    const now = new Date().toISOString();
    const envelope = {
      id: '0190f3a4-0000-7000-8000-000000000001',
      type: 'order.created',
      source: '/sluice',
      time: now,
      receivedAt: now,
      data: new TextEncoder().encode('{"total":12.5}'),
      dataContentType: 'application/json',
    };
    const ack = await jetstream(nc).publish(subjectFor(subjectPrefix, envelope.type), envelope.data, { headers: envelopeHeaders(envelope) });
    const deadline = Date.now() + 5_000;
    while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(seen, [{ id: envelope.id, type: 'order.created', source: '/sluice', time: now, data: { total: 12.5 }, datacontenttype: 'application/json', bytes: seen[0]?.bytes, seq: ack.seq, attempt: 1 }]);
    assert.deepEqual(new Uint8Array(seen[0]!.bytes), envelope.data, 'the subscriber gets the exact bytes');
  } finally {
    await bus.close();
  }
});

test('createBus() reads the environment: NATS_URL set is JetStream on NATS_STREAM and NATS_SUBJECT_PREFIX', async () => {
  const { stream, subjectPrefix } = isolated();
  const saved = { ...process.env };
  Object.assign(process.env, { NATS_URL, NATS_STREAM: stream, NATS_SUBJECT_PREFIX: subjectPrefix, STREAM_MAX_AGE: '1h' });
  let bus;
  try {
    bus = createBus();
  } finally {
    for (const name of ['NATS_URL', 'NATS_STREAM', 'NATS_SUBJECT_PREFIX', 'STREAM_MAX_AGE']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
  try {
    assert.equal(bus.kind, 'jetstream');
    const result = await bus.publish('thing.happened', { ok: true });
    const info = await jsm.streams.info(stream);
    assert.deepEqual(info.config.subjects, [`${subjectPrefix}.>`]);
    assert.equal(info.config.max_age, 3_600_000 * 1_000_000, 'the stream follows STREAM_MAX_AGE, as the gateway sets it');
    assert.equal(info.state.last_seq, result.seq);
  } finally {
    await bus.close();
  }
});

test('createBus() without NATS_URL is the memory bus', async () => {
  const saved = process.env.NATS_URL;
  delete process.env.NATS_URL;
  try {
    const bus = createBus();
    assert.equal(bus.kind, 'memory');
    await bus.close();
  } finally {
    if (saved !== undefined) process.env.NATS_URL = saved;
  }
});

test('a server that is not there fails ready() with the reason', { timeout: 20_000 }, async () => {
  const config = loadConfig({ NATS_URL: 'nats://127.0.0.1:1', NATS_CONNECT_ATTEMPTS: '1' });
  const bus = busFromConfig(config);
  await assert.rejects(bus.ready(), /unreachable/);
  await bus.close();
});
