import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPgClient } from '../../src/store/postgres/index.js';
import type { SqlClient } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.js';

/**
 * The PostgreSQL client's one-round-trip paths: BEGIN sent with the first statement that can
 * carry it, several COPYs with their data written right behind their statements, and
 * statements sent with the COMMIT. A failure anywhere must roll back everything of the
 * transaction and leave the connection usable (the server drops the data still arriving).
 */
describe('pg client: COPY scripts and statements sent with the commit', () => {
  let db: TestDatabase;
  let client: SqlClient;

  before(async () => {
    db = await createTestDatabase();
    // One connection: every transaction below reuses the one a failed script left behind.
    client = createPgClient({ url: db.url, poolSize: 1 });
    await client.exec('CREATE TABLE a (id int PRIMARY KEY, note text); CREATE TABLE b (id int PRIMARY KEY, n int); CREATE TABLE marks (name text PRIMARY KEY)');
  });
  after(async () => {
    await client.close();
    await db.drop();
  });

  const count = async (table: string): Promise<number> => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
  const lines = (from: number, to: number, value: (i: number) => string): string => {
    let body = '';
    for (let i = from; i <= to; i++) body += `${i}\t${value(i)}\n`;
    return body;
  };

  it('writes two COPYs and a statement sent with the commit, in one transaction', async () => {
    await client.transaction(async (tx) => {
      assert.ok(tx.copyMany !== undefined && tx.withCommit !== undefined);
      await tx.copyMany([
        { sql: 'COPY a (id, note) FROM STDIN', body: lines(1, 3000, (i) => `note\\t${i}`) },
        { sql: 'COPY b (id, n) FROM STDIN', body: new TextEncoder().encode(lines(1, 10, (i) => String(i * 2))) },
      ]);
      tx.withCommit("INSERT INTO marks VALUES (E'it''s \\\\ done')");
      // Inside the transaction the rows are there for the next statement.
      const { rows } = await tx.query<{ n: string }>('SELECT count(*) AS n FROM a');
      assert.equal(Number(rows[0]!.n), 3000);
    });
    assert.equal(await count('a'), 3000);
    assert.equal(await count('b'), 10);
    assert.deepEqual(await db.query('SELECT name FROM marks'), [{ name: "it's \\ done" }]);
    assert.deepEqual(await db.query('SELECT note FROM a WHERE id = 7'), [{ note: 'note\t7' }]);
  });

  it('a unique violation in the first COPY rolls back the whole script and leaves the connection usable', async () => {
    await assert.rejects(
      client.transaction(async (tx) => {
        await tx.copyMany!([
          { sql: 'COPY a (id, note) FROM STDIN', body: lines(5001, 6000, () => 'new') + lines(1, 1, () => 'again') },
          { sql: 'COPY b (id, n) FROM STDIN', body: lines(100, 200, () => '1') },
        ]);
      }),
      (error: { code?: string }) => error.code === '23505',
    );
    assert.equal(await count('a'), 3000);
    assert.equal(await count('b'), 10);
    // The same (only) connection takes the next transaction.
    await client.transaction(async (tx) => {
      await tx.copyFrom!('COPY b (id, n) FROM STDIN', lines(300, 301, () => '5'));
    });
    assert.equal(await count('b'), 12);
  });

  it('a bad value in the second COPY rolls back the first one too', async () => {
    await assert.rejects(
      client.transaction(async (tx) => {
        await tx.copyMany!([
          { sql: 'COPY a (id, note) FROM STDIN', body: lines(7001, 7100, () => 'x') },
          { sql: 'COPY b (id, n) FROM STDIN', body: lines(400, 401, () => 'not a number') },
        ]);
      }),
      (error: { code?: string }) => error.code === '22P02',
    );
    assert.equal(await count('a'), 3000);
    assert.equal(await count('b'), 12);
  });

  it('a statement sent with the commit that fails rolls back the transaction', async () => {
    await assert.rejects(
      client.transaction(async (tx) => {
        await tx.copyFrom!('COPY a (id, note) FROM STDIN', lines(8001, 8010, () => 'y'));
        tx.withCommit!("INSERT INTO marks VALUES (E'it''s \\\\ done')");
      }),
      (error: { code?: string }) => error.code === '23505',
    );
    assert.equal(await count('a'), 3000);
    await client.transaction(async (tx) => {
      tx.withCommit!("INSERT INTO marks VALUES ('second')");
    });
    assert.equal(await count('marks'), 2);
  });

  it('a statement with parameters after the deferred BEGIN still runs inside the transaction', async () => {
    await assert.rejects(
      client.transaction(async (tx) => {
        await tx.query('INSERT INTO b (id, n) VALUES ($1, $2)', [900, 9]);
        throw new Error('abandon');
      }),
      /abandon/,
    );
    assert.equal(await count('b'), 12);
  });
});
