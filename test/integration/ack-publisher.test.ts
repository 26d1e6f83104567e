import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { AckPublisher } from '../../src/bus/jetstream/ack-publisher.js';
import { SHARED_NATS_URL } from '../helpers/nats.js';

const unique = `acktest${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

describe('AckPublisher.publishMany', () => {
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
});
