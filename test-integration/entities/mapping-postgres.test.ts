import { createPgClient } from '../../src/store/postgres/index.js';
import { entityMappingContract } from '../../test/entities/mapping-contract.js';
import { createTestDatabase } from '../../test/helpers/db.js';

entityMappingContract('postgres', async () => {
  const db = await createTestDatabase();
  return { client: createPgClient({ url: db.url, poolSize: 4 }), cleanup: () => db.drop() };
});
