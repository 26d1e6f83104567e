import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlClient, SqlExecutor } from './sql-client.js';

// Through ../store/ so the path also holds from dist/cli/main.bundle.js, the bundled command line.
const MIGRATIONS_DIR = fileURLToPath(new URL('../store/sql/migrations/', import.meta.url));
/** Any constant: every Sluice process takes the same advisory lock, so racing migrations queue up. */
const MIGRATION_LOCK = 7_340_211_987;

interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/** The numbered `.sql` files, in order. */
export function systemMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d+_.+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.split('_')[0]),
      name: file,
      statements: splitStatements(readFileSync(`${MIGRATIONS_DIR}${file}`, 'utf8')),
    }));
}

/** Splits a migration into statements (our migrations keep to plain statements ending in `;`). */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Applies the system migrations not yet applied, then `extra` (entity tables), all in one
 * transaction under an advisory lock: two processes starting together apply each once.
 */
export async function migrate(client: SqlClient, extra?: (tx: SqlExecutor) => Promise<void>): Promise<string[]> {
  return client.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('CREATE SCHEMA IF NOT EXISTS sluice');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS sluice.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM sluice.schema_migrations')).rows.map((r) => r.version));
    const applied: string[] = [];
    for (const migration of systemMigrations()) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO sluice.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.name);
    }
    if (extra !== undefined) await extra(tx);
    return applied;
  });
}
