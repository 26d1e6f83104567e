import { createSqlStore } from '../../src/store/index.js';
import { createPgClient } from '../../src/store/postgres/index.js';
import { storableDifferential } from '../../test/envelope/storable-differential.js';
import { createTestDatabase } from '../../test/helpers/db.js';

storableDifferential('PostgreSQL', async () => {
  const db = await createTestDatabase();
  const sql = createPgClient({ url: db.url, poolSize: 2 });
  const store = createSqlStore(createPgClient({ url: db.url, poolSize: 2 }));
  return {
    store,
    sql,
    async cleanup() {
      await store.close();
      await sql.close();
      await db.drop();
    },
  };
});
