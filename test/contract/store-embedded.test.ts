import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { createEntityTables, createSqlStore } from '../../src/store/index.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { storeContract } from './store-contract.js';

storeContract('embedded', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-store-'));
  const client = await createEmbeddedSqlClient({ dataDir });
  // PGlite is one connection: the checks share it (closing is the store's job).
  const sql: SqlClient = {
    kind: client.kind,
    query: (text, params) => client.query(text, params),
    transaction: (fn) => client.transaction(fn),
    exec: (text) => client.exec(text),
    close: async () => undefined,
  };
  return {
    store: createSqlStore(client, { entityTables: createEntityTables() }),
    sql,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});
