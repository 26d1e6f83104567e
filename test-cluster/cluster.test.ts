// A 3-node JetStream cluster (R3 stream), two gateways and two workers as separate processes
// (the built CLI), against a fresh PostgreSQL database. One file, run in order: the failover
// figures and the drain timings would mean little with another heavy test beside them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.js';
import { uniqueNames } from '../test/helpers/nats.js';
import { longestGap, runLoad } from './helpers/load.js';
import { startNatsCluster, type NatsCluster } from './helpers/nats-cluster.js';
import { assertOncePerAck, clusterEnv, settle, sleep, waitFor } from './helpers/settle.js';
import { assertBuilt, killAllSluice, readCounter, startSluice, type SluiceProcess } from './helpers/sluice-process.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Load timeline (ms from the start of the load). */
const LOAD_MS = 24_000;
const KILL_AT_MS = 6_000;
const RESTART_AT_MS = 14_000;
/** A request unanswered for this long is a hang and fails the test (the gateway promises a 503 within 5 s). */
const REQUEST_TIMEOUT_MS = 10_000;
/** The most the gateways may be unable to store events while a new leader is elected. */
const MAX_UNAVAILABLE_MS = 10_000;
const DRAIN_EVENTS = Number(process.env.SLUICE_CLUSTER_DRAIN_EVENTS ?? 50_000);

