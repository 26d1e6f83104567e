import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEmbeddedSqlClient } from '../../src/store/embedded/index.js';
import type { SqlClient } from '../../src/store/sql-client.js';

describe('embedded SqlClient (PGlite)', { timeout: 120_000 }, () => {
  let dataDir: string;
  let sql: SqlClient;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-pglite-'));
    sql = await createEmbeddedSqlClient({ dataDir });
    await sql.exec('CREATE SCHEMA IF NOT EXISTS sluice; CREATE TABLE sluice.counter (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO sluice.counter VALUES (1, 0)');
  });
  after(async () => {
    await sql.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('keeps a small buffer pool: all of shared_buffers is resident in the process', async () => {
    assert.deepEqual((await sql.query('SHOW shared_buffers')).rows, [{ shared_buffers: '16MB' }]);
  });

  test('answers queries with rows and a row count, bigint as a string like node-postgres', async () => {
    assert.equal(sql.kind, 'embedded');
    const r = await sql.query<{ big: string; j: unknown }>(`SELECT 9007199254740993::int8 AS big, '{"a":1}'::jsonb AS j`);
    assert.deepEqual(r.rows, [{ big: '9007199254740993', j: { a: 1 } }]);
    assert.equal(r.rowCount, 1);
    const u = await sql.query('UPDATE sluice.counter SET n = n WHERE id = $1', [1]);
    assert.equal(u.rowCount, 1);
  });

  test('runs transactions one at a time, so concurrent read-modify-writes never interleave', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        sql.transaction(async (tx) => {
          const { rows } = await tx.query<{ n: string }>('SELECT n FROM sluice.counter WHERE id = 1');
          await new Promise((resolve) => setTimeout(resolve, 2));
          await tx.query('UPDATE sluice.counter SET n = $1 WHERE id = 1', [Number(rows[0]!.n) + 1]);
        }),
      ),
    );
    const { rows } = await sql.query<{ n: string }>('SELECT n FROM sluice.counter WHERE id = 1');
    assert.equal(rows[0]!.n, '20');
  });

  test('rolls a transaction back when it throws', async () => {
    await assert.rejects(
      sql.transaction(async (tx) => {
        await tx.query('UPDATE sluice.counter SET n = -1 WHERE id = 1');
        throw new Error('boom');
      }),
      /boom/,
    );
    const { rows } = await sql.query<{ n: string }>('SELECT n FROM sluice.counter WHERE id = 1');
    assert.notEqual(rows[0]!.n, '-1');
  });

  test('reports a bad statement with its PostgreSQL error code', async () => {
    await assert.rejects(sql.query('SELECT * FROM no_such_table'), (e: unknown) => (e as { code?: string }).code === '42P01');
    assert.equal((await sql.query('SELECT 1 AS one')).rows.length, 1, 'still usable');
  });

  test('refuses a second open of the same data directory', async () => {
    await assert.rejects(createEmbeddedSqlClient({ dataDir }), /already open in this process/);
  });
});
