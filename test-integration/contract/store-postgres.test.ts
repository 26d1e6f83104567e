import { createEntityTables, createSqlStore } from '../../src/store/index.js';
import { createPgClient } from '../../src/store/postgres/index.js';
import { createTestDatabase } from '../../test/helpers/db.js';
import { storeContract } from '../../test/contract/store-contract.js';

storeContract('postgres', async () => {
  const db = await createTestDatabase();
  const sql = createPgClient({ url: db.url, poolSize: 4 });
  const store = createSqlStore(createPgClient({ url: db.url, poolSize: 4 }), { entityTables: createEntityTables() });
  return {
    store,
    sql,
    async cleanup() {
      await sql.close();
      await db.drop();
    },
  };
});
