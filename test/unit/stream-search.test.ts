import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v7 as uuidV7 } from 'uuid';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { EventLookup } from '../../src/bus/jetstream/event-lookup.js';
import { StreamSearch, uuidV7Time } from '../../src/bus/jetstream/stream-search.js';
import { idFromIdempotencyKey, newEventId } from '../../src/envelope/index.js';
import { SluiceError } from '../../src/errors/index.js';

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

/** A JetStream manager whose consumer and stream info answer when told (with the state when asked), counting the requests. */
function pausedManager() {
  const waiting: Array<() => void> = [];
  let lastSeq = 10;
  const answer = <T>(value: T): Promise<T> => new Promise((resolve) => waiting.push(() => resolve(value)));
  const jsm = {
    consumers: { info: () => answer({ ack_floor: { stream_seq: 4 } }) },
    streams: { info: () => answer({ state: { last_seq: lastSeq, last_ts: new Date(0).toISOString() } }) },
  };
  return {
    jsm: jsm as unknown as JetStreamManager,
    requests: () => waiting.length,
    store: () => void lastSeq++,
    answerAll: async () => {
      for (const run of waiting.splice(0)) run();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('the unacknowledged range a lookup reads', () => {
  const settings = { stream: 'S', subjectPrefix: 'p', consumer: 'c', timeoutMs: 1000 };

  it('is read again, once, for all the lookups that came while a read was under way', async () => {
    const server = pausedManager();
    const search = new StreamSearch({} as JetStreamClient, server.jsm, settings, 1000);
    const first = search.unacknowledged();
    assert.equal(server.requests(), 2, 'one consumer info and one stream info');
    // An event stored while that read is under way: a lookup after it must not get the older read.
    server.store();
    const later = Array.from({ length: 100 }, () => search.unacknowledged());
    assert.equal(server.requests(), 2, 'the later lookups wait for the read under way to end');
    await server.answerAll();
    assert.deepEqual([(await first).floor, (await first).lastSeq], [4, 10]);
    assert.equal(server.requests(), 2, 'then one more read starts, for all 100 later lookups');
    await server.answerAll();
    for (const range of await Promise.all(later)) assert.deepEqual([range.floor, range.lastSeq], [4, 11]);
    const alone = search.unacknowledged();
    assert.equal(server.requests(), 2, 'a lookup after both reads starts its own');
    await server.answerAll();
    assert.equal((await alone).lastSeq, 11);
  });

  it('answers bus_unavailable when the server cannot be read, and reads again for the next lookup', async () => {
    let requests = 0;
    const jsm = {
      consumers: { info: () => (requests++, Promise.reject(new Error('timeout'))) },
      streams: { info: () => (requests++, Promise.resolve({ state: { last_seq: 3, last_ts: new Date(0).toISOString() } })) },
    } as unknown as JetStreamManager;
    const search = new StreamSearch({} as JetStreamClient, jsm, settings, 1000);
    await assert.rejects(search.unacknowledged(), (error: { code?: string }) => error.code === 'bus_unavailable');
    await assert.rejects(search.unacknowledged(), (error: { code?: string }) => error.code === 'bus_unavailable');
    assert.equal(requests, 4, 'no failed read is kept');
  });
});

describe('a lookup on a server that stopped answering', () => {
  it('is bus_unavailable once its deadline passes, not a wait for every request of the search to time out', async () => {
    const server = pausedManager();
    const settings = { stream: 'S', subjectPrefix: 'p', consumer: 'c', timeoutMs: 60_000 };
    const search = new StreamSearch({} as JetStreamClient, server.jsm, settings, 60_000);
    const nc = {} as NatsConnection;
    const lookup = new EventLookup(nc, server.jsm, search, { stream: 'S', subjectPrefix: 'p' }, 50);
    const started = Date.now();
    await assert.rejects(lookup.find(newEventId()), (error: unknown) => error instanceof SluiceError && error.code === 'bus_unavailable' && error.retryAfterSeconds === 1);
    const took = Date.now() - started;
    assert.ok(took >= 45 && took < 1000, `rejected after the 50 ms deadline (${took} ms)`);
    await server.answerAll();
  });
});

type Range = { floor: number; lastSeq: number; lastTime: number };

/** A StreamSearch whose reading of the stream is replaced: each search waits until the test settles it. */
function heldSearches() {
  const search = new StreamSearch({} as JetStreamClient, {} as JetStreamManager, { stream: 'S', subjectPrefix: 'p', consumer: 'c', timeoutMs: 1000 }, 1000);
  const started: Array<{ id: string; range: Range; settle: (seq: number | null | Error) => void }> = [];
  (search as unknown as { search: (id: string, range: Range) => Promise<number | null> }).search = (id, range) =>
    new Promise((resolve, reject) => started.push({ id, range, settle: (seq) => (seq instanceof Error ? reject(seq) : resolve(seq)) }));
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  return { search, started, turn };
}

describe('searches of the same id at once', () => {
  const range = (lastSeq: number, floor = 0): Range => ({ floor, lastSeq, lastTime: 0 });

  it('share one search when it reads as far as the later lookup', async () => {
    const { search, started, turn } = heldSearches();
    const first = search.find('a', range(10));
    const retry = search.find('a', range(10));
    await turn();
    assert.equal(started.length, 1);
    started[0]!.settle(7);
    assert.deepEqual(await Promise.all([first, retry]), [7, 7]);
  });

  it('read only the messages stored after the joined search once it finds nothing', async () => {
    const { search, started, turn } = heldSearches();
    const first = search.find('b', range(10, 2));
    const retry = search.find('b', range(15, 3));
    await turn();
    assert.equal(started.length, 1, 'the retry waits for the search under way');
    started[0]!.settle(null);
    assert.equal(await first, null);
    await turn();
    assert.equal(started.length, 2);
    assert.deepEqual([started[1]!.range.floor, started[1]!.range.lastSeq], [10, 15], 'above what the first search read');
    started[1]!.settle(14);
    assert.equal(await retry, 14);
  });

  it('search again for a lookup whose joined search failed', async () => {
    const { search, started, turn } = heldSearches();
    const first = search.find('c', range(10));
    const retry = search.find('c', range(10));
    await turn();
    started[0]!.settle(new Error('no answer'));
    await assert.rejects(first, (error: unknown) => error instanceof SluiceError && error.code === 'bus_unavailable');
    await turn();
    assert.equal(started.length, 2);
    started[1]!.settle(9);
    assert.equal(await retry, 9);
  });

  it('stand for what the joined search read, not for what it was asked', async () => {
    const { search, started, turn } = heldSearches();
    const wide = search.find('g', range(20));
    const narrow = search.find('g', range(10));
    await turn();
    started[0]!.settle(new Error('dropped'));
    await assert.rejects(wide);
    await turn();
    assert.deepEqual([started[1]!.range.floor, started[1]!.range.lastSeq], [0, 10], 'the joiner searched its own range');
    const later = search.find('g', range(15));
    started[1]!.settle(null);
    assert.equal(await narrow, null);
    await turn();
    assert.deepEqual([started[2]!.range.floor, started[2]!.range.lastSeq], [10, 15], 'what the joined search did not read is read');
    started[2]!.settle(null);
    assert.equal(await later, null);
    // Nothing is left over: the next lookup searches afresh.
    const next = search.find('g', range(15));
    await turn();
    assert.equal(started.length, 4);
    started[3]!.settle(null);
    assert.equal(await next, null);
  });

  it('read a short range whole when the joined search read only around the time of the id', async () => {
    const { search, started, turn } = heldSearches();
    const id = newEventId();
    const long = search.find(id, range(50_000));
    const alsoLong = search.find(id, range(50_000, 100));
    const short = search.find(id, range(50_000, 45_000));
    await turn();
    started[0]!.settle(null);
    assert.deepEqual(await Promise.all([long, alsoLong]), [null, null], 'a long range would be read around the time too');
    await turn();
    assert.equal(started.length, 2);
    assert.deepEqual([started[1]!.range.floor, started[1]!.range.lastSeq], [45_000, 50_000]);
    started[1]!.settle(49_999);
    assert.equal(await short, 49_999);
  });

  it('drop a search still waiting its turn once its lookup has been answered', async () => {
    const { search, started, turn } = heldSearches();
    const running = [search.find('d', range(10)), search.find('e', range(10))];
    const late = new AbortController();
    const waiting = search.find('f', range(10), late.signal);
    await turn();
    assert.equal(started.length, 2, 'two searches at once; the third waits');
    late.abort();
    await assert.rejects(waiting, (error: unknown) => error instanceof SluiceError && error.code === 'bus_unavailable');
    for (const s of started) s.settle(null);
    assert.deepEqual(await Promise.all(running), [null, null]);
    await turn();
    assert.equal(started.length, 2, 'the dropped one never searched');
  });
});

describe('a lookup whose search stalls after the range was read', () => {
  it('is bus_unavailable at its deadline though its first requests were answered', async () => {
    const server = pausedManager();
    const held = heldSearches();
    const lookup = new EventLookup({} as NatsConnection, server.jsm, held.search, { stream: 'S', subjectPrefix: 'p' }, 100);
    // The range is read through its own manager here: the held search's reads are the ones that stall.
    (held.search as unknown as { unacknowledged: () => Promise<Range> }).unacknowledged = async () => ({ floor: 4, lastSeq: 10, lastTime: 0 });
    const started = Date.now();
    await assert.rejects(lookup.find(newEventId()), (error: unknown) => error instanceof SluiceError && error.code === 'bus_unavailable');
    const took = Date.now() - started;
    assert.ok(took >= 95 && took < 1000, `after the 100 ms deadline (${took} ms)`);
    assert.equal(held.started.length, 1, 'the search had begun, and goes on');
    held.started[0]!.settle(null);
  });
});