describe('a 3-node JetStream cluster with two gateways and two workers', { timeout: 300_000 }, () => {
  let cluster: NatsCluster;
  let db: TestDatabase;
  const names = uniqueNames('cluster');
  const processes: SluiceProcess[] = [];
  let gateways: SluiceProcess[] = [];
  let workers: SluiceProcess[] = [];
  let env: Record<string, string>;

  before(async () => {
    assertBuilt();
    cluster = await startNatsCluster(3);
    db = await createTestDatabase();
    env = clusterEnv(db, names, { NATS_URL: cluster.urls });
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop(5_000).catch(() => null)));
    await killAllSluice();
    await cluster?.destroy();
    await db?.drop();
  });

  test('gateways and workers started while the cluster has no quorum wait for it, then serve', async () => {
    // Two of three servers down: no meta leader, so the R3 stream cannot be created yet.
    await cluster.nodes[1]!.kill();
    await cluster.nodes[2]!.kill();
    const starting = Promise.all([
      startSluice('worker', { ...env, METRICS_PORT: '0' }),
      startSluice('worker', { ...env, METRICS_PORT: '0' }),
      startSluice('gateway', env),
      startSluice('gateway', env),
    ]);
    starting.catch(() => undefined);
    await sleep(4_000);
    const quorumBackFrom = Date.now();
    await cluster.nodes[1]!.start();
    await cluster.nodes[2]!.start();
    const started = await starting;
    processes.push(...started);
    workers = started.slice(0, 2);
    gateways = started.slice(2);
    // None can serve without a meta leader: each is ready only once the servers are back. (Each
    // either retried its stream setup or had its first request answered late, once the quorum
    // was back: which one depends on timing, so neither is asserted.)
    for (const p of started) {
      assert.ok(p.readyAt >= quorumBackFrom, `a ${p.role} was ready ${quorumBackFrom - p.readyAt} ms before the cluster had its quorum back:\n${p.log().slice(-1500)}`);
    }
    const nc = await connect({ servers: cluster.urls.split(',') });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(names.stream);
      assert.equal(info.config.num_replicas, 3);
      assert.equal(info.cluster?.replicas?.length, 2, 'the stream has a leader and two followers');
    } finally {
      await nc.close();
    }
  });

  test('SIGKILL of the stream leader under load: every 202 persisted once, only 202 or 503, a short outage', async () => {
    assert.equal(gateways.length, 2, 'the processes of the previous test are running');
    const leaderBefore = await cluster.streamLeader(names.stream);
    const started = Date.now();
    let killedAt = 0;
    let newLeader = '';
    let electionMs = 0;
    const chaos = (async () => {
      await sleep(KILL_AT_MS);
      killedAt = Date.now();
      await cluster.node(leaderBefore).kill('SIGKILL');
      newLeader = await cluster.streamLeader(names.stream, 30_000);
      electionMs = Date.now() - killedAt;
      await sleep(Math.max(0, started + RESTART_AT_MS - Date.now()));
      await cluster.node(leaderBefore).start();
    })();
    const load = await runLoad({
      gateways,
      clients: 6,
      type: 'load.tick',
      until: () => Date.now() - started > LOAD_MS,
      giveUpAt: () => started + LOAD_MS + 30_000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    const loadEnded = Date.now();
    await chaos;

    const ids = [...load.acked.values()];
    const stored = await settle(db, 'load.tick', ids);
    const unavailableMs = longestGap(load.ackTimes, started, loadEnded);
    const perWorker = await Promise.all(workers.map((w) => readCounter(w.metricsUrl!, 'sluice_events_persisted_total')));

    // The restarted server catches up and is a current replica again.
    const rejoined = await waitFor('the restarted server to rejoin as a current replica', 60_000, async () => {
      const nc = await connect({ servers: cluster.urls.split(',') });
      try {
        const info = await (await jetstreamManager(nc)).streams.info(names.stream);
        const replica = [info.cluster?.leader === leaderBefore ? { name: leaderBefore, current: true } : undefined, ...(info.cluster?.replicas ?? [])].find(
          (r) => r?.name === leaderBefore,
        );
        return replica?.current === true ? true : undefined;
      } catch {
        return undefined;
      } finally {
        await nc.close();
      }
    });

    console.log(
      `cluster failover: sent=${load.sent} acked=${load.acked.size} persisted=${stored.persisted} duplicates=${stored.duplicates} ` +
        `longest_unavailable_ms=${unavailableMs} leader=${leaderBefore}->${newLeader} election_ms=${electionMs} ` +
        `answers_503=${load.unavailable} connection_errors=${load.connectionErrors} slowest_answer_ms=${load.slowestAnswerMs} ` +
        `per_worker_persisted=${perWorker.join('/')} rejoined=${rejoined}`,
    );

    assert.deepEqual(load.unexpected, [], 'the gateways answered only 202 or 503, and always in time');
    assert.ok(load.acked.size > 1_000, `steady load acked ${load.acked.size} events`);
    assertOncePerAck(ids, stored);
    assert.ok(killedAt - started >= KILL_AT_MS && newLeader !== leaderBefore, `a new leader (${newLeader}) took over from ${leaderBefore}`);
    assert.ok(unavailableMs < MAX_UNAVAILABLE_MS, `longest unavailability ${unavailableMs} ms`);
    assert.ok(perWorker.every((n) => n > 0), `both workers persisted events (${perWorker.join('/')})`);
    for (const w of workers) assert.doesNotMatch(w.log(), /"level":(50|60)[^\n]*cannot start/, 'workers kept running');
  });

  test('workers share the stream: none processed twice; drain of a pre-filled stream with 1 and with 2 workers', async () => {
    const drain = uniqueNames('drain');
    const drainEnv = { ...env, NATS_STREAM: drain.stream, NATS_SUBJECT_PREFIX: drain.prefix };
    const feeder = await startSluice('gateway', drainEnv);
    processes.push(feeder);
    const prefillStarted = Date.now();
    const lines = 1_000;
    for (let offset = 0; offset < DRAIN_EVENTS; offset += lines * 4) {
      await Promise.all(
        [0, 1, 2, 3].map(async (part) => {
          const from = offset + part * lines;
          if (from >= DRAIN_EVENTS) return;
          const body = Array.from({ length: Math.min(lines, DRAIN_EVENTS - from) }, (_, i) => JSON.stringify({ n: from + i, pad: 'x'.repeat(200) })).join('\n');
          const response = await fetch(`${feeder.url}/ingest/batch?type=drain.tick`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': `drain-${from}` },
            body,
          });
          const result = (await response.json()) as { accepted: number };
          assert.equal(response.status, 202);
          assert.equal(result.accepted, Math.min(lines, DRAIN_EVENTS - from));
        }),
      );
    }
    const prefillMs = Date.now() - prefillStarted;
    await feeder.stop();

    const figures: string[] = [`prefill_events_per_s=${Math.round(DRAIN_EVENTS / (prefillMs / 1000))}`];
    for (const count of [1, 2]) {
      // A fresh database and a fresh durable consumer for each run: both drain the same stream from its start.
      const runDb = await createTestDatabase();
      try {
        const migrate = spawnSync(process.execPath, ['bin/sluice.js', 'migrate'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: runDb.url }, encoding: 'utf8' });
        assert.equal(migrate.status, 0, migrate.stderr);
        const runEnv = { ...drainEnv, DATABASE_URL: runDb.url, SLUICE_CONSUMER: `${drain.consumer}_${count}`, METRICS_PORT: '0' };
        const started = Date.now();
        const runWorkers = await Promise.all(Array.from({ length: count }, () => startSluice('worker', runEnv)));
        processes.push(...runWorkers);
        await waitFor(`${count} worker(s) to drain ${DRAIN_EVENTS} events`, 180_000, async () => {
          const [row] = await runDb.query<{ n: string }>(`SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted'`);
          return Number(row!.n) >= DRAIN_EVENTS ? true : undefined;
        });
        // From the first worker ready (process start-up is not drain time).
        const drainMs = Date.now() - Math.min(...runWorkers.map((w) => w.readyAt));
        const perWorker = await Promise.all(runWorkers.map((w) => readCounter(w.metricsUrl!, 'sluice_events_persisted_total')));
        const [archive] = await runDb.query<{ rows: string; ids: string }>(`SELECT count(*) AS rows, count(DISTINCT id) AS ids FROM sluice.events`);
        for (const w of runWorkers) assert.equal(await w.stop(), 0, 'the worker stops cleanly');
        figures.push(`workers=${count} drain_ms=${drainMs} events_per_s=${Math.round(DRAIN_EVENTS / (drainMs / 1000))} per_worker=${perWorker.join('/')} ready_ms=${runWorkers.map((w) => w.readyAt - started).join('/')}`);

        assert.equal(Number(archive!.rows), DRAIN_EVENTS, 'one archive row per event');
        assert.equal(Number(archive!.ids), DRAIN_EVENTS, 'no event archived twice');
        assert.equal(perWorker.reduce((a, b) => a + b, 0), DRAIN_EVENTS, 'the workers persisted each event once between them');
        if (count > 1) assert.ok(perWorker.every((n) => n > 0), `every worker took a share (${perWorker.join('/')})`);
      } finally {
        await runDb.drop();
      }
    }
    console.log(`cluster drain (R3, ${DRAIN_EVENTS} events): ${figures.join(' | ')}`);
  });
});
