import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import { createSqlStore } from '../../src/store/index.js';
import type { SqlClient } from '../../src/store/sql-client.js';
import { storableDifferential } from './storable-differential.js';

storableDifferential('PGlite', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-differential-'));
  const client = await createEmbeddedSqlClient({ dataDir });
  // PGlite is one connection: the raw queries share it (closing is the store's job).
  const sql: SqlClient = { kind: client.kind, query: (t, p) => client.query(t, p), transaction: (fn) => client.transaction(fn), exec: (t) => client.exec(t), close: async () => undefined };
  const store = createSqlStore(client);
  return {
    store,
    sql,
    async cleanup() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
