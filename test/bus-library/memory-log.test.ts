// The memory bus keeps its log outside the JavaScript heap and checks most events without
// building an envelope: these tests hold it to what the envelope builder and the JetStream
// kind's decoding would have given.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import fc from 'fast-check';
import { createBus, type Bus, type BusEvent } from '../../src/bus-library/index.js';
import { buildEnvelope, toBusEvent } from '../../src/bus-library/event-codec.js';
import { attributeText, jsonText as edgeJsonText } from '../envelope/storable-arbitraries.js';

/** Subscribes from the first event and waits until `count` events have come. */
async function readAll(bus: Bus, count: number): Promise<BusEvent[]> {
  const seen: BusEvent[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  if (count === 0) resolve();
  const subscription = await bus.subscribe('>', (event) => {
    seen.push(event);
    if (seen.length === count) resolve();
  }, { from: 1 });
  await done;
  await subscription.stop();
  return seen;
}

/** JSON values with what the log must carry unchanged: any Unicode, long strings, deep and wide nesting. */
const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'grapheme-ascii', minLength: 60, maxLength: 3000 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

test('every event comes back with its data and its exact bytes, across blocks of the log', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(jsonValue, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 2100 }), async (values, padding) => {
      const bus = createBus({ kind: 'memory' });
      try {
        // Padding pushes the values across the log's 1 024-event blocks.
        for (let i = 0; i < padding; i++) await bus.publish('pad.event', i);
        for (const value of values) await bus.publish('value.event', value);
        const events = (await readAll(bus, padding + values.length)).slice(padding);
        values.forEach((value, i) => {
          const text = JSON.stringify(value);
          assert.deepEqual(events[i]!.data, JSON.parse(text));
          assert.equal(Buffer.from(events[i]!.bytes).toString('utf8'), text);
          assert.deepEqual(new Uint8Array(events[i]!.bytes), new Uint8Array(Buffer.from(text, 'utf8')));
          assert.equal(events[i]!.seq, padding + i + 1);
        });
      } finally {
        await bus.close();
      }
    }),
    { numRuns: 40 },
  );
});

