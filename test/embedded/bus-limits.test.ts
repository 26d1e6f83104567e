import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEmbeddedBus } from '../../src/bus/embedded/index.js';
import { makeEnvelope } from '../contract/bus-contract-helpers.js';

async function withDataDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bus-limits-'));
  try {
    await fn(dataDir);
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('an id repeated after the duplicate window is stored again', { timeout: 10_000 }, () =>
  withDataDir(async (dataDir) => {
    const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 200 });
    await bus.start();
    try {
      const envelope = makeEnvelope('order.created', { n: 1 });
      const first = await bus.publish({ envelope });
      assert.deepEqual(await bus.publish({ envelope }), { seq: first.seq, duplicate: true });
      await sleep(300);
      const later = await bus.publish({ envelope });
      assert.equal(later.duplicate, false);
      assert.ok(later.seq > first.seq);
    } finally {
      await bus.stop();
    }
  }));

test('messages older than the max age are removed and sequences go on after them', { timeout: 10_000 }, () =>
  withDataDir(async (dataDir) => {
    const options = { dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 60_000, maxAgeMs: 300 };
    const bus = createEmbeddedBus(options);
    await bus.start();
    const old = makeEnvelope('order.created', { old: true });
    const oldAck = await bus.publish({ envelope: old });
    await bus.stop();
    await sleep(400);
    await bus.start();
    try {
      assert.equal(await bus.lookup(old.id), null, 'trimmed at start');
      const fresh = makeEnvelope('order.created', { old: false });
      const freshAck = await bus.publish({ envelope: fresh });
      assert.ok(freshAck.seq > oldAck.seq);
      const seen: number[] = [];
      const handle = await bus.consume({ durable: 'w', batchSize: 10, ackWaitMs: 5000 }, async (batch) => {
        for (const d of batch) {
          seen.push(d.seq);
          d.ack();
        }
      });
      await sleep(200);
      await handle.stop();
      assert.deepEqual(seen, [freshAck.seq]);
    } finally {
      await bus.stop();
    }
  }));

test('a message given up on is dead-lettered once, however often its batch retries; a replay given up on again has its own', { timeout: 10_000 }, () =>
  withDataDir(async (dataDir) => {
    const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 60_000 });
    await bus.start();
    try {
      const envelope = makeEnvelope('order.created', { bad: true });
      const ack = await bus.publish({ envelope });
      // The batch's commit failed after its dead letters went out: the redelivery publishes them again.
      await bus.publishDeadLetter({ envelope, seq: ack.seq, streamSeq: ack.seq }, 'validation failed');
      await bus.publishDeadLetter({ envelope, seq: ack.seq, streamSeq: ack.seq }, 'validation failed');
      await bus.publishDeadLetter({ envelope, seq: ack.seq, streamSeq: ack.seq + 10 }, 'its replay failed too');
      const log = (bus as unknown as { log: { deadLetters: { getKeysCount(): number } } }).log;
      assert.equal(log.deadLetters.getKeysCount(), 2);
    } finally {
      await bus.stop();
    }
  }));
