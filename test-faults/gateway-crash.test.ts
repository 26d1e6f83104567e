import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startLoad } from './harness/load.js';
import { answersLive, startSluice } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';
import { assertNothingLost, drain, measure, report } from './harness/verify.js';

let scenario: Scenario | undefined;
after(async () => scenario?.close());

test('a gateway killed with SIGKILL mid-load loses no acknowledged event and stores no retry twice', { timeout: 180_000 }, async () => {
  const s = (scenario = await startScenario('gwkill'));
  const metricsPort = await s.freePort();
  const worker = s.track(await startSluice('worker', { name: 'worker', env: s.env({ METRICS_PORT: String(metricsPort) }) }));
  const port = await s.freePort();
  let gateway = s.track(await startSluice('gateway', { name: 'gateway', port, env: s.env() }));

  const load = startLoad('gwkill', { url: () => gateway.url, clients: 4, eventsPerClient: 600, pauseMs: 2 });
  await load.ackedAtLeast(400);
  await gateway.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  gateway = s.track(await startSluice('gateway', { name: 'gateway (restarted)', port, env: s.env() }));
  await load.ackedAtLeast(load.acked.size + 400);
  await load.stop();

  await drain(s.db.query, load.acked);
  const outcome = await measure(s.db.query, load.acked);
  const line = report('gateway_sigkill', load, outcome, { retried_on_error: load.stats.connectionErrors + load.stats.unavailable });
  assertNothingLost(load, outcome, line);
  assert.ok(load.stats.connectionErrors > 0, 'the clients saw the crash (some request failed)');
  assert.ok(await answersLive(gateway.url), 'the restarted gateway answers /health/live');
  assert.ok(await answersLive(`http://127.0.0.1:${metricsPort}`), 'the worker answers /health/live');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  assert.ok(await stopsWhenTold(worker), `the worker exits 0 on SIGTERM:\n${worker.logTail()}`);
});
