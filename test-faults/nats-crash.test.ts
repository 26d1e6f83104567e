import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startLoad } from './harness/load.js';
import { answersLive, startSluice } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';
import { assertNothingLost, drain, measure, report } from './harness/verify.js';

let scenario: Scenario | undefined;
after(async () => scenario?.close());

test('nats-server killed with SIGKILL and restarted on its store: 503 meanwhile, then the pipeline recovers by itself with nothing lost', { timeout: 180_000 }, async () => {
  const s = (scenario = await startScenario('natskill'));
  const metricsPort = await s.freePort();
  const worker = s.track(await startSluice('worker', { name: 'worker', env: s.env({ METRICS_PORT: String(metricsPort) }) }));
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port: await s.freePort(), env: s.env({ SLUICE_PUBLISH_TIMEOUT: '2s' }) }));

  const load = startLoad('natskill', { url: () => gateway.url, clients: 3, eventsPerClient: 700, pauseMs: 2, retryDelayMs: 100 });
  await load.ackedAtLeast(400);
  await s.nats.kill('SIGKILL');
  const downAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const during = { ...load.stats };
  await s.nats.restart();
  const upAt = Date.now();
  await load.ackedAtLeast(load.acked.size + 400, 60_000);
  await load.stop();

  await drain(s.db.query, load.acked);
  const outcome = await measure(s.db.query, load.acked);
  const line = report('nats_sigkill', load, outcome, { answered_503: load.stats.unavailable, nats_down_ms: upAt - downAt });
  assertNothingLost(load, outcome, line);
  assert.ok(during.unavailable > 0, `the gateway answered 503 while NATS was down (${line})`);
  assert.ok(load.stats.longestUnavailableMs < upAt - downAt + 20_000, `recovered within 20 s of NATS coming back (${line})`);
  assert.ok(await answersLive(gateway.url), 'the gateway answers /health/live');
  assert.ok(await answersLive(`http://127.0.0.1:${metricsPort}`), 'the worker answers /health/live');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  assert.ok(await stopsWhenTold(worker), `the worker exits 0 on SIGTERM:\n${worker.logTail()}`);
});
