import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v7 as uuidV7 } from 'uuid';
import { uuidV7Time } from '../../src/bus/jetstream/stream-search.js';
import { idFromIdempotencyKey, newEventId } from '../../src/envelope/index.js';

describe('the time a UUIDv7 event id carries', () => {
  it('is the millisecond the id was made in, for the ids the gateway issues', () => {
    const before = Date.now();
    const id = newEventId();
    const at = uuidV7Time(id)!;
    assert.ok(at >= before && at <= Date.now(), `${at} within [${before}, now]`);
    assert.equal(uuidV7Time(uuidV7({ msecs: 1_700_000_000_123 })), 1_700_000_000_123);
  });

  it('is unknown for ids derived from a key and for other versions', () => {
    assert.equal(uuidV7Time(idFromIdempotencyKey('order.created', 'k-1')), undefined);
    assert.equal(uuidV7Time('0b6f7c4e-2a91-4c3e-9d0f-6a2b8e1f4c55'), undefined);
  });
});
