import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { SqlClient, SqlExecutor, SqlResult } from '../sql-client.js';
import { acquireLockFile, ownerOnlyDirectory } from '../../data-dir/index.js';
import { makeOwnerOnly, seedFromTemplate } from './data-template.js';
import { embeddedStartParams } from './settings.js';

export interface EmbeddedSqlOptions {
  /** Sluice's data directory; the database lives in `${dataDir}/db`. */
  readonly dataDir: string;
  /** A database initialised at build time, copied for a new one (default: the package's `dist/pgdata-template/`). */
  readonly templateDir?: string;
}

/**
 * The store's SqlClient over PGlite (PostgreSQL compiled to WebAssembly) with its files in
 * `${dataDir}/db`. PGlite is one connection, so statements and transactions take turns
 * through one queue. A commit's WAL is written to the OS before the query resolves
 * (synchronous_commit is on), so a committed row survives a crash of this process; PGlite
 * cannot fsync, so it does not survive a power loss the way a PostgreSQL server does.
 */
export async function createEmbeddedSqlClient(options: EmbeddedSqlOptions): Promise<SqlClient> {
  const dir = join(options.dataDir, 'db');
  // Makes the data directory (0700) when it is new.
  const release = acquireLockFile(join(options.dataDir, 'db.lock'), `the embedded database in ${dir}`);
  let db: PGlite | undefined;
  try {
    // We hold the lock, so no live process uses the directory: a postmaster.pid left by a
    // killed process is stale (some PGlite releases abort on start while it is there).
    const pidFile = join(dir, 'postmaster.pid');
    if (existsSync(pidFile)) rmSync(pidFile, { force: true });
    // The owner's alone before anything is written in it, whoever made it and however.
    ownerOnlyDirectory(dir);
    const fresh = readdirSync(dir).length === 0;
    const seeded = await seedFromTemplate(dir, options.templateDir);
    db = new PGlite(dir, {
      // Match node-postgres so the store reads the same values from both: int8 as a string,
      // timestamptz as the instant it names.
      parsers: { [types.INT8]: (value: string) => value, [types.TIMESTAMPTZ]: timestamptz },
      startParams: embeddedStartParams(),
    });
    await db.waitReady;
    // PGlite's initdb (no template for the installed version) leaves its files writable by anyone
    // (out of other users' reach inside the 0700 directory, but a copy of it would keep them).
    if (fresh && !seeded) await makeOwnerOnly(dir, { sync: false }).catch(() => undefined);
    return new EmbeddedSqlClient(db, release);
  } catch (error) {
    await db?.close().catch(() => undefined);
    release();
    throw error;
  }
}

/**
 * A timestamptz as PostgreSQL writes it (`0001-01-01 00:00:00+00`, `2026-01-31 12:00:00.123456+00`)
 * as a Date. PGlite's own parser is `new Date(text)`, whose non-ISO reading takes the years
 * 0001-0099 for 1901-1999 and 2000 (an event time of 0001-01-01T00:00:00Z read back as
 * 2001-01-01): written in ISO form with a full offset, the year is read as written.
 */
function timestamptz(text: string): Date {
  const iso = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::(\d\d))?$/.exec(text);
  return new Date(iso === null ? text : `${iso[1]}T${iso[2]}${iso[3]}:${iso[4] ?? '00'}`);
}

class EmbeddedSqlClient implements SqlClient {
  readonly kind = 'embedded' as const;
  /** The tail of the queue: each statement or transaction starts when the previous one ends. */
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: PGlite,
    private readonly release: () => void,
  ) {}

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(Object.assign(new Error('the embedded database is closed'), { code: '08003' }));
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return this.enqueue(() => runQuery<Row>(this.db, text, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.enqueue(() =>
      this.db.transaction(async (tx) => {
        const executor: SqlExecutor = { query: (text, params) => runQuery(tx, text, params) };
        return fn(executor);
      }),
    );
  }

  exec(sql: string): Promise<void> {
    return this.enqueue(async () => {
      await this.db.exec(sql);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const closing = this.enqueue(() => this.db.close());
    this.closed = true;
    try {
      await closing;
    } finally {
      this.release();
    }
  }
}

async function runQuery<Row>(db: PGlite | Transaction, text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
  const result = await db.query<Row>(text, params === undefined ? undefined : [...params]);
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}
