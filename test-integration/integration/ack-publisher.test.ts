import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AckPublisher } from '../../src/bus/jetstream/ack-publisher.js';
import { SHARED_NATS_URL } from '../../test/helpers/nats.js';

const unique = `acktest${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

const headers = (): Uint8Array => new TextEncoder().encode('NATS/1.0\r\nX-Test: 1\r\n\r\n');

describe('AckPublisher', () => {
  let nc: NatsConnection;
  before(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
  });
  after(async () => {
    await nc.close();
  });

  it('answers each message in order: its ack, the refusal of a missing stream, or a timeout', async () => {
    // A stand-in for JetStream on one subject: answers like a stream ack, with its own sequence.
    let seq = 0;
    const fake = nc.subscribe(`${unique}.acked`, { callback: (_e, m) => void m.respond(JSON.stringify({ stream: 'x', seq: ++seq })) });
    // Takes messages and never answers.
    const silent = nc.subscribe(`${unique}.silent`, { callback: () => undefined });
    await nc.flush();
    const publisher = new AckPublisher(nc, 400);
    try {
      const data = new TextEncoder().encode('{}');
      const started = performance.now();
      const results = await publisher.publishMany([
        { subject: `${unique}.acked`, data, headers: headers() },
        { subject: `${unique}.nobody`, data, headers: headers() },
        { subject: `${unique}.silent`, data, headers: headers() },
        { subject: `${unique}.acked`, data, headers: headers() },
      ]);
      assert.equal(results.length, 4);
      assert.deepEqual(results[0], { seq: 1, duplicate: false });
      assert.ok(results[1] instanceof Error && /no responders/.test(results[1].message), String(results[1]));
      assert.ok(results[2] instanceof Error && results[2].message === 'timeout', String(results[2]));
      assert.deepEqual(results[3], { seq: 2, duplicate: false });
      assert.ok(performance.now() - started >= 350, 'the batch waited for the timeout of its silent message');
      assert.deepEqual(await publisher.publishMany([]), []);
    } finally {
      publisher.close();
      fake.unsubscribe();
      silent.unsubscribe();
    }
  });

  it('writes the publishes of one loop turn together, after the turn, each answered to its own caller', async () => {
    let seq = 0;
    const seen: string[] = [];
    const fake = nc.subscribe(`${unique}.turn`, {
      callback: (_e, m) => {
        seen.push(m.headers?.get('X-Test') ?? '');
        m.respond(JSON.stringify({ stream: 'x', seq: ++seq }));
      },
    });
    await nc.flush();
    const publisher = new AckPublisher(nc, 1000);
    try {
      const data = new TextEncoder().encode('{}');
      const before = nc.stats().outMsgs;
      const single = [1, 2].map(() => publisher.publish({ subject: `${unique}.turn`, data, headers: headers() }));
      const refused = assert.rejects(publisher.publish({ subject: `${unique}.nobody`, data, headers: headers() }), /no responders/);
      assert.equal(nc.stats().outMsgs, before, 'nothing is written before the loop turn ends');
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(nc.stats().outMsgs, before + 3, 'the three are written in the next turn');
      assert.deepEqual(await Promise.all(single), [
        { seq: 1, duplicate: false },
        { seq: 2, duplicate: false },
      ]);
      await refused;
      assert.deepEqual(seen, ['1', '1'], 'the encoded header block arrives as headers');
    } finally {
      publisher.close();
      fake.unsubscribe();
    }
  });
});
