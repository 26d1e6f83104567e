import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { newEventId } from '../src/envelope/index.js';
import { startLoad } from './harness/load.js';
import { answersLive, startSluice } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';
import { drain, measure, report } from './harness/verify.js';

let scenario: Scenario | undefined;
after(async () => scenario?.close());

/** What a NATS client can publish past the gateway's checks, each refused by PostgreSQL or unreadable as sent. */
const POISONS: ReadonlyArray<{ type: string; data: string; headers: Record<string, string> }> = [
  { type: 'fault.poison', data: '{"x":1e-20000}', headers: {} },
  { type: 'fault.poison', data: '{"x":1e200000}', headers: {} },
  { type: 'fault.poison', data: '{}', headers: { 'ce-time': '0000-01-01T00:00:00Z' } },
  { type: 'fault.poison', data: '{}', headers: { 'ce-source': '/a\u0000b' } },
  // The entity row: a counter past bigint.
  { type: 'fault.count', data: '{"account":"poison","counter":100000000000000000000}', headers: {} },
  { type: 'fault.poison', data: '{}', headers: { 'sluice-received-at': '0000-06-01T00:00:00.000Z' } },
  { type: 'fault.poison', data: '{}', headers: { 'sluice-replay-seq': 'x', 'sluice-replay-id': 'y' } },
];

test('poison events published straight to NATS mid-load settle as failed, once each, and hold nothing back', { timeout: 240_000 }, async () => {
  const s = (scenario = await startScenario('poison'));
  const metricsPort = await s.freePort();
  const worker = s.track(await startSluice('worker', { name: 'worker', env: s.env({ SLUICE_MAX_DELIVER: '3', METRICS_PORT: String(metricsPort) }) }));
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port: await s.freePort(), env: s.env() }));

  const load = startLoad('poison', { url: () => gateway.url, clients: 3, eventsPerClient: 600, pauseMs: 1 });
  await load.ackedAtLeast(300);
  const nc = await connect({ servers: s.nats.url });
  const poisonIds: string[] = [];
  try {
    const js = jetstream(nc);
    for (let round = 0; round < 10; round++) {
      for (const poison of POISONS) {
        const id = newEventId();
        const h = natsHeaders();
        h.set('ce-id', id);
        h.set('ce-specversion', '1.0');
        h.set('ce-type', poison.type);
        h.set('ce-source', '/nats-client');
        h.set('sluice-received-at', new Date().toISOString());
        for (const [name, value] of Object.entries(poison.headers)) h.set(name, value);
        await js.publish(`${s.names.prefix}.${poison.type}`, new TextEncoder().encode(poison.data), { headers: h });
        poisonIds.push(id);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await nc.close();
  }
  await load.stop();

  const started = Date.now();
  await drain(s.db.query, load.acked);
  const failed = await s.db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND status = 'failed'", [poisonIds]);
  const settledPoison = Number(failed[0]!.n);
  const info = await s.consumerInfo();
  const deadLetters = await s.deadLetters();
  const measured = await measure(s.db.query, load.acked);
  // measure() groups archive rows by their data's "key": the poison events have none and fall in one group, which it counts as duplicates of each other.
  const outcome = { ...measured, duplicates: measured.duplicates - (poisonIds.length - 1) };
  const archived = await s.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[])', [[...load.acked.values()].map((e) => e.id)]);
  const poisonRows = await s.db.query<{ n: string }>('SELECT count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[])', [poisonIds]);
  const line = report('poison_events', load, outcome, { poison: poisonIds.length, poison_failed: settledPoison, dead_letters: deadLetters, drain_ms: Date.now() - started });
  // The shared checks, less those the poison events change on purpose (they are archived and failed, under ids no producer got).
  assert.deepEqual(load.stats.unexpected, [], `unexpected answers (${line})`);
  assert.deepEqual(load.stats.abandoned, [], `events that never got a 202 (${line})`);
  assert.equal(outcome.lost, 0, `acknowledged events lost (${line})`);
  assert.equal(outcome.duplicates, 0, `events stored twice (${line})`);
  assert.equal(outcome.persisted, outcome.acked, line);
  assert.equal(Number(archived[0]!.n), outcome.acked, `each acknowledged event archived once (${line})`);
  assert.deepEqual(outcome.entityMismatches, [], `entity rows (${line})`);
  assert.equal(outcome.stray, poisonIds.length, `only the poison events are archived beside the load (${line})`);
  assert.equal(Number(poisonRows[0]!.n), poisonIds.length, `each poison event archived once (${line})`);
  assert.equal(outcome.failed, poisonIds.length, `only the poison events failed (${line})`);
  assert.equal(settledPoison, poisonIds.length, `every poison event failed with its reason (${line})`);
  assert.equal(deadLetters, poisonIds.length, `one dead letter each (${line})`);
  assert.equal(info.num_ack_pending, 0, 'nothing left waiting for an ack');
  assert.equal(info.num_pending, 0, 'nothing left undelivered');
  assert.ok(await answersLive(gateway.url), 'the gateway answers /health/live');
  assert.ok(await answersLive(`http://127.0.0.1:${metricsPort}`), 'the worker answers /health/live');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  assert.ok(await stopsWhenTold(worker), `the worker exits 0 on SIGTERM:\n${worker.logTail()}`);
});
