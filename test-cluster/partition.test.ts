// A network partition of a 3-node JetStream cluster (R3 stream): every cluster route goes through
// a TCP proxy, and the stream leader is cut off from the other two servers while it keeps
// running and keeps its clients. One gateway talks only to the cut-off leader (the minority
// side), one gateway and the worker only to the other two (the majority side). Then, on the
// healed cluster, a gateway's NATS connection and a worker's PostgreSQL connection are stalled
// (held, then released in order) under load.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createTestDatabase, type TestDatabase } from '../test/helpers/db.js';
import { uniqueNames } from '../test/helpers/nats.js';
import { runLoad } from './helpers/load.js';
import { startNatsCluster, type NatsCluster } from './helpers/nats-cluster.js';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcp-proxy.js';
import { assertOncePerAck, clusterEnv, settle, sleep, waitFor } from './helpers/settle.js';
import { assertBuilt, killAllSluice, startSluice, type SluiceProcess } from './helpers/sluice-process.js';

/** Load timeline (ms from the start of the load). */
const LOAD_MS = 32_000;
const CUT_AT_MS = 6_000;
const HEAL_AT_MS = 18_000;
/** A publish in flight when the routes were cut may still be acknowledged: a request sent this long after the cut may not. */
const CUT_MARGIN_MS = 1_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Stall timeline: longer than the 4 s publish timeout and than three 2 s ack waits. */
const STALL_LOAD_MS = 26_000;
const STALL_NATS_AT_MS = 4_000;
const STALL_PG_AT_MS = 14_000;
const STALL_MS = 6_000;

/** The stream leader as the servers in `urls` see it (undefined while they have none). */
async function leaderSeenBy(urls: string[], stream: string): Promise<string | undefined> {
  const nc = await connect({ servers: urls, timeout: 2_000 });
  try {
    const leader = (await (await jetstreamManager(nc, { timeout: 2_000 })).streams.info(stream)).cluster?.leader;
    return leader === '' ? undefined : leader;
  } catch {
    return undefined;
  } finally {
    await nc.close();
  }
}

