// The bus library's contract: every kind of bus passes these tests unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Bus, BusEvent, PublishResult } from '../../src/bus-library/index.js';

export interface ContractEvents {
  'job.created': { jobId: string; n: number };
  'job.started': { jobId: string };
  'job.completed': { jobId: string; ms: number };
  'job.failed': { jobId: string; error: string };
  'job.step.done': { jobId: string; step: number };
  'billing.invoice.paid': { invoiceId: string };
}

/** A fresh, isolated bus for one test, and how to clean up after it. */
export interface BusFixture {
  readonly bus: Bus<ContractEvents>;
  cleanup(): Promise<void>;
}

const WAIT_MS = 5_000;

/** Waits until `condition` holds, failing the test with `what` after a few seconds. */
async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isStored(result: PublishResult | { error: unknown }): result is PublishResult {
  return !('error' in result);
}

/** Registers the contract tests for one kind of bus. */
export function busContract(kind: string, openBus: () => Promise<BusFixture>): void {
  const withBus = (name: string, body: (bus: Bus<ContractEvents>) => Promise<void>) =>
    test(`${kind}: ${name}`, { timeout: 20_000 }, async () => {
      const fixture = await openBus();
      try {
        await body(fixture.bus);
      } finally {
        await fixture.cleanup();
      }
    });

  withBus('delivers a published event with its id, type, source, time, data, sequence and attempt 1', async (bus) => {
    const seen: Array<BusEvent<'job.created', ContractEvents['job.created']>> = [];
    await bus.subscribe('job.created', (event) => {
      seen.push(event);
    });
    const before = Date.now();
    const result = await bus.publish('job.created', { jobId: 'j1', n: 1 }, { source: '/tests' });
    await waitFor('the event', () => seen.length === 1);
    const event = seen[0]!;
    assert.equal(event.id, result.id);
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(event.type, 'job.created');
    assert.equal(event.source, '/tests');
    assert.deepEqual(event.data, { jobId: 'j1', n: 1 });
    assert.equal(event.seq, result.seq);
    assert.equal(event.attempt, 1);
    assert.equal(result.duplicate, false);
    assert.ok(Math.abs(Date.parse(event.time) - before) < 5_000, `time ${event.time} is now`);
  });

  withBus("hands subscribers the producer's exact bytes, whatever the content type", async (typed) => {
    const bus = typed as unknown as Bus;
    const seen: BusEvent[] = [];
    await bus.subscribe('raw.>', (event) => void seen.push(event));
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    await bus.publish('raw.text', 'héllo\r\n', { datacontenttype: 'text/plain; charset=utf-8' });
    await bus.publish('raw.image', png, { datacontenttype: 'image/png' });
    await bus.publish('raw.json', { b: 1, a: [1, 2] });
    await waitFor('three events', () => seen.length === 3);
    const byType = new Map(seen.map((e) => [e.type, e]));
    assert.equal(byType.get('raw.text')!.data, 'héllo\r\n');
    assert.equal(byType.get('raw.text')!.datacontenttype, 'text/plain; charset=utf-8');
    assert.deepEqual(new Uint8Array(byType.get('raw.image')!.bytes), png);
    assert.deepEqual(new Uint8Array(byType.get('raw.image')!.data as Uint8Array), png);
    assert.equal(Buffer.from(byType.get('raw.json')!.bytes).toString(), '{"b":1,"a":[1,2]}');
    assert.equal(byType.get('raw.json')!.datacontenttype, 'application/json');
    await assert.rejects(bus.publish('raw.bad', { not: 'bytes' }, { datacontenttype: 'text/plain' }), /must be a string or a Uint8Array/);
  });

  withBus('a wildcard subscription receives exactly the matching events', async (bus) => {
    const oneToken: string[] = [];
    const rest: string[] = [];
    const all: string[] = [];
    await bus.subscribe('job.*', (event) => void oneToken.push(event.type));
    await bus.subscribe('job.>', (event) => void rest.push(event.type));
    await bus.subscribe('>', (event) => void all.push(event.type));
    await bus.publish('job.created', { jobId: 'j', n: 1 });
    await bus.publish('billing.invoice.paid', { invoiceId: 'i' });
    await bus.publish('job.step.done', { jobId: 'j', step: 1 });
    await bus.publish('job.failed', { jobId: 'j', error: 'e' });
    await waitFor('every event', () => all.length === 4 && rest.length === 3 && oneToken.length === 2);
    await sleep(100);
    assert.deepEqual(oneToken, ['job.created', 'job.failed']);
    assert.deepEqual(rest, ['job.created', 'job.step.done', 'job.failed']);
    assert.deepEqual(all, ['job.created', 'billing.invoice.paid', 'job.step.done', 'job.failed']);
  });

  withBus('two members of one group split the work and none is handled twice', async (bus) => {
    const handled = new Map<string, string[]>([['a', []], ['b', []]]);
    const member = (name: string) => async (event: BusEvent<'job.created', ContractEvents['job.created']>) => {
      handled.get(name)!.push(event.id);
      await sleep(5);
    };
    await bus.subscribe('job.created', member('a'), { group: 'workers', prefetch: 2 });
    await bus.subscribe('job.created', member('b'), { group: 'workers', prefetch: 2 });
    const results = await bus.publishBatch(Array.from({ length: 40 }, (_, n) => ({ type: 'job.created' as const, data: { jobId: `j${n}`, n } })));
    const total = () => handled.get('a')!.length + handled.get('b')!.length;
    await waitFor('all 40 events', () => total() >= 40);
    await sleep(200);
    const ids = [...handled.get('a')!, ...handled.get('b')!];
    assert.equal(ids.length, 40, 'no event handled twice');
    assert.deepEqual(new Set(ids), new Set(results.filter(isStored).map((r) => r.id)));
    assert.ok(handled.get('a')!.length > 0 && handled.get('b')!.length > 0, `both members worked (a ${handled.get('a')!.length}, b ${handled.get('b')!.length})`);
  });

  withBus('a durable subscriber stopped and restarted gets what it missed, and nothing twice', async (bus) => {
    const first: number[] = [];
    const sub = await bus.subscribe('job.created', (event) => void first.push(event.data.n), { durable: 'audit' });
    await bus.publish('job.created', { jobId: 'j', n: 1 });
    await waitFor('the first event', () => first.length === 1);
    await sub.stop();
    await bus.publish('job.created', { jobId: 'j', n: 2 });
    await bus.publish('job.created', { jobId: 'j', n: 3 });
    const second: number[] = [];
    const again = await bus.subscribe('job.created', (event) => void second.push(event.data.n), { durable: 'audit' });
    assert.equal(again.name, 'audit');
    await waitFor('the missed events', () => second.length === 2);
    await sleep(100);
    assert.deepEqual(first, [1]);
    assert.deepEqual(second, [2, 3]);
  });

  withBus('a throwing handler sees the event again with attempt 2', async (bus) => {
    const attempts: Array<{ id: string; attempt: number; at: number }> = [];
    await bus.subscribe('job.failed', (event) => {
      attempts.push({ id: event.id, attempt: event.attempt, at: Date.now() });
      if (event.attempt === 1) throw new Error('not yet');
    });
    const { id } = await bus.publish('job.failed', { jobId: 'j', error: 'e' });
    await waitFor('the redelivery', () => attempts.length === 2);
    await sleep(300);
    assert.deepEqual(attempts.map((a) => [a.id, a.attempt]), [[id, 1], [id, 2]]);
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 80, 'redelivered after a delay');
  });

  withBus('from a sequence number replays from that event on', async (bus) => {
    const results: PublishResult[] = [];
    for (let n = 1; n <= 5; n++) results.push(await bus.publish('job.created', { jobId: 'j', n }));
    const seen: number[] = [];
    await bus.subscribe('job.created', (event) => void seen.push(event.data.n), { from: results[2]!.seq });
    await waitFor('the replay', () => seen.length === 3);
    await bus.publish('job.created', { jobId: 'j', n: 6 });
    await waitFor('the new event', () => seen.length === 4);
    assert.deepEqual(seen, [3, 4, 5, 6]);
  });

  withBus('from a time (Date or RFC 3339 text) replays what was stored since', async (bus) => {
    await bus.publish('job.created', { jobId: 'j', n: 1 });
    await sleep(50);
    const since = new Date();
    await sleep(50);
    await bus.publish('job.created', { jobId: 'j', n: 2 });
    await bus.publish('job.created', { jobId: 'j', n: 3 });
    const byDate: number[] = [];
    const byText: number[] = [];
    await bus.subscribe('job.created', (event) => void byDate.push(event.data.n), { from: since });
    await bus.subscribe('job.created', (event) => void byText.push(event.data.n), { from: since.toISOString() });
    await waitFor('the replays', () => byDate.length === 2 && byText.length === 2);
    await sleep(100);
    assert.deepEqual(byDate, [2, 3]);
    assert.deepEqual(byText, [2, 3]);
  });

  withBus('without from a new subscription starts with new events', async (bus) => {
    await bus.publish('job.created', { jobId: 'j', n: 1 });
    const seen: number[] = [];
    await bus.subscribe('job.created', (event) => void seen.push(event.data.n));
    await bus.publish('job.created', { jobId: 'j', n: 2 });
    await waitFor('the new event', () => seen.length === 1);
    await sleep(100);
    assert.deepEqual(seen, [2]);
  });

  withBus('publishBatch answers one result per event, in order, and they are stored in that order', async (bus) => {
    const seen: number[] = [];
    await bus.subscribe('job.>', (event) => void seen.push((event.data as { n: number }).n));
    const results = await bus.publishBatch(Array.from({ length: 20 }, (_, n) => ({ type: 'job.created' as const, data: { jobId: 'j', n } })));
    assert.equal(results.length, 20);
    const stored = results.filter(isStored);
    assert.equal(stored.length, 20);
    for (let i = 1; i < stored.length; i++) assert.ok(stored[i]!.seq > stored[i - 1]!.seq, `seq grows at ${i}`);
    assert.equal(new Set(stored.map((r) => r.id)).size, 20);
    await waitFor('the batch', () => seen.length === 20);
    assert.deepEqual(seen, Array.from({ length: 20 }, (_, n) => n));
  });

  withBus('publishBatch reports a bad entry on its own and stores the others', async (bus) => {
    const results = await bus.publishBatch([
      { type: 'job.started', data: { jobId: 'a' } },
      { type: 'job.started', data: { jobId: 'b' }, id: 'not-a-uuid' },
      { type: 'job.started', data: { jobId: 'c' } },
    ]);
    assert.ok(isStored(results[0]!) && isStored(results[2]!));
    assert.ok(!isStored(results[1]!));
    assert.equal((results[1] as { error: { code: string } }).error.code, 'invalid_id');
  });

  withBus('the same idempotencyKey gives the same id, duplicate=true, and one delivery', async (bus) => {
    const seen: string[] = [];
    await bus.subscribe('job.completed', (event) => void seen.push(event.id));
    const first = await bus.publish('job.completed', { jobId: 'j', ms: 1 }, { idempotencyKey: 'job-j-done' });
    const again = await bus.publish('job.completed', { jobId: 'j', ms: 2 }, { idempotencyKey: 'job-j-done' });
    const other = await bus.publish('job.completed', { jobId: 'k', ms: 3 }, { idempotencyKey: 'job-k-done' });
    assert.equal(again.id, first.id);
    assert.equal(again.seq, first.seq);
    assert.equal(first.duplicate, false);
    assert.equal(again.duplicate, true);
    assert.notEqual(other.id, first.id);
    await waitFor('the deliveries', () => seen.length === 2);
    await sleep(100);
    assert.deepEqual(seen, [first.id, other.id]);
  });

  withBus('a subscription is an async iterable: moving on acknowledges', async (bus) => {
    const subscription = await bus.subscribe('job.*', { durable: 'reader' });
    for (let n = 1; n <= 3; n++) await bus.publish('job.created', { jobId: 'j', n });
    const seen: number[] = [];
    for await (const event of subscription) {
      assert.equal(event.type, 'job.created');
      seen.push((event.data as { n: number }).n);
      if (seen.length === 3) {
        event.ack();
        break;
      }
    }
    assert.deepEqual(seen, [1, 2, 3]);
    // Nothing was left unacknowledged: a new reader of the same durable gets only what comes next.
    await bus.publish('job.created', { jobId: 'j', n: 4 });
    const next = await bus.subscribe('job.*', { durable: 'reader' });
    for await (const event of next) {
      assert.deepEqual([event.data, event.attempt], [{ jobId: 'j', n: 4 }, 1]);
      event.ack();
      break;
    }
  });

  withBus('leaving a loop hands the unacknowledged event back', async (bus) => {
    const subscription = await bus.subscribe('job.*', { durable: 'reader' });
    await bus.publish('job.created', { jobId: 'j', n: 1 });
    await bus.publish('job.created', { jobId: 'j', n: 2 });
    let left: BusEvent | undefined;
    for await (const event of subscription) {
      if (event.data.jobId === 'j' && (event.data as { n: number }).n === 2) {
        left = event;
        break;
      }
    }
    assert.ok(left !== undefined);
    const again = await bus.subscribe('job.*', { durable: 'reader' });
    for await (const event of again) {
      assert.equal(event.id, left.id);
      assert.equal(event.attempt, 2);
      event.ack();
      break;
    }
  });

  withBus('close stops the subscriptions and refuses further use', async (bus) => {
    const seen: number[] = [];
    await bus.subscribe('job.created', (event) => void seen.push(event.data.n));
    await bus.publish('job.created', { jobId: 'j', n: 1 });
    await waitFor('the event', () => seen.length === 1);
    await bus.close();
    await assert.rejects(bus.publish('job.created', { jobId: 'j', n: 2 }));
  });
}
