import { afterEach } from 'node:test';
import pg from 'pg';

const ADMIN_URL = process.env.SLUICE_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Drops the database when every test of this file that ended so far passed; after a failure
   * (or when no test ended, as after a failed `before`) it stays for inspection and its name is
   * printed. Call it from an `after` hook, once the file's tests have run.
   */
  drop(): Promise<void>;
}

// The outcome of this file's tests so far. Each test file runs in its own process under
// `node --test`, so these counts are the file's. Outside the test runner (bench/) nothing is
// registered and every database is dropped.
const underTestRunner = process.env.NODE_TEST_CONTEXT !== undefined;
const outcome = { ended: 0, failed: 0 };
if (underTestRunner) {
  afterEach((t) => {
    outcome.ended += 1;
    // TestContext.passed is there since Node 20.12; @types/node 20 does not declare it yet.
    if ((t as { passed?: boolean }).passed !== true) outcome.failed += 1;
  });
}

/** A fresh PostgreSQL database for one test file; dropped afterwards unless a test failed. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sluice_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return {
    url,
    name,
    async query<Row>(text: string, params?: unknown[]) {
      return (await pool.query(text, params)).rows as Row[];
    },
    async drop() {
      await pool.end();
      if (underTestRunner && (outcome.failed > 0 || outcome.ended === 0)) {
        console.error(`kept database ${name} for inspection (a test of this file failed or none ran): psql ${url}`);
        return;
      }
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
