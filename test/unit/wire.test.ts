import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { decodeEnvelope, decodeEnvelopeFromBlock, encodeEnvelopeHeaders, envelopeHeaders, headerPairs } from '../../src/bus/jetstream/wire.js';
import type { EventEnvelope } from '../../src/envelope/index.js';

const encoder = new TextEncoder();

/** The header block nats.js writes for these headers: what a consumer receives. */
function blockOf(h: ReturnType<typeof natsHeaders>): Uint8Array {
  return (h as unknown as { encode(): Uint8Array }).encode();
}

const full: EventEnvelope = {
  id: '0192c5a0-7a3e-7cc0-9a1b-3f2d4e5f6a7b',
  type: 'order.created',
  source: 'https://shop.example/ünïcode: with colon',
  subject: 'orders/42',
  time: '2026-11-25T06:00:00.000Z',
  receivedAt: '2026-11-25T06:00:00.123Z',
  data: encoder.encode('{"a":1}'),
  dataContentType: 'text/plain; charset=utf-8',
  dataSchema: 'https://schemas.example/order.json',
  originId: 'origin-1',
  entity: 'Order',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  extensions: { tenant: 'acme', region: 'eu west' },
};

test('the header block reader decodes what the MsgHdrs reader decodes', () => {
  const minimal: EventEnvelope = { id: 'id-1', type: 't.x', source: '/s', time: full.time, receivedAt: full.receivedAt, data: full.data, dataContentType: 'application/json' };
  for (const envelope of [full, minimal]) {
    for (const replay of [undefined, { originalSeq: 7, replayId: 'r-1' }]) {
      const h = envelopeHeaders(envelope, replay);
      const viaHeaders = decodeEnvelope(h, envelope.data, 'p.order.created', 'p');
      const viaBlock = decodeEnvelopeFromBlock(blockOf(h), envelope.data, 'p.order.created', 'p');
      assert.deepEqual(viaBlock, viaHeaders);
      assert.deepEqual(viaBlock?.envelope, envelope);
      assert.deepEqual(viaBlock?.replay, replay);
    }
  }
});

test('header lines are split as nats.js splits them: first colon, trimmed value, status line skipped', () => {
  assert.deepEqual(headerPairs('NATS/1.0\r\nA: 1\r\nB:two: three \r\nnocolon\r\n\r\n'), ['A', '1', 'B', 'two: three']);
  assert.deepEqual(headerPairs('NATS/1.0 503 No Responders\r\n\r\n'), []);
  assert.deepEqual(headerPairs('NATS/1.0'), []);
});

test('a repeated header keeps its first value, as MsgHdrs.get does', () => {
  const h = natsHeaders();
  h.append('ce-id', 'first');
  h.append('ce-id', 'second');
  h.append('ce-tenant', 'a');
  h.append('ce-tenant', 'b');
  const viaBlock = decodeEnvelopeFromBlock(blockOf(h), new Uint8Array(), 'p.t', 'p');
  assert.equal(viaBlock?.envelope.id, 'first');
  assert.deepEqual(viaBlock?.envelope.extensions, { tenant: 'a' });
  assert.deepEqual(viaBlock, decodeEnvelope(h, new Uint8Array(), 'p.t', 'p'));
});

test('a message without an event id is not a Sluice event', () => {
  const h = natsHeaders();
  h.set('other', 'x');
  assert.equal(decodeEnvelopeFromBlock(blockOf(h), new Uint8Array(), 'p.t', 'p'), null);
});

test('the encoded header block is byte for byte the block MsgHdrs encodes', () => {
  const minimal: EventEnvelope = { id: 'id-1', type: 't.x', source: ' /padded ', time: full.time, receivedAt: full.receivedAt, data: full.data, dataContentType: 'application/json' };
  // An extension named like a header Sluice sets replaces it in MsgHdrs; the encoder hands that case to MsgHdrs.
  const clashing: EventEnvelope = { ...minimal, extensions: { type: 'other', tenant: 'acme' } };
  for (const envelope of [full, minimal, clashing]) {
    for (const replay of [undefined, { originalSeq: 7, replayId: 'r-1' }]) {
      assert.deepEqual(new Uint8Array(encodeEnvelopeHeaders(envelope, replay)), blockOf(envelopeHeaders(envelope, replay)));
    }
  }
});

test('the encoder refuses what MsgHdrs refuses, with the same message', () => {
  const broken: EventEnvelope[] = [
    { id: 'id-1', type: 't.x', source: '/s\r\nInjected: 1', time: full.time, receivedAt: full.receivedAt, data: full.data, dataContentType: 'application/json' },
    { id: 'id-1', type: 't.x', source: '/s', time: full.time, receivedAt: full.receivedAt, data: full.data, dataContentType: 'application/json', extensions: { 'bad name': 'x' } },
  ];
  for (const envelope of broken) {
    const viaMsgHdrs = (() => {
      try {
        envelopeHeaders(envelope);
        return 'no error';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    assert.notEqual(viaMsgHdrs, 'no error');
    assert.throws(() => encodeEnvelopeHeaders(envelope), { message: viaMsgHdrs });
  }
});
