import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compileEntities, parseEntityFile, parseEventData } from '../../src/entities/index.js';
import { newEventId, type EventEnvelope } from '../../src/envelope/index.js';
import { createPgClient } from '../../src/store/postgres/index.js';
import { createEntityTables, createSqlStore, type SqlClient, type StorePort, type WriteItem } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';

const ENTITIES = `
entities:
  - name: Alpha
    table: alpha_rows
    types: ["alpha.*"]
    key: [k]
    fields:
      k: { type: string, required: true }
      n: { type: integer }
  - name: Beta
    table: beta_rows
    types: ["beta.*"]
    key: [k]
    fields:
      k: { type: string, required: true }
      n: { type: integer }
`;

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A client whose transactions pause after each entity upsert, so two transactions running at
 * once interleave the way a slow network makes them: each has written one table before the
 * other writes its second.
 */
function interleaving(client: SqlClient): SqlClient {
  return {
    ...client,
    query: (text, params) => client.query(text, params),
    exec: (text) => client.exec(text),
    close: () => client.close(),
    transaction: (fn) =>
      client.transaction((tx) =>
        fn({
          query: async <Row>(text: string, params?: readonly unknown[]) => {
            const result = await tx.query<Row>(text, params);
            if (/INSERT INTO "public"\."(alpha|beta)_rows"/.test(text)) await sleep(300);
            return result;
          },
        }),
      ),
  } as SqlClient;
}

describe('the two transactions of a large batch lock entity tables in one order', { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let store: StorePort;
  const definitions = parseEntityFile(ENTITIES, 'lock-order.yaml');
  const model = compileEntities(definitions);
  let seq = 0;
  const item = async (type: string, data: Record<string, unknown>): Promise<WriteItem> => {
    const now = new Date().toISOString();
    const envelope: EventEnvelope = { id: newEventId(), type, source: '/t', time: now, receivedAt: now, data: encoder.encode(JSON.stringify(data)), dataContentType: 'application/json' };
    const mapping = await model.map({ id: envelope.id, type, source: '/t', time: now }, parseEventData(envelope.data));
    assert.ok(mapping.ok);
    return { envelope, seq: ++seq, replay: false, entityType: mapping.entityType, rows: mapping.rows };
  };

  before(async () => {
    db = await createTestDatabase();
    store = createSqlStore(interleaving(createPgClient({ url: db.url, poolSize: 4 })), { entityTables: createEntityTables() });
    await store.migrate(definitions);
  });
  after(async () => {
    await store?.close();
    await db?.drop();
  });

  it('writes alpha-then-beta and beta-then-alpha batches at once without a deadlock', async () => {
    for (let round = 0; round < 3; round++) {
      const key = `k${round}`;
      const results = await Promise.allSettled([
        store.writeBatch([await item('alpha.set', { k: key, n: 1 }), await item('beta.set', { k: key, n: 1 })]),
        store.writeBatch([await item('beta.set', { k: key, n: 2 }), await item('alpha.set', { k: key, n: 2 })]),
      ]);
      const refused = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      assert.deepEqual(refused, [], `round ${round}: no transaction may fail`);
    }
    const rows = await db.query<{ n: string }>('SELECT count(*) AS n FROM alpha_rows');
    assert.equal(Number(rows[0]!.n), 3);
  });
});
