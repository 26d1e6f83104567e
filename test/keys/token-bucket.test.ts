import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TokenBucket } from '../../src/gateway/keys/index.js';

describe('token bucket', () => {
  it('lets a burst of twice the rate through, then refuses with the wait until the next token', () => {
    const bucket = new TokenBucket(10, 20, 0);
    for (let i = 0; i < 20; i++) assert.equal(bucket.take(0), 0, `request ${i + 1} of the burst`);
    assert.equal(bucket.take(0), 100, 'one token every 100 ms at 10/s');
    assert.equal(bucket.take(50), 50);
    assert.equal(bucket.take(100), 0);
    assert.equal(bucket.take(100), 100);
  });

  it('refills at the rate and never holds more than its capacity', () => {
    const bucket = new TokenBucket(2, 4, 0);
    for (let i = 0; i < 4; i++) bucket.take(0);
    assert.ok(bucket.take(0) > 0);
    // A long quiet spell refills to the capacity, not beyond.
    let taken = 0;
    while (bucket.take(3_600_000) === 0) taken++;
    assert.equal(taken, 4);
  });

  it('over any schedule, lets through at most capacity + rate × elapsed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }), (rate, gaps) => {
        const bucket = new TokenBucket(rate, rate * 2, 0);
        let now = 0;
        let passed = 0;
        for (const gap of gaps) {
          now += gap;
          const wait = bucket.take(now);
          if (wait === 0) passed++;
          else assert.ok(wait > 0 && wait <= Math.ceil(1000 / rate));
        }
        assert.ok(passed <= rate * 2 + (rate * now) / 1000 + 1e-9, `${passed} passed in ${now} ms at ${rate}/s`);
      }),
    );
  });
});
