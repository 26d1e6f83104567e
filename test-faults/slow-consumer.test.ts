import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startLoad } from './harness/load.js';
import { answersLive, startSluice } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import { assertNothingLost, drain, measure, report } from './harness/verify.js';

let scenario: Scenario | undefined;
let proxy: TcpProxy | undefined;
after(async () => {
  await proxy?.close();
  await scenario?.close();
});

test('a worker whose database writes stall past the ack wait: JetStream redelivers, the database still holds each event once', { timeout: 180_000 }, async () => {
  const s = (scenario = await startScenario('slow'));
  proxy = await startTcpProxy('127.0.0.1', 5432);
  const viaProxy = s.db.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`);
  const env = (databaseUrl: string, metricsPort: number) =>
    s.env({ DATABASE_URL: databaseUrl, SLUICE_ACK_WAIT: '2s', SLUICE_WORKER_BATCH: '50', METRICS_PORT: String(metricsPort) });
  const slowPort = await s.freePort();
  const fastPort = await s.freePort();
  const slow = s.track(await startSluice('worker', { name: 'slow worker', env: env(viaProxy, slowPort) }));
  const fast = s.track(await startSluice('worker', { name: 'fast worker', env: env(s.db.url, fastPort) }));
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port: await s.freePort(), env: s.env() }));

  const acks = await s.watchAcks();
  const load = startLoad('slow', { url: () => gateway.url, clients: 3, eventsPerClient: 800, pauseMs: 5 });
  await load.ackedAtLeast(300);
  for (let round = 0; round < 2; round++) {
    // Hold the slow worker's database traffic for three ack waits: JetStream redelivers its batch to the other worker meanwhile.
    await proxy.stall(6000);
    await load.ackedAtLeast(load.acked.size + 200);
  }
  await load.stop();

  await drain(s.db.query, load.acked);
  const outcome = await measure(s.db.query, load.acked);
  const redelivered = acks.redelivered();
  await acks.stop();
  const line = report('slow_consumer', load, outcome, { redelivered_acked: redelivered });
  assertNothingLost(load, outcome, line);
  assert.ok(redelivered > 0, `JetStream redelivered the stalled worker's messages (${line})`);
  assert.ok(await answersLive(gateway.url), 'the gateway answers /health/live');
  for (const port of [slowPort, fastPort]) assert.ok(await answersLive(`http://127.0.0.1:${port}`), 'each worker answers /health/live');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  for (const w of [slow, fast]) assert.ok(await stopsWhenTold(w), `${w.name} exits 0 on SIGTERM:\n${w.logTail()}`);
});
