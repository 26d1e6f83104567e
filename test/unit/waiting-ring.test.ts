import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WaitingRing } from '../../src/bus/jetstream/waiting-ring.js';

test('takes each entry once, by its number, in any order', () => {
  const ring = new WaitingRing<string>();
  for (let n = 0; n < 10; n++) ring.set(n, `e${n}`);
  assert.equal(ring.size, 10);
  assert.equal(ring.take(7), 'e7');
  assert.equal(ring.take(7), undefined, 'a second answer for the same number finds nothing');
  assert.equal(ring.take(0), 'e0');
  assert.equal(ring.take(42), undefined, 'a number never set');
  assert.equal(ring.take(Number.NaN), undefined, 'a reply subject that is not a number');
  assert.equal(ring.take(-1), undefined);
  assert.equal(ring.size, 8);
});

test('a number that wraps onto one still waiting grows the ring, and both stay reachable', () => {
  const ring = new WaitingRing<number>();
  ring.set(5, 5); // never answered, like a publish waiting for its timeout
  for (let n = 6; n < 10_000; n++) {
    ring.set(n, n);
    assert.equal(ring.take(n), n);
  }
  assert.equal(ring.take(5), 5, 'the old entry survived every growth');
  assert.equal(ring.size, 0);
});

test('many waiting at once, answered out of order', () => {
  const ring = new WaitingRing<number>();
  const numbers = Array.from({ length: 5000 }, (_, i) => 1_000_000 + i);
  for (const n of numbers) ring.set(n, n);
  assert.equal(ring.size, 5000);
  for (const n of [...numbers].reverse()) assert.equal(ring.take(n), n);
  assert.equal(ring.size, 0);
});

test('takeWhere removes and returns what it picks, and leaves the rest', () => {
  const ring = new WaitingRing<{ n: number; deadline: number }>();
  for (let n = 0; n < 6; n++) ring.set(n, { n, deadline: n < 3 ? 10 : 100 });
  const expired = ring.takeWhere((e) => e.deadline <= 50);
  assert.deepEqual(expired.map((e) => e.n).sort(), [0, 1, 2]);
  assert.equal(ring.size, 3);
  assert.equal(ring.take(1), undefined);
  assert.equal(ring.take(4)?.n, 4);
  assert.deepEqual(ring.takeWhere(() => true).map((e) => e.n).sort(), [3, 5]);
  assert.equal(ring.size, 0);
  assert.deepEqual(ring.takeWhere(() => true), []);
});
