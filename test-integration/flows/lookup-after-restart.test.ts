import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { SHARED_NATS_URL, deleteStreams, startNatsServer, uniqueNames } from '../../test/helpers/nats.js';
import { eventually, http } from '../../test/helpers/pipeline.js';
import { runServices } from '../../src/cli/run-services.js';
import { silentLogger } from '../../src/log/index.js';
import { acceptAcrossRestarts, assertNeverIssuedUnknown, neverIssued, sendEveryKind, startGateway, unanswered } from '../../test/helpers/lookup-scenario.js';

describe('lookups after a 202, across gateway restarts, with no worker (JetStream and PostgreSQL)', () => {
  const names = uniqueNames('lk');
  let db: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    db = await createTestDatabase();
    env = {
      PORT: '0',
      HOST: '127.0.0.1',
      NATS_URL: SHARED_NATS_URL,
      NATS_STREAM: names.stream,
      NATS_SUBJECT_PREFIX: names.prefix,
      SLUICE_CONSUMER: names.consumer,
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '2',
      LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    await deleteStreams(SHARED_NATS_URL, names.stream).catch(() => undefined);
    await db?.drop();
  });

  it('answers every accepted id after a stop and after a SIGKILL, and 404 for ids never issued', async () => {
    // A worker first writes some events, so the consumer's floor is above the start of the stream.
    const withWorker = await runServices(loadConfig(env), silentLogger(), { gateway: true, worker: true, migrate: true });
    const written = await sendEveryKind(withWorker.address!, 'written', 5);
    await eventually(async () => {
      const rows = await db.query<{ n: string }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted'");
      return Number(rows[0]!.n) === written.length ? true : undefined;
    }, 30_000, 'the first events persisted');
    await withWorker.stop();

    const { ids, next } = await acceptAcrossRestarts(env);
    try {
      assert.deepEqual(await unanswered(next.url, [...written, ...ids]), []);
      for (const id of ids.slice(0, 5)) assert.equal((await http<{ status: string }>(`${next.url}/ingest/status/${id}`)).body.status, 'accepted');
      await assertNeverIssuedUnknown(next.url);
    } finally {
      await next.stop();
    }
  });

  it('answers 503 with Retry-After, never 404, for an id the database lacks while NATS is away', async () => {
    const nats = await startNatsServer();
    const gateway = await startGateway(loadConfig({ ...env, NATS_URL: nats.url, NATS_STREAM: `${names.stream}_AWAY`, SLUICE_CONSUMER: `${names.consumer}_away` }));
    try {
      const accepted = await sendEveryKind(gateway.url, 'away', 2);
      await nats.kill();
      for (const id of [...accepted, ...neverIssued()]) {
        const r = await http(`${gateway.url}/ingest/status/${id}`);
        assert.equal(r.status, 503, id);
        assert.ok(r.headers.get('retry-after') !== null, 'Retry-After');
      }
    } finally {
      await gateway.stop();
      await nats.destroy();
    }
  });
});
