// On a real NATS server: the pre-encoded header block that AckPublisher hands to nats.js is
// what a JetStream consumer receives, and the worker's fast path finds that block in the
// consumed message (rawHeaderBlock), so it never falls back to MsgHdrs unnoticed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPublisher } from '../../src/bus/jetstream/ack-publisher.js';
import { decodeEnvelope, encodeEnvelopeHeaders, rawHeaderBlock } from '../../src/bus/jetstream/wire.js';
import type { EventEnvelope } from '../../src/envelope/index.js';
import { SHARED_NATS_URL, deleteStreams, uniqueNames } from '../../test/helpers/nats.js';

const names = uniqueNames('internals');
const envelope: EventEnvelope = {
  id: '0192c5a0-7a3e-7cc0-9a1b-3f2d4e5f6a7c',
  type: 'order.created',
  source: '/shop',
  subject: 'o-1',
  time: '2026-11-25T06:00:00.000Z',
  receivedAt: '2026-11-25T06:00:00.123Z',
  data: new TextEncoder().encode('{"order_id":"o-1"}'),
  dataContentType: 'application/json',
  extensions: { tenant: 'acme' },
};

describe('nats.js internals on a real server', () => {
  let nc: NatsConnection;
  before(async () => {
    nc = await connect({ servers: SHARED_NATS_URL });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: names.stream, subjects: [`${names.prefix}.>`] });
  });
  after(async () => {
    await nc?.close();
    await deleteStreams(SHARED_NATS_URL, names.stream);
  });

  it('a block published through AckPublisher comes back whole, where rawHeaderBlock finds it', async () => {
    const block = encodeEnvelopeHeaders(envelope);
    const publisher = new AckPublisher(nc, 5000);
    try {
      const ack = await publisher.publish({ subject: `${names.prefix}.order.created`, data: envelope.data, headers: block });
      assert.equal(ack.seq, 1);
    } finally {
      publisher.close();
    }
    const consumer = await jetstream(nc).consumers.get(names.stream);
    const m = await consumer.next({ expires: 5000 });
    assert.ok(m !== null, 'the message is consumed');
    const found = rawHeaderBlock(m);
    assert.ok(found !== undefined, 'the worker reads the raw header block, not MsgHdrs');
    assert.deepEqual(new Uint8Array(found), new Uint8Array(block));
    const decoded = decodeEnvelope(m.headers, m.data, m.subject, names.prefix)?.envelope;
    assert.deepEqual({ ...decoded, data: new Uint8Array(decoded?.data ?? []) }, envelope);
  });
});
