import pg from 'pg';
import { from as copyStream } from 'pg-copy-streams';
import type { SqlClient, SqlExecutor, SqlResult } from '../sql-client.js';

// bigint columns (stream sequences) fit in a JS number; read them as numbers.
pg.types.setTypeParser(20, (value) => Number(value));

export interface PgClientOptions {
  readonly url: string;
  readonly poolSize: number;
  /** Called when an idle connection breaks (the server restarted): logged, never fatal. */
  readonly onError?: (error: Error) => void;
}

/** The PostgreSQL adapter of SqlClient: a `pg` pool. */
export function createPgClient(options: PgClientOptions): SqlClient {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'sluice',
  });
  pool.on('error', (error) => options.onError?.(error));

  const query = async <Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> => {
    const result = await pool.query(text, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    query,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken = false;
      // The pool listens for errors only on idle connections: a connection that breaks while this
      // transaction holds it (between two statements) would otherwise crash the process with an
      // unhandled 'error' event. The statement in flight, or the next one, fails instead.
      const onConnectionError = (error: Error) => {
        broken = true;
        options.onError?.(error);
      };
      client.on('error', onConnectionError);
      try {
        await client.query('BEGIN');
        const tx: SqlExecutor = {
          query: async <Row>(text: string, params?: readonly unknown[]) => {
            const result = await client.query(text, params as unknown[] | undefined);
            return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
          },
          copyFrom: (sql, body) =>
            new Promise<void>((resolve, reject) => {
              const stream = client.query(copyStream(sql));
              stream.on('finish', resolve);
              stream.on('error', reject);
              stream.end(body);
            }),
        };
        const value = await fn(tx);
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.removeListener('error', onConnectionError);
        client.release(broken);
      }
    },
    async exec(sql: string): Promise<void> {
      await pool.query(sql);
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
