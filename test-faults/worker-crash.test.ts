import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startLoad } from './harness/load.js';
import { answersLive, startSluice } from './harness/processes.js';
import { startScenario, stopsWhenTold, type Scenario } from './harness/scenario.js';
import { assertNothingLost, drain, measure, report } from './harness/verify.js';

let scenario: Scenario | undefined;
after(async () => scenario?.close());

test('a worker killed with SIGKILL mid-batch has its batch redelivered to the other worker and stored once', { timeout: 180_000 }, async () => {
  const s = (scenario = await startScenario('wkkill'));
  // A short ack wait so the dead worker's unacknowledged messages come back quickly; small batches so both workers hold some.
  const workerEnv = (metricsPort: number) => s.env({ SLUICE_ACK_WAIT: '3s', SLUICE_WORKER_BATCH: '50', METRICS_PORT: String(metricsPort) });
  const survivorPort = await s.freePort();
  const survivor = s.track(await startSluice('worker', { name: 'worker 1', env: workerEnv(survivorPort) }));
  const gateway = s.track(await startSluice('gateway', { name: 'gateway', port: await s.freePort(), env: s.env() }));

  const load = startLoad('wkkill', { url: () => gateway.url, clients: 3, eventsPerClient: 2000, pauseMs: 1 });
  // A worker holds messages only while a batch of its own is out. So the victim is first stopped
  // (SIGSTOP): what it was handed, or is handed from then on, waits for its acks; then it is killed.
  // Should it still have held none, nothing is redelivered, and another worker is started and
  // killed (at most three).
  const acks = await s.watchAcks();
  let ackPendingAtKill = -1;
  let kills = 0;
  while (acks.redelivered() === 0 && kills < 3) {
    const victim = s.track(await startSluice('worker', { name: `worker ${kills + 2}`, env: workerEnv(await s.freePort()) }));
    await load.ackedAtLeast(load.acked.size + 600);
    process.kill(victim.pid, 'SIGSTOP');
    await load.ackedAtLeast(load.acked.size + 200);
    await victim.kill('SIGKILL');
    kills++;
    ackPendingAtKill = (await s.consumerInfo()).num_ack_pending;
    // The dead worker's messages come back after the ack wait (3 s), to the surviving worker.
    await new Promise((resolve) => setTimeout(resolve, 8000));
  }
  await load.ackedAtLeast(load.acked.size + 600);
  await load.stop();

  await drain(s.db.query, load.acked);
  const info = await s.consumerInfo();
  const outcome = await measure(s.db.query, load.acked);
  const redelivered = acks.redelivered();
  await acks.stop();
  const line = report('worker_sigkill', load, outcome, { kills, ack_pending_at_kill: ackPendingAtKill, redelivered_acked: redelivered });
  assertNothingLost(load, outcome, line);
  assert.ok(redelivered > 0, `the killed worker held unacknowledged messages that JetStream redelivered (${line})`);
  assert.equal(info.num_ack_pending, 0, 'nothing left waiting for an ack');
  assert.ok(await answersLive(gateway.url), 'the gateway answers /health/live');
  assert.ok(await answersLive(`http://127.0.0.1:${survivorPort}`), 'the surviving worker answers /health/live');
  assert.ok(await stopsWhenTold(gateway), `the gateway exits 0 on SIGTERM:\n${gateway.logTail()}`);
  assert.ok(await stopsWhenTold(survivor), `the worker exits 0 on SIGTERM:\n${survivor.logTail()}`);
});
