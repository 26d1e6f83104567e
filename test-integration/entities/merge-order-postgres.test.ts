import { createPgClient } from '../../src/store/postgres/index.js';
import { mergeOrderContract } from '../../test/entities/merge-order-contract.js';
import { createTestDatabase } from '../../test/helpers/db.js';

mergeOrderContract('postgres', async () => {
  const db = await createTestDatabase();
  return { client: createPgClient({ url: db.url, poolSize: 4 }), cleanup: () => db.drop() };
});
