import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Consumer } from '@nats-io/jetstream';
import { BatchLoop } from '../../src/bus/jetstream/batch-loop.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A consumer whose first pull delivers `script` (each message after `at` ms, saying how many are still pending), then waits until closed. */
function scriptedConsumer(script: ReadonlyArray<{ at: number; pending: number }>): Consumer {
  let pulls = 0;
  return {
    async fetch() {
      const first = ++pulls === 1;
      let wake: (() => void) | undefined;
      return {
        async close() {
          wake?.();
        },
        async *[Symbol.asyncIterator]() {
          if (first) {
            const t0 = performance.now();
            for (const s of script) {
              const wait = t0 + s.at - performance.now();
              if (wait > 0) await sleep(wait);
              yield { seq: s.at, info: { pending: s.pending }, ack() {}, nak() {} };
            }
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 2000);
          });
        },
      };
    },
  } as unknown as Consumer;
}

/** Milliseconds from the start to the first batch handed over, and the sizes of the batches. */
async function firstHandover(script: ReadonlyArray<{ at: number; pending: number }>, gatherMs: number): Promise<{ ms: number; batches: number[] }> {
  const t0 = performance.now();
  let ms = Number.NaN;
  const batches: number[] = [];
  const loop = new BatchLoop(scriptedConsumer(script), {
    batchSize: 100,
    gatherMs,
    toDelivery: () => ({ nak() {} }),
    handler: async (batch) => {
      if (batches.length === 0) ms = performance.now() - t0;
      batches.push(batch.length);
    },
  });
  await sleep(150);
  await loop.stop(100);
  return { ms, batches };
}

describe('the batch loop gathers a partial batch for gatherMs', () => {
  it('hands messages that come one by one over as one batch after the gathering time', async () => {
    const { ms, batches } = await firstHandover([{ at: 0, pending: 0 }, { at: 10, pending: 0 }, { at: 20, pending: 0 }], 60);
    assert.deepEqual(batches, [3]);
    assert.ok(ms >= 59, `handed over after ${ms.toFixed(1)} ms, before the 60 ms gathering time`);
  });

  it('is not held for the 20 ms linger by a message that said more were pending', async () => {
    // The linger (20 ms, for messages the server says are pending) must give way to a shorter
    // gathering time once the last message says none are. The best of three: timers run late
    // on a busy machine, never early.
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { ms, batches } = await firstHandover([{ at: 0, pending: 1 }, { at: 1, pending: 0 }], 5);
      assert.deepEqual(batches, [2]);
      times.push(ms);
    }
    assert.ok(Math.min(...times) < 18, `handed over after ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  });
});
