import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { newEventId } from '../../src/envelope/index.js';
import { startNatsServer, type NatsServer } from '../../test/helpers/nats.js';
import { eventually, http, startTestPipeline, type TestPipeline } from '../../test/helpers/pipeline.js';
import { readDeadLetters, sendRecords, writeEntityFile } from '../../test/helpers/flows.js';
import { GAUGE_ENTITIES } from './gauge-entities.js';

const MAX_PAYLOAD = 16 * 1024;

interface Poison {
  readonly what: string;
  readonly layer: string;
  readonly id: string;
  /** Headers besides ce-id (a value of null leaves the header out). */
  readonly headers: Record<string, string | null>;
  readonly type: string;
  readonly data: string;
  /** Settles as persisted (read tolerantly) rather than failed. */
  readonly persists?: boolean;
}

/**
 * Events that fail in every layer, published straight to NATS (as any NATS client can, past
 * the gateway's checks) among ordinary ones: each settles, once, and nothing waits for it.
 */
describe('a poison event never stalls anything (JetStream + PostgreSQL)', { timeout: 180_000 }, () => {
  let nats: NatsServer;
  let p: TestPipeline;
  before(async () => {
    nats = await startNatsServer({ config: `max_payload: ${MAX_PAYLOAD}\n` });
    p = await startTestPipeline({
      natsUrl: nats.url,
      env: { SLUICE_ENTITIES: writeEntityFile(GAUGE_ENTITIES), SLUICE_MAX_DELIVER: '3', SLUICE_WORKER_BATCH: '50' },
    });
  });
  after(async () => {
    await p?.stop();
    await nats?.destroy();
  });

  const now = () => new Date().toISOString();
  const poisons: Poison[] = [
    { what: 'a number jsonb cannot hold', layer: 'archive row', id: newEventId(), type: 'mix.data', data: '{"x":1e-20000}', headers: {} },
    { what: 'a number too large for jsonb', layer: 'archive row', id: newEventId(), type: 'mix.data', data: '{"x":1e200000}', headers: {} },
    { what: 'a time before year 1', layer: 'archive row', id: newEventId(), type: 'mix.time', data: '{}', headers: { 'ce-time': '0000-01-01T00:00:00Z' } },
    { what: 'a NUL in an attribute', layer: 'archive and status rows', id: newEventId(), type: 'mix.nul', data: '{}', headers: { 'ce-source': '/a\u0000b' } },
    { what: 'a reading past a 64-bit integer', layer: 'entity row', id: newEventId(), type: 'gauge.read', data: '{"gauge_id":"g-1","reading":100000000000000000000}', headers: {} },
    { what: 'a time of receipt no partition can hold', layer: 'partition creation', id: newEventId(), type: 'mix.old', data: '{}', headers: { 'sluice-received-at': '0000-06-01T00:00:00.000Z' } },
    {
      what: 'a failed event whose dead letter would exceed max_payload',
      layer: 'dead-letter publish',
      id: newEventId(),
      type: 'gauge.read',
      // Its message fits with its headers (about 250 bytes); its dead letter's (about 450) would not.
      data: JSON.stringify({ gauge_id: 'g-2', reading: 'not a number', pad: 'x'.repeat(MAX_PAYLOAD - 400) }),
      headers: {},
    },
    { what: 'data labelled JSON that is not JSON', layer: 'archive row', id: newEventId(), type: 'mix.notjson', data: 'not json', headers: {} },
    { what: 'a replay mark that is no sequence', layer: 'decoding', id: newEventId(), type: 'mix.mark', data: '{}', headers: { 'sluice-replay-seq': 'abc', 'sluice-replay-id': newEventId() } },
    { what: 'no time of receipt', layer: 'decoding', id: newEventId(), type: 'mix.bare', data: '{"ok":true}', headers: { 'sluice-received-at': null }, persists: true },
  ];

  it('settles each one as failed with its reason and one dead letter, while ordinary events, the floor, the listing and replays flow past', async () => {
    const ordinaryBefore = await sendRecords(p.url, 'mix.ok', Array.from({ length: 5 }, (_, i) => ({ i })));
    const nc = await connect({ servers: nats.url });
    try {
      const js = (await import('@nats-io/jetstream')).jetstream(nc);
      for (const poison of poisons) {
        const h = natsHeaders();
        h.set('ce-id', poison.id);
        h.set('ce-specversion', '1.0');
        h.set('ce-type', poison.type);
        if (!('ce-source' in poison.headers)) h.set('ce-source', '/nats-client');
        if (!('sluice-received-at' in poison.headers)) h.set('sluice-received-at', now());
        for (const [name, value] of Object.entries(poison.headers)) if (value !== null) h.set(name, value);
        await js.publish(`${p.names.prefix}.${poison.type}`, new TextEncoder().encode(poison.data), { headers: h });
      }
    } finally {
      await nc.close();
    }
    const ordinaryAfter = await sendRecords(p.url, 'mix.ok', Array.from({ length: 5 }, (_, i) => ({ i: i + 5 })));
    const ordinary = [...ordinaryBefore, ...ordinaryAfter];
    const ids = [...ordinary, ...poisons.map((x) => x.id)];

    const statuses = await eventually(async () => {
      const rows = await p.db.query<{ message_id: string; status: string; error: string | null; attempts: number }>(
        'SELECT message_id, status, error, attempts FROM sluice.message_status WHERE message_id = ANY($1::uuid[])',
        [ids],
      );
      const settled = rows.filter((r) => r.status === 'persisted' || r.status === 'failed');
      if (settled.length === ids.length) return new Map(rows.map((r) => [r.message_id, r]));
      const unsettled = ids.filter((id) => !settled.some((r) => r.message_id === id));
      throw new Error(`not settled: ${unsettled.map((id) => `${poisons.find((x) => x.id === id)?.what ?? 'ordinary'} (${rows.find((r) => r.message_id === id)?.error ?? 'no status'})`).join('; ')}`);
    }, 60_000, 'every event settled');

    for (const id of ordinary) assert.equal(statuses.get(id)?.status, 'persisted');
    for (const poison of poisons) {
      const status = statuses.get(poison.id)!;
      assert.equal(status.status, poison.persists === true ? 'persisted' : 'failed', `${poison.what} (${poison.layer}): ${status.error}`);
      if (poison.persists !== true) assert.ok((status.error ?? '').length > 0, `${poison.what}: a reason`);
      assert.ok(status.attempts <= 3, `${poison.what}: within SLUICE_MAX_DELIVER (${status.attempts})`);
    }

    // One dead letter per failed event, never more.
    const letters = await eventually(async () => {
      const l = await readDeadLetters(p.names.stream, nats.url);
      return l.length >= poisons.filter((x) => x.persists !== true).length ? l : undefined;
    }, 20_000, 'the dead letters');
    for (const poison of poisons) {
      const mine = letters.filter((l) => l.id === poison.id);
      assert.equal(mine.length, poison.persists === true ? 0 : 1, `${poison.what}: ${mine.length} dead letters`);
    }

    // The consumer's floor passed every message; the listing shows every ordinary event.
    const lag = await eventually(async () => {
      const c = await connect({ servers: nats.url });
      try {
        const info = await (await jetstreamManager(c)).consumers.info(p.names.stream, p.names.consumer);
        return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
      } finally {
        await c.close();
      }
    }, 20_000, 'nothing pending for the consumer');
    assert.equal(lag.ack_floor.stream_seq, ordinary.length + poisons.length);
    const listed = await http<{ events: Array<{ id: string }> }>(`${p.url}/events?type=mix.ok&limit=100`);
    assert.deepEqual(new Set(listed.body.events.map((e) => e.id)), new Set(ordinary));

    // A replay of the failed events and an ordinary one goes through, and settles again.
    const replayIds = [poisons[0]!.id, poisons[4]!.id, ordinary[0]!];
    const r = await http<{ replay_id: string; replayed: number }>(`${p.url}/replay`, { body: { ids: replayIds } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await eventually(async () => {
      const g = await http<{ status: string; published: number }>(`${p.url}/replay/${r.body.replay_id}`);
      return g.body.status === 'done' ? g.body : undefined;
    }, 20_000, 'the replay done');
    await eventually(async () => {
      const rows = await p.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.message_status WHERE message_id = $1 AND attempts >= 2', [ordinary[0]]);
      return Number(rows[0]!.n) === 1 ? true : undefined;
    }, 20_000, 'the ordinary event replayed');
  });

  it('keeps a dead letter that would not fit without its data, with the stream sequence to find it by', async () => {
    const poison = poisons.find((x) => x.layer === 'dead-letter publish')!;
    const c = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(c);
      const info = await jsm.streams.info(`${p.names.stream}_DLQ`);
      let found = false;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(`${p.names.stream}_DLQ`, { seq }).catch(() => null);
        if (m === null || m.header.get('ce-id') !== poison.id) continue;
        found = true;
        assert.equal(m.data.byteLength, 0);
        assert.equal(Number(m.header.get('sluice-dlq-data-omitted')), poison.data.length);
        const original = (await jsm.streams.getMessage(p.names.stream, { seq: Number(m.header.get('sluice-dlq-stream-seq')) }))!;
        assert.equal(original.header.get('ce-id'), poison.id, 'the stream sequence leads to the event and its data');
        assert.equal(new TextDecoder().decode(original.data), poison.data);
      }
      assert.ok(found, 'its dead letter');
    } finally {
      await c.close();
    }
  });
});
