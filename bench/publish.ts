/**
 * Pipelined JetStream publishing in its own process, with Sluice's connection settings.
 *   raw <natsUrl> <subject> <seconds>            baseline: payload only, 1000 in flight; prints {published, seconds}
 *   raw-headers <natsUrl> <subject> <seconds>    the same with Sluice's headers and Nats-Msg-Id (attributes their cost)
 *   prefill <natsUrl> <prefix> <count>           Sluice envelopes (half of them entity events) for the worker drain
 *   paced <natsUrl> <subject> <rate> <seconds>   the latency floor: publishes due at an even rate, each latency counted
 *                                                from when it was due to its ack (as bench/paced.ts counts HTTP); 1 s warm-up
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { connectionOptions } from '../src/bus/jetstream/connect.js';
import { envelopeHeaders } from '../src/bus/jetstream/wire.js';
import { newEventId } from '../src/envelope/index.js';
import { eventBody } from './payload.js';
import { percentile } from './percentile.js';
import { onSchedule } from './schedule.js';

const IN_FLIGHT = 1000;
const [mode, natsUrl, target, amount, pacedSeconds] = process.argv.slice(2);
const nc = await connect(connectionOptions({ servers: [natsUrl!], connectAttempts: 1, connectDelayMs: 0 }));
const js = jetstream(nc, { timeout: 30_000 });
const encoder = new TextEncoder();

/** Keeps IN_FLIGHT publishes outstanding until `next` returns null. */
async function pipeline(next: (i: number) => (() => Promise<unknown>) | null): Promise<number> {
  let i = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    for (;;) {
      const task = next(i++);
      if (task === null) return;
      await task();
      done++;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  return done;
}

if (mode === 'raw') {
  const payload = encoder.encode(eventBody(0));
  const until = performance.now() + Number(amount) * 1000;
  const t0 = performance.now();
  const published = await pipeline(() => (performance.now() < until ? () => js.publish(target!, payload) : null));
  process.stdout.write(`${JSON.stringify({ published, seconds: (performance.now() - t0) / 1000 })}\n`);
} else if (mode === 'raw-headers') {
  const payload = encoder.encode(eventBody(0));
  const receivedAt = new Date().toISOString();
  const until = performance.now() + Number(amount) * 1000;
  const t0 = performance.now();
  const published = await pipeline(() => {
    if (performance.now() >= until) return null;
    const id = newEventId();
    const headers = envelopeHeaders({ id, type: 'order.created', source: '/bench', time: receivedAt, receivedAt, data: payload, dataContentType: 'application/json' });
    return () => js.publish(target!, payload, { msgID: id, headers });
  });
  process.stdout.write(`${JSON.stringify({ published, seconds: (performance.now() - t0) / 1000 })}\n`);
} else if (mode === 'prefill') {
  const count = Number(amount);
  const receivedAt = new Date().toISOString();
  const published = await pipeline((i) => {
    if (i >= count) return null;
    const type = i % 2 === 0 ? 'order.created' : 'page.viewed';
    const id = newEventId();
    const envelope = { id, type, source: '/bench', time: receivedAt, receivedAt, data: encoder.encode(eventBody(i)), dataContentType: 'application/json' };
    return () => js.publish(`${target}.${type}`, envelope.data, { msgID: id, headers: envelopeHeaders(envelope) });
  });
  process.stdout.write(`${JSON.stringify({ published })}\n`);
} else if (mode === 'paced') {
  const payload = encoder.encode(eventBody(0));
  const rate = Number(amount);
  const warmup = rate;
  const total = warmup + Math.round(rate * Number(pacedSeconds));
  const latencies: number[] = [];
  await onSchedule(performance.now(), rate, total, (index, dueAt) => {
    void js.publish(target!, payload).then(() => {
      if (index >= warmup) latencies.push(performance.now() - dueAt);
    });
  });
  await nc.flush();
  const deadline = performance.now() + 10_000;
  while (latencies.length < total - warmup && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number): number => Math.round(percentile(sorted, p) * 100) / 100;
  process.stdout.write(`${JSON.stringify({ published: latencies.length, p50: at(50), p99: at(99) })}\n`);
}
await nc.drain();
