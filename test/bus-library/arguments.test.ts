import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBus, retryDelayMs, type Bus } from '../../src/bus-library/index.js';
import { idFromIdempotencyKey } from '../../src/envelope/index.js';

test('the redelivery delay doubles from 100 ms with each attempt, up to 30 s', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(retryDelayMs), [100, 200, 400, 800, 1600]);
  assert.equal(retryDelayMs(9), 25_600);
  assert.equal(retryDelayMs(10), 30_000);
  assert.equal(retryDelayMs(1000), 30_000);
});

function looseBus(): Bus {
  return createBus({ kind: 'memory' });
}

test('publish refuses what the gateway would refuse, with its error codes', async () => {
  const bus = looseBus();
  const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;
  await assert.rejects(bus.publish('not a type', {}), code('invalid_event_type'));
  await assert.rejects(bus.publish('a.b', undefined), code('invalid_json'));
  await assert.rejects(bus.publish('a.b', { text: 'nul \u0000 here' }), code('unsupported_json'));
  await assert.rejects(bus.publish('a.b', {}, { source: '/a\nb' }), code('invalid_cloudevent'));
  await assert.rejects(bus.publish('a.b', {}, { source: '/lone \ud800' }), code('invalid_cloudevent'));
  await assert.rejects(bus.publish('a.b', {}, { source: ' /padded' }), code('invalid_cloudevent'));
  await assert.rejects(bus.publish('a.b', {}, { id: 'nope' }), code('invalid_id'));
  await assert.rejects(bus.publish('a.b', {}, { id: '0190f3a4-0000-7000-8000-000000000001', idempotencyKey: 'k' }), code('invalid_id'));
  await bus.close();
});

test('publish keeps a given id and derives one from an idempotency key as the gateway does', async () => {
  const bus = looseBus();
  const given = await bus.publish('a.b', 1, { id: '0190F3A4-0000-7000-8000-000000000001' });
  assert.equal(given.id, '0190f3a4-0000-7000-8000-000000000001');
  const keyed = await bus.publish('a.b', 1, { idempotencyKey: 'order-7' });
  assert.equal(keyed.id, idFromIdempotencyKey('a.b', 'order-7'));
  const otherType = await bus.publish('a.c', 1, { idempotencyKey: 'order-7' });
  assert.notEqual(otherType.id, keyed.id, 'one key on two types is two events');
  assert.equal(otherType.duplicate, false);
  // An unpaired surrogate in a key no longer throws URIError from the id derivation.
  assert.equal((await bus.publish('a.b', 1, { idempotencyKey: 'k \ud800' })).duplicate, false);
  await bus.close();
});

test('subscribe refuses a bad pattern, group name or starting point', async () => {
  const bus = looseBus();
  const code = (expected: string) => (error: unknown) => (error as { code?: string }).code === expected;
  await assert.rejects(bus.subscribe('a.>.b', () => undefined), code('invalid_event_type'));
  await assert.rejects(bus.subscribe('a.*', () => undefined, { group: 'has space' }), code('invalid_parameter'));
  await assert.rejects(bus.subscribe('a.*', () => undefined, { from: 0 }), code('invalid_parameter'));
  await assert.rejects(bus.subscribe('a.*', () => undefined, { from: 'yesterday' }), code('invalid_parameter'));
  await assert.rejects(bus.subscribe('a.*', () => undefined, { from: new Date('nonsense') }), code('invalid_parameter'));
  await assert.rejects(bus.subscribe('a.*', () => undefined, { prefetch: 0 }), code('invalid_parameter'));
  await bus.close();
});

test('a subscription with a handler cannot also be iterated', async () => {
  const bus = looseBus();
  const subscription = await bus.subscribe('a.*', () => undefined);
  assert.throws(() => subscription[Symbol.asyncIterator](), TypeError);
  await bus.close();
});

test('the jetstream kind refuses a bad stream name or subject prefix at once', () => {
  assert.throws(() => createBus({ kind: 'jetstream', stream: 'has.dot' }), /stream/);
  assert.throws(() => createBus({ kind: 'jetstream', subjectPrefix: 'events.>' }), /subjectPrefix/);
  assert.throws(() => createBus({ kind: 'jetstream', tls: { cert: 'c.pem' } }), /cert and key/);
});
