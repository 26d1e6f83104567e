import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BusPort, Delivery, PublishAck } from '../../src/bus/port.js';
import { SluiceError } from '../../src/errors/index.js';
import { dataOf, eventually, makeEnvelope, record, sleep, unique } from './bus-contract-helpers.js';

/** Makes a bus on its own fresh stream (not started yet) and a cleanup that removes what it left. */
export type MakeBus = () => Promise<{ bus: BusPort; cleanup(): Promise<void> }>;

/**
 * The behaviour every BusPort adapter must have. The suite starts the bus itself and stops it
 * at the end of each test; one test stops and starts the same instance again, which an
 * adapter must allow (a restart resumes its durable consumers).
 */
export function busContract(name: string, makeBus: MakeBus): void {
  const opts = { timeout: 30_000 };
  async function withBus(fn: (bus: BusPort) => Promise<void>): Promise<void> {
    const { bus, cleanup } = await makeBus();
    await bus.start();
    try {
      await fn(bus);
    } finally {
      await bus.stop();
      await cleanup();
    }
  }
  const isAck = (r: PublishAck | Error): r is PublishAck => !(r instanceof Error);

  describe(`bus contract: ${name}`, () => {
    test('reports its kind and that it is connected once started', opts, () =>
      withBus(async (bus) => {
        assert.equal(bus.health().kind, bus.kind);
        assert.equal(bus.health().connected, true);
        assert.ok(bus.maxPayload() > 1000);
      }));

    test('gives increasing sequences in publish order and delivers every attribute unchanged', opts, () =>
      withBus(async (bus) => {
        const first = makeEnvelope('order.created', { n: 1 }, { subject: 'o-1', originId: 'prod-1', entity: 'Order', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', extensions: { tenant: 'acme' } });
        const a = await bus.publish({ envelope: first });
        const b = await bus.publish({ envelope: makeEnvelope('order.created', { n: 2 }) });
        const c = await bus.publish({ envelope: makeEnvelope('order.updated', { n: 3 }) });
        assert.equal(a.duplicate, false);
        assert.ok(a.seq >= 1 && b.seq > a.seq && c.seq > b.seq, `sequences ${a.seq} ${b.seq} ${c.seq}`);
        const r = await record(bus, { durable: unique('order') });
        await eventually(() => r.deliveries.length === 3, 5000, 'three deliveries');
        await r.handle.stop();
        assert.deepEqual(r.deliveries.map((d) => d.seq), [a.seq, b.seq, c.seq]);
        assert.deepEqual(r.deliveries.map((d) => d.streamSeq), [a.seq, b.seq, c.seq]);
        assert.deepEqual(r.deliveries.map(dataOf), [{ n: 1 }, { n: 2 }, { n: 3 }]);
        const got = r.deliveries[0]!.envelope;
        for (const key of ['id', 'type', 'source', 'subject', 'time', 'receivedAt', 'originId', 'entity', 'traceparent'] as const) {
          assert.equal(got[key], first[key], key);
        }
        assert.deepEqual({ ...got.extensions }, { tenant: 'acme' });
        assert.equal(r.deliveries[0]!.deliveryCount, 1);
        assert.equal(r.deliveries[0]!.replayId, undefined);
      }));

    test('stores a repeated id once and answers the repeat with the first sequence', opts, () =>
      withBus(async (bus) => {
        const envelope = makeEnvelope('order.created', { v: 'first' });
        const first = await bus.publish({ envelope });
        const again = await bus.publish({ envelope: { ...envelope, data: new TextEncoder().encode('{"v":"second"}') } });
        assert.deepEqual(again, { seq: first.seq, duplicate: true });
        const other = makeEnvelope('order.created', { v: 'other' });
        const many = await bus.publishMany([{ envelope: other }, { envelope: other }, { envelope }]);
        assert.ok(many.every(isAck));
        const [x, y, z] = many as PublishAck[];
        assert.equal(x!.duplicate, false);
        assert.deepEqual(y, { seq: x!.seq, duplicate: true });
        assert.deepEqual(z, { seq: first.seq, duplicate: true });
        const r = await record(bus, { durable: unique('dup') });
        await eventually(() => r.deliveries.length >= 2, 5000, 'deliveries');
        await sleep(300);
        await r.handle.stop();
        assert.deepEqual(r.deliveries.map(dataOf), [{ v: 'first' }, { v: 'other' }]);
      }));

    test('publishMany answers one result per request in order, an oversized one with its own error', opts, () =>
      withBus(async (bus) => {
        const big = makeEnvelope('order.created', 'x'.repeat(bus.maxPayload() + 10));
        const requests = [0, 1, 2, 3, 4].map((n) => ({ envelope: n === 2 ? big : makeEnvelope('order.created', { n }) }));
        const results = await bus.publishMany(requests);
        assert.equal(results.length, 5);
        const error = results[2];
        assert.ok(error instanceof SluiceError, 'the oversized event fails alone');
        assert.equal(error.code, 'event_too_large');
        const seqs = results.filter(isAck).map((r) => r.seq);
        assert.equal(seqs.length, 4);
        assert.deepEqual([...seqs].sort((p, q) => p - q), seqs, 'in order');
        assert.equal(new Set(seqs).size, 4);
      }));

    test('rejects an event larger than maxPayload with event_too_large', opts, () =>
      withBus(async (bus) => {
        const big = makeEnvelope('order.created', 'x'.repeat(bus.maxPayload() + 1));
        await assert.rejects(bus.publish({ envelope: big }), (e: unknown) => e instanceof SluiceError && e.code === 'event_too_large');
        const ok = await bus.publish({ envelope: makeEnvelope('order.created', 'y'.repeat(1000)) });
        assert.equal(ok.duplicate, false);
      }));

    test('hands batches of at most batchSize, one batch at a time, in order', opts, () =>
      withBus(async (bus) => {
        const results = await bus.publishMany(Array.from({ length: 25 }, (_, n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        assert.ok(results.every(isAck));
        const r = await record(bus, { durable: unique('batch'), batchSize: 7 }, async (d) => {
          await sleep(2);
          d.ack();
        });
        await eventually(() => r.deliveries.length === 25, 10_000, '25 deliveries');
        await r.handle.stop();
        assert.ok(r.batches.every((n) => n >= 1 && n <= 7), `batch sizes ${r.batches.join(',')}`);
        assert.ok(r.batches.some((n) => n > 1), 'more than one message per batch when a backlog waits');
        assert.equal(r.maxConcurrent(), 1);
        assert.deepEqual(r.deliveries.map(dataOf), Array.from({ length: 25 }, (_, n) => ({ n })));
      }));

    test('with gatherMs, events that come one by one within it are handed over as one batch', opts, () =>
      withBus(async (bus) => {
        const r = await record(bus, { durable: unique('gather'), batchSize: 100, gatherMs: 1500 });
        for (let n = 0; n < 5; n++) {
          assert.ok(isAck(await bus.publish({ envelope: makeEnvelope('order.created', { n }) })));
          await sleep(10);
        }
        await eventually(() => r.deliveries.length === 5, 10_000, '5 deliveries');
        await r.handle.stop();
        assert.deepEqual(r.batches, [5], `batch sizes ${r.batches.join(',')}`);
        assert.deepEqual(r.deliveries.map(dataOf), Array.from({ length: 5 }, (_, n) => ({ n })));
      }));

    test('drains a backlog in full batches, not in the fragments of each network read', opts, () =>
      withBus(async (bus) => {
        for (let k = 0; k < 4; k++) {
          const results = await bus.publishMany(Array.from({ length: 500 }, (_, n) => ({ envelope: makeEnvelope('order.created', { n: k * 500 + n }) })));
          assert.ok(results.every(isAck));
        }
        const r = await record(bus, { durable: unique('full'), batchSize: 250 }, async (d) => {
          await sleep(0.01);
          d.ack();
        });
        await eventually(() => r.deliveries.length === 2000, 20_000, '2000 deliveries');
        await r.handle.stop();
        assert.deepEqual(r.batches, Array.from({ length: 8 }, () => 250), `batch sizes ${r.batches.join(',')}`);
      }));

    test('does not redeliver an acknowledged message and moves the ack floor past it', opts, () =>
      withBus(async (bus) => {
        const acks = await bus.publishMany([1, 2, 3].map((n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        const last = (acks[2] as PublishAck).seq;
        const durable = unique('ack');
        const r = await record(bus, { durable, ackWaitMs: 1000 });
        await eventually(() => r.deliveries.length === 3, 5000, 'deliveries');
        await sleep(1600);
        assert.equal(r.deliveries.length, 3, 'no redelivery after the ack wait');
        await eventually(async () => (await bus.consumerLag(durable))?.ackFloor === last, 5000, 'ack floor');
        assert.deepEqual(await bus.consumerLag(durable), { pending: 0, ackPending: 0, ackFloor: last, delivered: last });
        await r.handle.stop();
      }));

    test('redelivers a nak after its delay with a growing delivery count', opts, () =>
      withBus(async (bus) => {
        await bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) });
        const seen: Array<{ at: number; count: number }> = [];
        const r = await record(bus, { durable: unique('nak'), ackWaitMs: 10_000 }, (d) => {
          seen.push({ at: Date.now(), count: d.deliveryCount });
          if (d.deliveryCount < 3) d.nak(400);
          else d.ack();
        });
        await eventually(() => seen.length === 3, 8000, 'three deliveries');
        await sleep(600);
        await r.handle.stop();
        assert.deepEqual(seen.map((s) => s.count), [1, 2, 3]);
        assert.ok(seen[1]!.at - seen[0]!.at >= 350, `second came after ${seen[1]!.at - seen[0]!.at} ms`);
        assert.ok(seen[2]!.at - seen[1]!.at >= 350, `third came after ${seen[2]!.at - seen[1]!.at} ms`);
      }));

    test('redelivers a message left unsettled once the ack wait passes', opts, () =>
      withBus(async (bus) => {
        await bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) });
        const seen: Array<{ at: number; count: number }> = [];
        const r = await record(bus, { durable: unique('wait'), ackWaitMs: 1000 }, (d) => {
          seen.push({ at: Date.now(), count: d.deliveryCount });
          if (d.deliveryCount >= 2) d.ack();
        });
        await eventually(() => seen.length === 2, 8000, 'a redelivery');
        await r.handle.stop();
        assert.deepEqual(seen.map((s) => s.count), [1, 2]);
        assert.ok(seen[1]!.at - seen[0]!.at >= 900, `redelivered after ${seen[1]!.at - seen[0]!.at} ms`);
      }));

    test('working() holds off redelivery past the ack wait', opts, () =>
      withBus(async (bus) => {
        await bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) });
        const r = await record(bus, { durable: unique('working'), ackWaitMs: 1000 }, async (d) => {
          for (let i = 0; i < 4; i++) {
            await sleep(500);
            d.working();
          }
          d.ack();
        });
        await eventually(() => r.deliveries.length >= 1, 5000, 'a delivery');
        await sleep(3000);
        await r.handle.stop();
        assert.equal(r.deliveries.length, 1, 'held for 2 s with a 1 s ack wait, never redelivered');
      }));

    test('never redelivers a terminated message', opts, () =>
      withBus(async (bus) => {
        const a = await bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) });
        const durable = unique('term');
        const r = await record(bus, { durable, ackWaitMs: 1000 }, (d) => d.term('bad event'));
        await eventually(() => r.deliveries.length === 1, 5000, 'a delivery');
        await sleep(1600);
        await r.handle.stop();
        assert.equal(r.deliveries.length, 1);
        await eventually(async () => (await bus.consumerLag(durable))?.ackFloor === a.seq, 5000, 'ack floor past the terminated message');
      }));

    test('a durable consumer resumes where it stopped after its handle stops', opts, () =>
      withBus(async (bus) => {
        await bus.publishMany([1, 2, 3, 4].map((n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        const durable = unique('resume');
        const first = await record(bus, { durable });
        await eventually(() => first.deliveries.length === 4, 5000, 'four deliveries');
        await sleep(200);
        await first.handle.stop();
        await bus.publishMany([5, 6].map((n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        const second = await record(bus, { durable });
        await eventually(() => second.deliveries.length === 2, 5000, 'two deliveries');
        await sleep(300);
        await second.handle.stop();
        assert.deepEqual(second.deliveries.map(dataOf), [{ n: 5 }, { n: 6 }]);
      }));

    test('after the bus stops and starts again, acked messages stay acked and unacked ones come back', opts, () =>
      withBus(async (bus) => {
        await bus.publishMany([1, 2, 3, 4].map((n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        const durable = unique('restart');
        const first = await record(bus, { durable, ackWaitMs: 1000 }, (d) => {
          if ((dataOf(d) as { n: number }).n % 2 === 1) d.ack();
        });
        await eventually(() => first.deliveries.length === 4, 5000, 'four deliveries');
        await sleep(200);
        await first.handle.stop();
        await bus.stop();
        await bus.start();
        await bus.publish({ envelope: makeEnvelope('order.created', { n: 5 }) });
        const second = await record(bus, { durable, ackWaitMs: 1000 });
        await eventually(() => second.deliveries.length === 3, 8000, 'three deliveries');
        await sleep(300);
        await second.handle.stop();
        const byN = new Map(second.deliveries.map((d) => [(dataOf(d) as { n: number }).n, d] as const));
        assert.deepEqual([...byN.keys()].sort(), [2, 4, 5]);
        assert.ok(byN.get(2)!.deliveryCount >= 2, 'the unacked message counts its earlier delivery');
        assert.equal(byN.get(5)!.deliveryCount, 1);
      }));

    test('members of one durable share the work and no message is handled twice', opts, () =>
      withBus(async (bus) => {
        const total = 200;
        await bus.publishMany(Array.from({ length: total }, (_, n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        const durable = unique('shared');
        const slowAck = async (d: Delivery): Promise<void> => {
          await sleep(1);
          d.ack();
        };
        const a = await record(bus, { durable, batchSize: 10 }, slowAck);
        const b = await record(bus, { durable, batchSize: 10 }, slowAck);
        await eventually(() => a.deliveries.length + b.deliveries.length >= total, 15_000, 'all deliveries');
        await sleep(300);
        await Promise.all([a.handle.stop(), b.handle.stop()]);
        const seqs = [...a.deliveries, ...b.deliveries].map((d) => d.seq);
        assert.equal(seqs.length, total, 'nothing handled twice');
        assert.equal(new Set(seqs).size, total);
        assert.ok(a.deliveries.length > 0 && b.deliveries.length > 0, `split ${a.deliveries.length}/${b.deliveries.length}`);
      }));

    test('type filters take NATS wildcards', opts, () =>
      withBus(async (bus) => {
        const types = ['order.created', 'order.updated', 'user.created', 'order.item.added'];
        await bus.publishMany(types.map((type) => ({ envelope: makeEnvelope(type, { type }) })));
        const cases: Array<[string[], string[]]> = [
          [['order.*'], ['order.created', 'order.updated']],
          [['order.>'], ['order.created', 'order.updated', 'order.item.added']],
          [['*.created'], ['order.created', 'user.created']],
          [['user.created', 'order.item.*'], ['user.created', 'order.item.added']],
          [['order.created'], ['order.created']],
        ];
        for (const [patterns, expected] of cases) {
          const r = await record(bus, { durable: unique('filter'), types: patterns });
          await eventually(() => r.deliveries.length >= expected.length, 5000, `deliveries for ${patterns.join(',')}`);
          await sleep(200);
          await r.handle.stop();
          assert.deepEqual(r.deliveries.map((d) => d.envelope.type), expected, patterns.join(','));
        }
      }));

    test('reads back a range of stored events whatever was acknowledged, and tells how far a consumer got', opts, () =>
      withBus(async (bus) => {
        const acks = [];
        for (let n = 1; n <= 5; n++) acks.push(await bus.publish({ envelope: makeEnvelope('order.created', { n }) }));
        const durable = unique('range');
        const r = await record(bus, { durable, batchSize: 3 });
        await eventually(() => r.deliveries.length === 5, 5000, 'five deliveries');
        await r.handle.stop();
        const lag = await bus.consumerLag(durable);
        assert.equal(lag?.ackFloor, acks[4]!.seq);
        assert.equal(lag?.delivered, acks[4]!.seq);
        const pages = [];
        for await (const page of bus.readRange(acks[1]!.seq, acks[3]!.seq, 2)) pages.push(page);
        assert.deepEqual(pages.map((p) => p.length), [2, 1]);
        const read = pages.flat();
        assert.deepEqual(read.map((m) => m.streamSeq), [acks[1]!.seq, acks[2]!.seq, acks[3]!.seq]);
        assert.deepEqual(read.map((m) => m.seq), read.map((m) => m.streamSeq));
        assert.deepEqual(read.map(dataOf), [{ n: 2 }, { n: 3 }, { n: 4 }]);
      }));

    test('looks a stored event up by id', opts, () =>
      withBus(async (bus) => {
        const envelope = makeEnvelope('order.created', { find: 'me' }, { subject: 's-1' });
        const ack = await bus.publish({ envelope });
        await bus.publish({ envelope: makeEnvelope('order.created', { other: true }) });
        const found = await bus.lookup(envelope.id);
        assert.ok(found !== null);
        assert.equal(found.seq, ack.seq);
        assert.equal(found.envelope.id, envelope.id);
        assert.equal(found.envelope.type, 'order.created');
        assert.equal(found.envelope.subject, 's-1');
        assert.deepEqual(dataOf(found), { find: 'me' });
        assert.equal(await bus.lookup(makeEnvelope('x', null).id), null);
      }));

    test('reports consumer lag: pending, ack pending and the ack floor', opts, () =>
      withBus(async (bus) => {
        const durable = unique('lag');
        assert.equal(await bus.consumerLag(durable), null, 'an unknown durable has no lag');
        const acks = await bus.publishMany(Array.from({ length: 10 }, (_, n) => ({ envelope: makeEnvelope('order.created', { n }) })));
        const last = (acks[9] as PublishAck).seq;
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        const held: Delivery[] = [];
        const handle = await bus.consume({ durable, batchSize: 4, ackWaitMs: 10_000 }, async (batch) => {
          held.push(...batch);
          await gate;
          for (const d of batch) d.ack();
        });
        await eventually(() => held.length === 4, 5000, 'the first batch');
        await eventually(async () => {
          const lag = await bus.consumerLag(durable);
          return lag !== null && lag.ackPending >= 4 && lag.pending + lag.ackPending === 10 && lag.ackFloor < acks.length;
        }, 5000, 'lag while a batch is held');
        release();
        await eventually(async () => {
          const lag = await bus.consumerLag(durable);
          return lag !== null && lag.pending === 0 && lag.ackPending === 0 && lag.ackFloor === last;
        }, 8000, 'lag after everything is acked');
        await handle.stop();
      }));

    test('dead letters go to their own log, not to the consumers of the stream', opts, () =>
      withBus(async (bus) => {
        const envelope = makeEnvelope('order.created', { bad: true });
        const ack = await bus.publish({ envelope });
        await bus.publishDeadLetter({ envelope, seq: ack.seq }, 'validation failed: total must be >= 0');
        const durable = unique('dlq');
        const r = await record(bus, { durable });
        await eventually(() => r.deliveries.length >= 1, 5000, 'the delivery');
        await sleep(300);
        await r.handle.stop();
        assert.equal(r.deliveries.length, 1);
        const lag = await bus.consumerLag(durable);
        assert.equal(lag?.ackFloor, ack.seq);
      }));

    test('a replay is stored beside the original and delivered under the original sequence', opts, () =>
      withBus(async (bus) => {
        const envelope = makeEnvelope('order.created', { n: 1 });
        const original = await bus.publish({ envelope });
        const replayId = unique('replay');
        const replay = { originalSeq: original.seq, replayId };
        const copy = await bus.publish({ envelope, replay });
        assert.equal(copy.duplicate, false, 'a replay has its own message id');
        assert.ok(copy.seq > original.seq);
        assert.deepEqual(await bus.publish({ envelope, replay }), { seq: copy.seq, duplicate: true }, 'the same replay twice is one message');
        const again = await bus.publish({ envelope, replay: { originalSeq: original.seq, replayId: unique('replay') } });
        assert.equal(again.duplicate, false, 'another replay of the same event is kept');
        const r = await record(bus, { durable: unique('replay') });
        await eventually(() => r.deliveries.length === 3, 5000, 'three deliveries');
        await r.handle.stop();
        const [first, second] = r.deliveries;
        assert.equal(first!.seq, original.seq);
        assert.equal(first!.replayId, undefined);
        assert.equal(second!.seq, original.seq);
        assert.equal(second!.streamSeq, copy.seq);
        assert.equal(second!.replayId, replayId);
        assert.equal(second!.envelope.id, envelope.id);
        assert.equal((await bus.lookup(envelope.id))?.seq, original.seq, 'lookup finds the original');
      }));

    test('a replay for one subscription carries its name to every consumer', opts, () =>
      withBus(async (bus) => {
        const envelope = makeEnvelope('order.created', { n: 1 });
        const original = await bus.publish({ envelope });
        await bus.publish({ envelope, replay: { originalSeq: original.seq, replayId: unique('replay'), target: 'billing' } });
        const r = await record(bus, { durable: unique('target') });
        await eventually(() => r.deliveries.length === 2, 5000, 'two deliveries');
        await r.handle.stop();
        assert.equal(r.deliveries[0]!.replayTarget, undefined);
        assert.equal(r.deliveries[1]!.replayTarget, 'billing');
        assert.equal(r.deliveries[1]!.seq, original.seq);
      }));

    test('a new consumer with startAt begins with the events stored from then on; an existing one resumes', opts, () =>
      withBus(async (bus) => {
        await bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) });
        await sleep(50);
        const startAt = new Date();
        await sleep(50);
        const later = await bus.publish({ envelope: makeEnvelope('order.created', { n: 2 }) });
        const durable = unique('start');
        const r = await record(bus, { durable, startAt });
        await eventually(() => r.deliveries.length === 1, 5000, 'one delivery');
        await sleep(300);
        await r.handle.stop();
        assert.deepEqual(r.deliveries.map((d) => d.seq), [later.seq]);
        const third = await bus.publish({ envelope: makeEnvelope('order.created', { n: 3 }) });
        const resumed = await record(bus, { durable, startAt: new Date() });
        await eventually(() => resumed.deliveries.length === 1, 5000, 'the next event');
        await resumed.handle.stop();
        assert.deepEqual(resumed.deliveries.map((d) => d.seq), [third.seq]);
      }));

    test('deleteConsumer forgets a consumer and its position', opts, () =>
      withBus(async (bus) => {
        const a = await bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) });
        const durable = unique('gone');
        const r = await record(bus, { durable });
        await eventually(() => r.deliveries.length === 1, 5000, 'one delivery');
        await r.handle.stop();
        assert.notEqual(await bus.consumerLag(durable), null);
        await bus.deleteConsumer(durable);
        assert.equal(await bus.consumerLag(durable), null);
        await bus.deleteConsumer(durable);
        const again = await record(bus, { durable });
        await eventually(() => again.deliveries.length === 1, 5000, 'delivered afresh');
        await again.handle.stop();
        assert.equal(again.deliveries[0]!.seq, a.seq);
      }));
  });
}
