import { setTimeout as sleep } from 'node:timers/promises';
import type { BusPort, ConsumeOptions, ConsumerHandle, Delivery } from '../../src/bus/port.js';
import { newEventId, type EventEnvelope } from '../../src/envelope/index.js';

export { sleep };

/** An event envelope with JSON data; `extra` overrides any attribute. */
export function makeEnvelope(type: string, data: unknown, extra: Partial<EventEnvelope> = {}): EventEnvelope {
  const now = new Date().toISOString();
  return {
    id: newEventId(),
    type,
    source: '/contract',
    time: now,
    receivedAt: now,
    data: new TextEncoder().encode(JSON.stringify(data)),
    dataContentType: 'application/json',
    ...extra,
  };
}

export function dataOf(delivery: { envelope: EventEnvelope }): unknown {
  return JSON.parse(new TextDecoder().decode(delivery.envelope.data));
}

/** Polls `check` until it returns true, or fails after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A consumer that records every delivery and settles it with `settle` (ack by default). */
export interface Recorder {
  readonly deliveries: Delivery[];
  readonly batches: number[];
  /** Most batch calls running at once. */
  readonly maxConcurrent: () => number;
  readonly handle: ConsumerHandle;
}

export async function record(
  bus: BusPort,
  options: Partial<ConsumeOptions> & { durable: string },
  settle: (d: Delivery) => void | Promise<void> = (d) => d.ack(),
): Promise<Recorder> {
  const deliveries: Delivery[] = [];
  const batches: number[] = [];
  let running = 0;
  let maxConcurrent = 0;
  const handle = await bus.consume({ batchSize: 10, ackWaitMs: 5000, ...options }, async (batch) => {
    running += 1;
    maxConcurrent = Math.max(maxConcurrent, running);
    batches.push(batch.length);
    try {
      for (const d of batch) {
        deliveries.push(d);
        await settle(d);
      }
    } finally {
      running -= 1;
    }
  });
  return { deliveries, batches, maxConcurrent: () => maxConcurrent, handle };
}

/** A unique durable or type token per test, so runs against a shared server never meet. */
export function unique(prefix: string): string {
  return `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
}
