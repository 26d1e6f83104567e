import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEmbeddedBus } from '../../src/bus/embedded/index.js';
import type { Delivery } from '../../src/bus/port.js';
import { runFixture } from './child-process.js';

test('after a SIGKILL every acknowledged publish is stored and every unacked message is delivered again', { timeout: 60_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bus-crash-'));
  try {
    const child = runFixture('bus-publisher.ts', [dataDir]);
    try {
      await child.waitForLines(1, 20_000);
      assert.equal(child.lines[0], 'ready');
      await child.waitForLines(3000, 30_000);
    } finally {
      await child.kill();
    }
    const published = new Map<number, { id: string; round: number; i: number }>();
    const acked = new Set<number>();
    for (const line of child.lines.slice(1)) {
      const [kind, seq, id, round, i] = line.split(' ');
      if (kind === 'p') published.set(Number(seq), { id: id!, round: Number(round), i: Number(i) });
      else if (kind === 'a') acked.add(Number(seq));
    }
    assert.ok(published.size >= 1000, `${published.size} publishes acknowledged before the kill`);

    const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 120_000 });
    await bus.start();
    try {
      for (const [seq, { id, round, i }] of published) {
        const found = await bus.lookup(id);
        assert.ok(found !== null, `seq ${seq} (${id}) is stored`);
        assert.equal(found.seq, seq);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(found.envelope.data)), { round, i });
      }
      const mustCome = [...published.keys()].filter((seq) => !acked.has(seq));
      assert.ok(mustCome.length > 0);
      const delivered = new Map<number, Delivery>();
      const handle = await bus.consume({ durable: 'crash', batchSize: 500, ackWaitMs: 30_000 }, async (batch) => {
        for (const d of batch) {
          delivered.set(d.seq, d);
          d.ack();
        }
      });
      const deadline = Date.now() + 20_000;
      while (mustCome.some((seq) => !delivered.has(seq)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await handle.stop();
      const lost = mustCome.filter((seq) => !delivered.has(seq));
      assert.deepEqual(lost.slice(0, 20), [], `${lost.length} unacked messages not delivered after the restart`);
      // A message delivered before the kill and never acked counts that delivery.
      const redelivered = mustCome.filter((seq) => seq % 3 === 0 && (delivered.get(seq)?.deliveryCount ?? 0) >= 2);
      assert.ok(redelivered.length > 0, 'delivery counts survive the restart');
      // The new publishes go on after the highest sequence stored.
      const next = await bus.publish({ envelope: { id: crypto.randomUUID(), type: 'crash.test', source: '/crash', time: new Date().toISOString(), receivedAt: new Date().toISOString(), data: new TextEncoder().encode('{}'), dataContentType: 'application/json' } });
      assert.ok(next.seq > Math.max(...published.keys()));
    } finally {
      await bus.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a second process cannot open a data directory the bus is using', { timeout: 30_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bus-lock-'));
  try {
    const child = runFixture('bus-publisher.ts', [dataDir]);
    try {
      await child.waitForLines(1, 20_000);
      const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 120_000 });
      await assert.rejects(bus.start(), new RegExp(`in use by process ${child.process.pid}`));
    } finally {
      await child.kill();
    }
    // Once the holder is gone its lock is stale and is taken over.
    const bus = createEmbeddedBus({ dataDir, stream: 'EVENTS', subjectPrefix: 'events', duplicateWindowMs: 120_000 });
    await bus.start();
    await bus.stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
