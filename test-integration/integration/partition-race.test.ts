import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { migrate, type SqlExecutor } from '../../src/store/index.js';
import { createPgClient } from '../../src/store/postgres/index.js';
import { createDayPartition, partitionName } from '../../src/store/queries/partitions.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';

describe('archive partitions', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    const client = createPgClient({ url: db.url, poolSize: 1 });
    await migrate(client);
    await client.close();
  });
  after(async () => {
    await db.drop();
  });

  it('creates a day partition once when several workers ask for it at the same moment', async () => {
    const day = Date.UTC(2031, 0, 1 + Math.floor(Math.random() * 300));
    const clients = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        return c;
      }),
    );
    try {
      const results = await Promise.allSettled(clients.map((c) => createDayPartition(c as unknown as SqlExecutor, day)));
      assert.deepEqual(results.filter((r) => r.status === 'rejected'), []);
      const rows = await db.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'sluice' AND tablename = $1`, [partitionName(day)]);
      assert.equal(rows.length, 1);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });
});
