import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { RecentIds } from '../../src/bus/recent-ids.js';

describe('RecentIds', () => {
  it('answers the sequence of a remembered id and nothing for an unknown one', () => {
    const recent = new RecentIds(10);
    const id = randomUUID();
    recent.remember(id, 42);
    assert.equal(recent.seqOf(id), 42);
    assert.equal(recent.seqOf(randomUUID()), undefined);
    assert.equal(recent.seqOf(id.toUpperCase()), undefined);
  });

  it('forgets the oldest ids first once full', () => {
    const recent = new RecentIds(1000);
    const ids = Array.from({ length: 2500 }, () => randomUUID());
    ids.forEach((id, i) => recent.remember(id, i + 1));
    for (let i = 0; i < 1500; i++) assert.equal(recent.seqOf(ids[i]!), undefined, `id ${i} should be gone`);
    for (let i = 1500; i < 2500; i++) assert.equal(recent.seqOf(ids[i]!), i + 1);
  });

  it('keeps ids that are not lower-case UUIDs, and forgets them in turn', () => {
    const recent = new RecentIds(3);
    recent.remember('order-1', 1);
    recent.remember('ABCDEF00-0000-4000-8000-000000000000', 2);
    const uuid = randomUUID();
    recent.remember(uuid, 3);
    assert.equal(recent.seqOf('order-1'), 1);
    assert.equal(recent.seqOf('ABCDEF00-0000-4000-8000-000000000000'), 2);
    assert.equal(recent.seqOf('abcdef00-0000-4000-8000-000000000000'), undefined);
    recent.remember('order-4', 4);
    assert.equal(recent.seqOf('order-1'), undefined);
    assert.equal(recent.seqOf(uuid), 3);
    assert.equal(recent.seqOf('order-4'), 4);
  });

  it('answers the latest sequence of an id remembered twice', () => {
    const recent = new RecentIds(5);
    const id = randomUUID();
    recent.remember(id, 1);
    recent.remember(id, 7);
    assert.equal(recent.seqOf(id), 7);
  });
});
