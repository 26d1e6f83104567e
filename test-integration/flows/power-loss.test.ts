import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runServices } from '../../src/cli/run-services.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';
import { SHARED_NATS_URL, deleteStreams, uniqueNames } from '../../test/helpers/nats.js';
import { powerLossScenario } from '../../test/helpers/power-loss-scenario.js';

describe('a database that lost its last commits after the bus was told they were written (JetStream and PostgreSQL)', () => {
  const names = uniqueNames('pw');
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await deleteStreams(SHARED_NATS_URL, names.stream).catch(() => undefined);
    await db?.drop();
  });

  it('writes every acknowledged event again at start, once', { timeout: 180_000 }, async () => {
    const env = {
      PORT: '0',
      HOST: '127.0.0.1',
      NATS_URL: SHARED_NATS_URL,
      NATS_STREAM: names.stream,
      NATS_SUBJECT_PREFIX: names.prefix,
      SLUICE_CONSUMER: names.consumer,
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '2',
      SLUICE_ENTITIES: fileURLToPath(new URL('../../examples/sluice.entities.yaml', import.meta.url)),
      LOG_LEVEL: 'silent',
    };
    const result = await powerLossScenario({
      async start() {
        const services = await runServices(loadConfig(env), silentLogger(), { gateway: true, worker: true, migrate: true });
        return { url: services.address!, stop: () => services.stop() };
      },
      withSql: (fn) => fn((text, params) => db.query(text, params)),
    });
    assert.deepEqual(result, { lost: 60, total: 120 });
  });
});