describe('a 3-node cluster behind TCP proxies: a partition, then stalled connections', { timeout: 300_000 }, () => {
  let cluster: NatsCluster;
  let db: TestDatabase;
  const names = uniqueNames('partition');
  const processes: SluiceProcess[] = [];
  const proxies: TcpProxy[] = [];

  before(async () => {
    assertBuilt();
    cluster = await startNatsCluster(3, `sluice_part_${process.pid}`, { proxiedRoutes: true });
    db = await createTestDatabase();
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop(5_000).catch(() => null)));
    await killAllSluice();
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.destroy();
    await db?.drop();
  });

  test('the minority side answers 503, never 202; after the heal every 202 is persisted once', async () => {
    const env = clusterEnv(db, names);
    // A first gateway creates the stream; which server leads it decides the two sides.
    const bootstrap = await startSluice('gateway', { ...env, NATS_URL: cluster.urls });
    processes.push(bootstrap);
    const leader = await cluster.streamLeader(names.stream);
    await bootstrap.stop();
    const minority = cluster.node(leader).url;
    const majority = cluster.nodes.filter((n) => n.name !== leader).map((n) => n.url);
    const [minorityGateway, majorityGateway, worker] = await Promise.all([
      startSluice('gateway', { ...env, NATS_URL: minority }),
      startSluice('gateway', { ...env, NATS_URL: majority.join(',') }),
      startSluice('worker', { ...env, NATS_URL: majority.join(',') }),
    ]);
    processes.push(minorityGateway!, majorityGateway!, worker!);

    const started = Date.now();
    let cutAt = 0;
    let healedAt = 0;
    let newLeader = '';
    let electionMs = 0;
    const chaos = (async () => {
      await sleep(CUT_AT_MS);
      cutAt = Date.now();
      cluster.isolate(leader);
      newLeader = await waitFor('the majority to elect a new stream leader', 30_000, async () => {
        const seen = await leaderSeenBy(majority, names.stream);
        return seen !== undefined && seen !== leader ? seen : undefined;
      });
      electionMs = Date.now() - cutAt;
      await sleep(Math.max(0, started + HEAL_AT_MS - Date.now()));
      healedAt = Date.now();
      cluster.heal();
    })();
    const load = await runLoad({
      gateways: [minorityGateway!, majorityGateway!],
      clients: 6,
      type: 'partition.tick',
      until: () => Date.now() - started > LOAD_MS,
      giveUpAt: () => started + LOAD_MS + 30_000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    await chaos;

    const ids = [...load.acked.values()];
    const stored = await settle(db, 'partition.tick', ids);
    const during = (a: { sentAt: number; answeredAt: number }) => a.sentAt >= cutAt + CUT_MARGIN_MS && a.answeredAt <= healedAt;
    const minorityDuring = load.answers.filter((a) => a.gateway === 0 && during(a));
    const minority202 = minorityDuring.filter((a) => a.status === 202).length;
    const minority503 = minorityDuring.filter((a) => a.status === 503).length;
    const majority202During = load.answers.filter((a) => a.gateway === 1 && during(a) && a.status === 202).length;
    const minority202AfterHeal = load.answers.filter((a) => a.gateway === 0 && a.sentAt >= healedAt && a.status === 202).length;
    const firstMinority202AfterHeal = Math.min(...load.answers.filter((a) => a.gateway === 0 && a.sentAt >= healedAt && a.status === 202).map((a) => a.answeredAt));

    console.log(
      `cluster partition: sent=${load.sent} acked=${load.acked.size} persisted=${stored.persisted} archived=${stored.archived} duplicates=${stored.duplicates} ` +
        `leader=${leader}->${newLeader} election_ms=${electionMs} partition_ms=${healedAt - cutAt} ` +
        `minority_during: 202=${minority202} 503=${minority503} | majority_during: 202=${majority202During} | ` +
        `minority_202_after_heal=${minority202AfterHeal} minority_back_after_ms=${firstMinority202AfterHeal - healedAt} ` +
        `answers_503=${load.unavailable} connection_errors=${load.connectionErrors} slowest_answer_ms=${load.slowestAnswerMs}`,
    );

    assert.deepEqual(load.unexpected, [], 'the gateways answered only 202 or 503, and always in time');
    assert.ok(load.acked.size > 500, `steady load acked ${load.acked.size} events`);
    assert.notEqual(newLeader, leader, 'the majority elected a leader of its own');
    assert.equal(minority202, 0, 'the cut-off side acknowledged no event while it could not replicate');
    assert.ok(minority503 > 0, 'the cut-off side answered 503');
    assert.ok(majority202During > 0, 'the majority side kept acknowledging events during the partition');
    assert.ok(minority202AfterHeal > 0, 'the cut-off side serves again after the heal');
    assertOncePerAck(ids, stored);
  });

  test('a gateway NATS connection stalled mid-publish and a worker PostgreSQL connection stalled mid-transaction: every 202 persisted once', async () => {
    const stall = uniqueNames('stall');
    const env = clusterEnv(db, stall, { SLUICE_ACK_WAIT: '2s', SLUICE_WORKER_BATCH: '50' });
    const nats = new URL(cluster.nodes[0]!.url);
    const natsProxy = await startTcpProxy(nats.hostname, Number(nats.port));
    const pgProxy = await startTcpProxy('127.0.0.1', 5432);
    proxies.push(natsProxy, pgProxy);
    const direct = await startSluice('gateway', { ...env, NATS_URL: cluster.urls });
    processes.push(direct);
    const [stalledGateway, stalledWorker, directWorker] = await Promise.all([
      startSluice('gateway', { ...env, NATS_URL: `nats://127.0.0.1:${natsProxy.port}` }),
      startSluice('worker', { ...env, NATS_URL: cluster.urls, DATABASE_URL: db.url.replace('127.0.0.1:5432', `127.0.0.1:${pgProxy.port}`) }),
      startSluice('worker', { ...env, NATS_URL: cluster.urls }),
    ]);
    processes.push(stalledGateway!, stalledWorker!, directWorker!);

    const started = Date.now();
    let natsStall = { from: 0, to: 0 };
    let redeliveredDuringPgStall = 0;
    const redelivered = async (): Promise<number> => {
      const nc = await connect({ servers: cluster.urls.split(','), timeout: 2_000 });
      try {
        return (await (await jetstreamManager(nc)).consumers.info(stall.stream, stall.consumer)).num_redelivered;
      } finally {
        await nc.close();
      }
    };
    const chaos = (async () => {
      await sleep(STALL_NATS_AT_MS);
      natsStall = { from: Date.now(), to: 0 };
      await natsProxy.stall(STALL_MS);
      natsStall.to = Date.now();
      await sleep(Math.max(0, started + STALL_PG_AT_MS - Date.now()));
      // The held batch outlives three ack waits: JetStream hands it to the other worker meanwhile.
      // num_redelivered counts pending messages only, so it is watched during the stall.
      const stalling = pgProxy.stall(STALL_MS);
      const until = Date.now() + STALL_MS;
      while (Date.now() < until) {
        redeliveredDuringPgStall = Math.max(redeliveredDuringPgStall, await redelivered());
        await sleep(100);
      }
      await stalling;
    })();
    const load = await runLoad({
      gateways: [stalledGateway!, direct],
      clients: 6,
      type: 'stall.tick',
      until: () => Date.now() - started > STALL_LOAD_MS,
      giveUpAt: () => started + STALL_LOAD_MS + 30_000,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    await chaos;

    const ids = [...load.acked.values()];
    const stored = await settle(db, 'stall.tick', ids);
    const heldByStall = load.answers.filter((a) => a.gateway === 0 && a.sentAt >= natsStall.from && a.sentAt < natsStall.to);
    const stalled503 = heldByStall.filter((a) => a.status === 503).length;
    const stalledSlow = heldByStall.filter((a) => a.answeredAt - a.sentAt >= 1_000).length;
    console.log(
      `cluster stalls: sent=${load.sent} acked=${load.acked.size} persisted=${stored.persisted} archived=${stored.archived} duplicates=${stored.duplicates} ` +
        `stalled_gateway_held=${stalledSlow} stalled_gateway_503=${stalled503} answers_503=${load.unavailable} slowest_answer_ms=${load.slowestAnswerMs} redelivered_during_pg_stall=${redeliveredDuringPgStall}`,
    );

    assert.deepEqual(load.unexpected, [], 'the gateways answered only 202 or 503, and always in time');
    assert.ok(load.acked.size > 500, `steady load acked ${load.acked.size} events`);
    assert.ok(stalledSlow > 0, 'requests to the gateway whose NATS connection stalled were held');
    assert.ok(redeliveredDuringPgStall > 0, 'the stalled worker held a batch past the ack wait and JetStream redelivered it');
    assertOncePerAck(ids, stored);
  });
});