/** Data as applications publish it, and what the database or JSON cannot take. */
const publishedData = fc.oneof(
  jsonValue,
  edgeJsonText.map((text) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(undefined, { n: 10n }, { nul: 'a\u0000b' }, ['\ud800'], { toJSON: () => 'written' }, new Uint8Array([0x7b, 0x7d]), new Uint8Array([0xff])),
  fc.integer({ min: 995, max: 1005 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
);

const eventType = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('order.created', 'a', 'billing.invoice.paid') }, { weight: 1, arbitrary: fc.constantFrom('', 'a..b', 'has space', 'x'.repeat(201)) });
const contentType = fc.constantFrom(undefined, undefined, undefined, 'application/json', 'application/cloudevents+json', 'text/plain; charset=utf-8', 'image/png', 'not a type');

test('refuses exactly what the envelope builder refuses, and hands over what the JetStream kind would', async () => {
  const bus = createBus({ kind: 'memory' });
  try {
    const expected = new Map<number, BusEvent>();
    await fc.assert(
      fc.asyncProperty(eventType, fc.option(attributeText, { nil: undefined }), contentType, publishedData, async (type, source, datacontenttype, data) => {
        const options = { ...(source !== undefined ? { source } : {}), ...(datacontenttype !== undefined ? { datacontenttype } : {}) };
        // A type and source the bus has accepted before take its shorter path: accept them once first.
        await bus.publish(type, {}, source !== undefined ? { source } : undefined).catch(() => undefined);
        let built: ReturnType<typeof buildEnvelope> | undefined;
        let refusal: { code: string; message: string } | undefined;
        try {
          built = buildEnvelope(type, data, options, '0190f3a4-0000-7000-8000-000000000001');
        } catch (error) {
          refusal = { code: (error as { code: string }).code, message: (error as Error).message };
        }
        const outcome = await bus.publish(type, data, options).then(
          (result) => ({ result }),
          (error: unknown) => ({ refusal: { code: (error as { code: string }).code, message: (error as Error).message } }),
        );
        if (refusal !== undefined) {
          assert.deepEqual('refusal' in outcome ? outcome.refusal : 'stored', refusal);
        } else {
          assert.ok('result' in outcome, `refused: ${JSON.stringify('refusal' in outcome ? outcome.refusal : null)}`);
          expected.set(outcome.result.seq, toBusEvent(built!.envelope, outcome.result.seq, 1, built!.json));
        }
      }),
      { numRuns: 300 },
    );
    const stored = await bus.publish('last.event', 0);
    for (const event of await readAll(bus, stored.seq)) {
      const want = expected.get(event.seq);
      if (want === undefined) continue;
      // Bytes as a Uint8Array, whether a Buffer or not.
      const plain = (value: unknown): unknown => (value instanceof Uint8Array ? new Uint8Array(value) : value);
      assert.deepEqual(
        { type: event.type, source: event.source, datacontenttype: event.datacontenttype, data: plain(event.data), bytes: plain(event.bytes) },
        { type: want.type, source: want.source, datacontenttype: want.datacontenttype, data: plain(want.data), bytes: plain(want.bytes) },
      );
    }
  } finally {
    await bus.close();
  }
});

test("each delivery has its own copy: neither the publisher nor another subscriber can change what a subscriber reads", async () => {
  const bus = createBus({ kind: 'memory' });
  try {
    const order = { items: [{ sku: 'a', qty: 1 }], note: 'é' };
    const first: BusEvent[] = [];
    await bus.subscribe('order.*', (event) => {
      (event.data as { items: unknown[] }).items.push('changed');
      event.bytes.fill(0);
      first.push(event);
    });
    const { seq } = await bus.publish('order.created', order);
    order.items[0]!.qty = 99;
    while (first.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const [again] = await readAll(bus, 1);
    assert.deepEqual(again!.data, { items: [{ sku: 'a', qty: 1 }], note: 'é' });
    assert.equal(Buffer.from(again!.bytes).toString('utf8'), '{"items":[{"sku":"a","qty":1}],"note":"é"}');
    assert.equal(again!.seq, seq);
  } finally {
    await bus.close();
  }
});

test('an id the bus made itself is recognised when a publisher gives it again', async () => {
  const bus = createBus({ kind: 'memory' });
  try {
    const made = [];
    for (let i = 0; i < 3000; i++) made.push(await bus.publish('a.b', i));
    for (const earlier of [made[0]!, made[1500]!, made[2999]!]) {
      assert.deepEqual(await bus.publish('a.b', 'again', { id: earlier.id.toUpperCase() }), { id: earlier.id, seq: earlier.seq, duplicate: true });
    }
    const fresh = await bus.publish('a.b', 'new', { id: '0190f3a4-0000-7000-8000-000000000001' });
    assert.equal(fresh.duplicate, false);
  } finally {
    await bus.close();
  }
});

test('an event shows its data and bytes when written as JSON or inspected', async () => {
  const bus = createBus({ kind: 'memory' });
  try {
    await bus.publish('a.b', { n: 1 }, { source: '/shown' });
    const [event] = await readAll(bus, 1);
    const written = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    assert.deepEqual(written.data, { n: 1 });
    assert.deepEqual(written.bytes, { type: 'Buffer', data: [...Buffer.from('{"n":1}')] });
    assert.equal(written.source, '/shown');
    assert.match(inspect(event), /data: \{ n: 1 \}/);
    const { data, bytes } = event!;
    assert.deepEqual([data, Buffer.from(bytes).toString()], [{ n: 1 }, '{"n":1}']);
  } finally {
    await bus.close();
  }
});

test('a copy of an event (spread, Object.assign, structuredClone, JSON) carries its data and bytes', async () => {
  const bus = createBus({ kind: 'memory' });
  try {
    const order = { orderId: 'o-1', lines: [{ sku: 'a', qty: 2 }], note: 'é' };
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    await bus.publish('order.created', order);
    await bus.publish('scan.stored', png, { datacontenttype: 'image/png' });
    const [json, binary] = await readAll(bus, 2);
    const orderBytes = new Uint8Array(Buffer.from(JSON.stringify(order)));
    for (const [event, data, bytes] of [[json!, order, orderBytes], [binary!, png, png]] as const) {
      for (const copy of [{ ...event }, Object.assign({}, event), structuredClone(event)]) {
        assert.deepEqual(Object.keys(copy), ['id', 'type', 'source', 'time', 'data', 'datacontenttype', 'bytes', 'seq', 'attempt']);
        assert.deepEqual(data instanceof Uint8Array ? new Uint8Array(copy.data as Uint8Array) : copy.data, data);
        assert.deepEqual(new Uint8Array(copy.bytes), bytes);
        assert.deepEqual([copy.id, copy.type, copy.seq, copy.attempt], [event.id, event.type, event.seq, 1]);
      }
      const written = JSON.parse(JSON.stringify(event)) as { data: unknown; bytes: { data: number[] } };
      if (!(data instanceof Uint8Array)) assert.deepEqual(written.data, data);
      assert.deepEqual(new Uint8Array(written.bytes.data), bytes);
    }
  } finally {
    await bus.close();
  }
});

test("bytes are copied when published and for each delivery: neither the publisher nor a subscriber changes what another delivery or a replay reads", async () => {
  const bus = createBus({ kind: 'memory' });
  try {
    await bus.publish('scan.earlier', 'first', { datacontenttype: 'text/plain' });
    const original = [0x89, 0x50, 0x4e, 0x47, 1, 2, 3];
    // A view into a larger array: only its own bytes are the event's.
    const backing = new Uint8Array([7, 7, ...original, 7]);
    const png = backing.subarray(2, 2 + original.length);
    const seen: BusEvent[] = [];
    await bus.subscribe('scan.stored', (event) => {
      (event.data as Uint8Array).fill(0);
      event.bytes.fill(1);
      seen.push(event);
    });
    const others: BusEvent[] = [];
    await bus.subscribe('scan.stored', (event) => void others.push(event));
    await bus.publish('scan.stored', png, { datacontenttype: 'image/png' });
    png.fill(9);
    while (seen.length === 0 || others.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual([...others[0]!.bytes], original);
    assert.deepEqual([...(others[0]!.data as Uint8Array)], original);
    const [earlier, replayed] = await readAll(bus, 2);
    assert.equal(earlier!.data, 'first');
    assert.deepEqual([...replayed!.bytes], original);
    assert.deepEqual([...(replayed!.data as Uint8Array)], original);
  } finally {
    await bus.close();
  }
});
