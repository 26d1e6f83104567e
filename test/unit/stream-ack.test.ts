import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JetStreamApiError } from '@nats-io/jetstream';
import { parseStreamAck } from '../../src/bus/jetstream/ack-publisher.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('reads the acks JetStream sends: first time, duplicate, with a domain', () => {
  assert.deepEqual(parseStreamAck(bytes('{"stream":"EVENTS", "seq":42}')), { seq: 42, duplicate: false });
  assert.deepEqual(parseStreamAck(bytes('{"stream":"EVENTS", "seq":42,"duplicate": true}')), { seq: 42, duplicate: true });
  assert.deepEqual(parseStreamAck(bytes('{"stream":"EVENTS","seq":7}')), { seq: 7, duplicate: false });
  assert.deepEqual(parseStreamAck(bytes('{"stream":"EVENTS", "domain":"hub", "seq":9, "duplicate":false}')), { seq: 9, duplicate: false });
});

test('turns an error answer or a malformed one into an Error', () => {
  const refused = parseStreamAck(bytes('{"error":{"code":503,"err_code":10077,"description":"maximum messages exceeded"}}'));
  assert.ok(refused instanceof JetStreamApiError && refused.message === 'maximum messages exceeded');
  assert.equal(refused.code, 10077, 'the API code travels with it, for the gateway to tell a full stream from an outage');
  assert.equal(refused.status, 503);
  for (const text of ['', 'not json', 'null', '{"stream":"S"}', '{"seq":"1"}']) {
    const answer = parseStreamAck(bytes(text));
    assert.ok(answer instanceof Error && answer.message === 'invalid ack response', `${text}: ${String(answer)}`);
  }
});
