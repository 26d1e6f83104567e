import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteCoalescer } from '../../src/bus/jetstream/write-coalescer.js';

test('issues the publishes of one loop turn together, after the turn', async () => {
  const coalescer = new WriteCoalescer();
  const started: number[] = [];
  const results = [1, 2, 3].map((n) => coalescer.run(async () => (started.push(n), n * 10)));
  assert.deepEqual(started, [], 'nothing is sent before the loop turn ends');
  assert.deepEqual(await Promise.all(results), [10, 20, 30]);
  assert.deepEqual(started, [1, 2, 3]);
});

test('passes each publish failure to its own caller only', async () => {
  const coalescer = new WriteCoalescer();
  const ok = coalescer.run(async () => 'ok');
  const failed = coalescer.run(async () => {
    throw new Error('no ack');
  });
  assert.equal(await ok, 'ok');
  await assert.rejects(failed, /no ack/);
  assert.equal(await coalescer.run(async () => 'later'), 'later');
});
