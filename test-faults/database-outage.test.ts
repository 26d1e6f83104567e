import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import { startLoad } from './harness/load.js';
import { answersLive, startSluice } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';
import { assertNothingLost, drain, measure, report } from './harness/verify.js';

let scenario: Scenario | undefined;
let proxy: TcpProxy | undefined;
after(async () => {
  await proxy?.close();
  await scenario?.close();
});

const OUTAGE_MS = 30_000;

test('PostgreSQL away for 30 s: workers back off and resume, nothing is dead-lettered or failed for it', { timeout: 240_000 }, async () => {
  const s = (scenario = await startScenario('pgout'));
  proxy = await startTcpProxy('127.0.0.1', 5432);
  const viaProxy = s.db.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`);
  // Two failed deliveries would dead-letter an event: an outage must never count as one.
  const workerEnv = (metricsPort: number) => s.env({ DATABASE_URL: viaProxy, SLUICE_MAX_DELIVER: '2', SLUICE_ACK_WAIT: '5s', METRICS_PORT: String(metricsPort) });
  const ports = [await s.freePort(), await s.freePort()];
  const workers = [
    s.track(await startSluice('worker', { name: 'worker 1', env: workerEnv(ports[0]!) })),
    s.track(await startSluice('worker', { name: 'worker 2', env: workerEnv(ports[1]!) })),
  ];
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port: await s.freePort(), env: s.env({ DATABASE_URL: viaProxy }) }));

  const load = startLoad('pgout', { url: () => gateway.url, clients: 3, eventsPerClient: 1500, pauseMs: 20 });
  await load.ackedAtLeast(300);
  proxy.cut();
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const pendingDuringOutage = (await s.consumerInfo()).num_pending + (await s.consumerInfo()).num_ack_pending;
  proxy.restore();
  await load.ackedAtLeast(load.acked.size + 200);
  await load.stop();

  const drainMs = await drain(s.db.query, load.acked, Number(process.env.FAULTS_DRAIN_MS ?? 120_000));
  const outcome = await measure(s.db.query, load.acked);
  const deadLetters = await s.deadLetters();
  const line = report('postgres_outage_30s', load, outcome, { dead_letters: deadLetters, backlog_at_restore: pendingDuringOutage, drain_ms: drainMs });
  if (outcome.lost > 0) for (const w of workers) console.log(`--- ${w.name}\n${w.logTail(40)}`);
  assertNothingLost(load, outcome, line);
  assert.equal(deadLetters, 0, `nothing dead-lettered for the outage (${line})`);
  assert.ok(pendingDuringOutage > 0, 'events waited on the bus during the outage');
  assert.ok(await answersLive(gateway.url), 'the gateway answers /health/live');
  for (const port of ports) assert.ok(await answersLive(`http://127.0.0.1:${port}`), 'each worker answers /health/live');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  for (const w of workers) assert.ok(await stopsWhenTold(w), `${w.name} exits 0 on SIGTERM:\n${w.logTail()}`);
});
