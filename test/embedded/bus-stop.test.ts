import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedBus } from '../../src/bus/embedded/index.js';
import type { BusPort, Delivery } from '../../src/bus/index.js';
import { SluiceError } from '../../src/errors/index.js';
import { Replayer } from '../../src/gateway/replayer.js';
import { silentLogger } from '../../src/log/index.js';
import type { StorePort, StoredEvent } from '../../src/store/index.js';
import { makeEnvelope } from '../contract/bus-contract-helpers.js';

async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bus-stop-'));
  try {
    await fn(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Collects unhandled rejections and uncaught exceptions while `fn` runs (and a moment after). */
async function escapes(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const record = (error: unknown) => seen.push(error);
  process.on('unhandledRejection', record);
  process.on('uncaughtException', record);
  try {
    await fn();
    await sleep(300);
  } finally {
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);
  }
  return seen;
}

test('a publish the disk does not sync within the publish timeout fails as bus_unavailable', { timeout: 20_000 }, () =>
  withDataDir(async (dataDir) => {
    const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 60_000, publishTimeoutMs: 300 });
    await bus.start();
    try {
      // A stalled fsync, as a failing disk or a saturated volume gives: the write never returns.
      const log = (bus as unknown as { log: { append: (...args: unknown[]) => Promise<unknown> } }).log;
      log.append = () => new Promise(() => undefined);
      const started = Date.now();
      await assert.rejects(bus.publish({ envelope: makeEnvelope('order.created', { n: 1 }) }), (e: unknown) => e instanceof SluiceError && e.code === 'bus_unavailable');
      const waited = Date.now() - started;
      assert.ok(waited >= 250 && waited < 3_000, `failed after ${waited} ms`);
    } finally {
      await bus.stop();
    }
  }));

test('a batch that outlives the stop timeout settles nothing on the closed log; its messages come back', { timeout: 20_000 }, () =>
  withDataDir(async (dataDir) => {
    const options = { dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 60_000 };
    const bus = createEmbeddedBus(options);
    await bus.start();
    const envelope = makeEnvelope('order.created', { n: 1 });
    await bus.publish({ envelope });
    let handed: () => void = () => undefined;
    const inHand = new Promise<void>((resolve) => (handed = resolve));
    let finished: Promise<void> = Promise.resolve();
    const seen = await escapes(async () => {
      const handle = await bus.consume({ durable: 'w', batchSize: 10, ackWaitMs: 30_000 }, async (batch: readonly Delivery[]) => {
        handed();
        finished = sleep(600).then(() => {
          for (const d of batch) d.ack();
        });
        await finished;
      });
      await inHand;
      await handle.stop({ timeoutMs: 50 });
      await bus.stop();
      await finished;
    });
    assert.deepEqual(seen, [], 'nothing escaped');

    const again = createEmbeddedBus(options);
    await again.start();
    try {
      const redelivered: string[] = [];
      const handle = await again.consume({ durable: 'w', batchSize: 10, ackWaitMs: 30_000 }, async (batch) => {
        for (const d of batch) {
          redelivered.push(d.envelope.id);
          d.ack();
        }
      });
      for (let i = 0; i < 50 && redelivered.length === 0; i++) await sleep(50);
      await handle.stop();
      assert.deepEqual(redelivered, [envelope.id], 'the message acked after the stop is delivered again');
    } finally {
      await again.stop();
    }
  }));

test('stopping waits for a replay stuck on the bus no longer than its bound', { timeout: 20_000 }, async () => {
  const event: StoredEvent = {
    id: makeEnvelope('order.created', {}).id,
    type: 'order.created',
    source: '/t',
    subject: null,
    time: new Date().toISOString(),
    receivedAt: new Date().toISOString(),
    streamSeq: 1,
    data: new TextEncoder().encode('{}'),
    dataContentType: 'application/json',
    dataSchema: null,
    originId: null,
    entity: null,
    entityHint: null,
    traceparent: null,
    extensions: null,
  };
  // A bus whose publishes never answer (a stalled disk or server) and a store holding one event.
  const bus = { publishMany: () => new Promise(() => undefined), consumerLag: async () => null } as unknown as BusPort;
  const store = {
    countForReplay: async () => ({ matched: 1, knownIds: [event.id] }),
    saveReplay: async () => undefined,
    async *selectForReplay() {
      yield [event];
    },
  } as unknown as StorePort;
  const replayer = new Replayer(bus, store, silentLogger(), 'w');
  assert.ok((await replayer.start({ ids: [event.id] })) !== null);
  await sleep(50);
  const started = Date.now();
  await replayer.drain(300);
  const waited = Date.now() - started;
  assert.ok(waited < 2_000, `waited ${waited} ms`);
});

test("the bus's log directory is the owner's alone: it holds every event's data", async () =>
  withDataDir(async (root) => {
    const dataDir = join(root, 'new');
    const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 60_000 });
    await bus.start();
    await bus.stop();
    for (const dir of [dataDir, join(dataDir, 'bus')]) assert.equal((await stat(dir)).mode & 0o777, 0o700, dir);
    // One an older version made 0755 is closed at the next start.
    const older = join(root, 'older');
    await mkdir(join(older, 'bus'), { recursive: true, mode: 0o755 });
    await chmod(join(older, 'bus'), 0o755);
    const again = createEmbeddedBus({ dataDir: older, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 60_000 });
    await again.start();
    await again.stop();
    assert.equal((await stat(join(older, 'bus'))).mode & 0o777, 0o700);
  }));
