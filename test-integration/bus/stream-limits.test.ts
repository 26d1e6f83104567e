import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { DiscardPolicy, jetstreamManager } from '@nats-io/jetstream';
import { http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { SHARED_NATS_URL, deleteStreams, uniqueNames } from '../../test/helpers/nats.js';

type Accepted = { id: string; seq: number };
type ErrorBody = { error: { code: string; message: string } };

/**
 * With STREAM_MAX_MSGS / STREAM_MAX_BYTES the stream refuses new events (503) rather than
 * dropping its oldest, which can be accepted events no worker has written yet.
 */
describe('a full stream refuses new events and keeps the accepted ones', () => {
  let p: TestPipeline;
  before(async () => {
    // No worker: the accepted events stay unwritten while the stream fills.
    p = await startTestPipeline({ worker: false, env: { STREAM_MAX_MSGS: '4' } });
  });
  after(async () => {
    await p?.stop();
  });

  it('answers 503 bus_unavailable with Retry-After at STREAM_MAX_MSGS, and every accepted event stays', async () => {
    const accepted: Accepted[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await http<Accepted>(`${p.url}/events/limit.test`, { body: { i } });
      assert.equal(r.status, 202);
      accepted.push(r.body);
    }
    const batch = await http<{ accepted: number; results: Array<{ message_id?: string; error?: { code: string } }> }>(`${p.url}/ingest/batch?type=limit.test`, {
      raw: '{"b":1}\n{"b":2}\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(batch.status, 202, 'one line fit');
    assert.equal(batch.body.accepted, 1);
    assert.equal(batch.body.results[1]?.error?.code, 'bus_unavailable');
    const full = await http<ErrorBody>(`${p.url}/events/limit.test`, { body: { i: 99 } });
    assert.equal(full.status, 503);
    assert.equal(full.body.error.code, 'bus_unavailable');
    assert.match(full.body.error.message, /STREAM_MAX_MSGS/);
    assert.ok(Number(full.headers.get('retry-after')) >= 1);
    for (const event of accepted) {
      const r = await http<{ status: string }>(`${p.url}/events/${event.id}`);
      assert.equal(r.status, 200, `accepted event ${event.id} is still there`);
    }
    const nc = await connect({ servers: SHARED_NATS_URL });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(p.names.stream);
      assert.equal(info.state.messages, 4);
      assert.equal(info.state.first_seq, 1, 'nothing was discarded');
    } finally {
      await nc.close();
    }
  });
});

describe('an existing stream that discards its oldest is updated at start', () => {
  const names = uniqueNames('disc');
  after(async () => {
    await deleteStreams(SHARED_NATS_URL, names.stream).catch(() => undefined);
  });

  it('switches discard to new', async () => {
    const nc = await connect({ servers: SHARED_NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: names.stream, subjects: [`${names.prefix}.>`], discard: DiscardPolicy.Old, max_msgs: 10 });
      const p = await startTestPipeline({ worker: false, env: { NATS_STREAM: names.stream, NATS_SUBJECT_PREFIX: names.prefix, STREAM_MAX_MSGS: '10' } });
      await p.stop();
      const info = await jsm.streams.info(names.stream);
      assert.equal(info.config.discard, DiscardPolicy.New);
    } finally {
      await nc.close();
    }
  });
});
