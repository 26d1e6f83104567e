import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEntityTables, createSqlStore } from '../../src/store/index.js';
import { createPgClient } from '../../src/store/postgres/index.js';
import { createTestDatabase } from '../../test/helpers/db.js';

test('a start with SLUICE_DATA_INDEX=gin does not wait for the archive writes in flight once the index exists', { timeout: 60_000 }, async () => {
  const db = await createTestDatabase();
  const store = createSqlStore(createPgClient({ url: db.url, poolSize: 2 }), { entityTables: createEntityTables() });
  const writer = createPgClient({ url: db.url, poolSize: 1 });
  try {
    await store.migrate([], { dataIndex: 'gin' });
    // A worker's batch in flight holds this lock on the archive until it commits; building the
    // index needs a lock that conflicts with it, so taking that lock here would wait for it.
    await writer.transaction(async (tx) => {
      await tx.query('LOCK TABLE sluice.events IN ROW EXCLUSIVE MODE');
      const again = store.migrate([], { dataIndex: 'gin' }).then(() => 'migrated');
      const waited = new Promise((resolve) => setTimeout(resolve, 5_000, 'still waiting after 5 s')).then((s) => s as string);
      assert.equal(await Promise.race([again, waited]), 'migrated');
    });
  } finally {
    await writer.close();
    await store.close();
    await db.drop();
  }
});
