import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { v7 as uuidV7 } from 'uuid';
import { v7Text } from '../../src/envelope/ids.js';
import {
  eventTypeProblem,
  idFromCloudEvent,
  idFromIdempotencyKey,
  isEventId,
  jsonTextProblem,
  newEventId,
  typeMatches,
  typePatternProblem,
} from '../../src/envelope/index.js';

describe('event types and patterns', () => {
  it('accepts dot-separated tokens and refuses anything else', () => {
    for (const ok of ['order.created', 'a', 'A_b-c.d9', 'x'.repeat(200)]) assert.equal(eventTypeProblem(ok), null, ok);
    for (const bad of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>', 'é', 'x'.repeat(201)]) assert.notEqual(eventTypeProblem(bad), null, bad);
  });

  it('matches NATS-style wildcards', () => {
    assert.ok(typeMatches('order.*', 'order.created'));
    assert.ok(!typeMatches('order.*', 'order.created.v2'));
    assert.ok(typeMatches('order.>', 'order.created.v2'));
    assert.ok(!typeMatches('order.>', 'order'));
    assert.ok(typeMatches('*.created', 'user.created'));
    assert.ok(typeMatches('>', 'anything.at.all'));
    assert.ok(!typeMatches('order.created', 'order.updated'));
    assert.equal(typePatternProblem('order.>'), null);
    assert.notEqual(typePatternProblem('order.>.x'), null);
  });
});

describe('ids', () => {
  it('derives the same id from the same idempotency key, and a different one from another', () => {
    assert.equal(idFromIdempotencyKey('a.b', 'k'), idFromIdempotencyKey('a.b', 'k'));
    assert.notEqual(idFromIdempotencyKey('a.b', 'k'), idFromIdempotencyKey('a.b', 'k2'));
    assert.equal(idFromCloudEvent('/s', '1'), idFromCloudEvent('/s', '1'));
    assert.notEqual(idFromCloudEvent('/s', '1'), idFromCloudEvent('/t', '1'));
    assert.ok(isEventId(newEventId()));
    assert.ok(!isEventId('not-a-uuid'));
  });

  it("writes a UUID v7 exactly as uuid's v7 does from the same time, counter and random bytes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 48 - 1 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (msecs, seq, random) => {
          assert.equal(v7Text(msecs, seq, random), uuidV7({ msecs, seq, random }));
          assert.equal(v7Text(msecs, seq, Uint8Array.from([...random, ...random]), 16), uuidV7({ msecs, seq, random }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('makes ids that sort in the order they were made', () => {
    const ids = Array.from({ length: 5000 }, () => newEventId());
    assert.deepEqual([...ids].sort(), ids);
    assert.ok(ids.every(isEventId));
  });
});

describe('JSON text PostgreSQL can store', () => {
  it('refuses \\u0000 and unpaired surrogates, accepts pairs', () => {
    assert.match(jsonTextProblem('{"a":"\\u0000"}') ?? '', /\\u0000/);
    assert.match(jsonTextProblem('"\\ud800"') ?? '', /unpaired/);
    assert.match(jsonTextProblem('"\\udc00x"') ?? '', /low surrogate/);
    assert.equal(jsonTextProblem('"\\ud83d\\ude00"'), null);
    assert.equal(jsonTextProblem('{"a":"\\u00e9"}'), null);
  });

  it('refuses nesting deeper than jsonb takes and numbers beyond numeric', () => {
    assert.match(jsonTextProblem('['.repeat(1001) + ']'.repeat(1001)) ?? '', /nested deeper/);
    assert.equal(jsonTextProblem('['.repeat(999) + ']'.repeat(999)), null);
    assert.match(jsonTextProblem('1e999999') ?? '', /too large/);
    assert.match(jsonTextProblem('{"x":1e-20000}') ?? '', /after the decimal point/);
    assert.equal(jsonTextProblem('{"note":"e1234567 in a string"}'), null);
  });
});
