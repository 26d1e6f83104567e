import pg from 'pg';
import type { SqlClient, SqlExecutor, SqlResult } from '../sql-client.js';
import { CopyScript } from './copy-script.js';

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
      // BEGIN and the statements that need no answer before the COMMIT travel with the next
      // statement that can carry them (one without parameters, or a COPY script).
      let pending: string[] = ['BEGIN'];
      const take = (): string => {
        const text = pending.length === 0 ? '' : `${pending.join(';\n')};\n`;
        pending = [];
        return text;
      };
      try {
        const run = async (text: string, params?: readonly unknown[]): Promise<pg.QueryResult> => {
          if (pending.length > 0 && params !== undefined && params.length > 0) await client.query(take());
          const full = params !== undefined && params.length > 0 ? text : `${take()}${text}`;
          const result = (await client.query(full, params as unknown[] | undefined)) as pg.QueryResult | pg.QueryResult[];
          // A multi-statement text answers with one result per statement; the caller's is the last.
          return Array.isArray(result) ? result[result.length - 1]! : result;
        };
        const copyMany = (copies: ReadonlyArray<{ readonly sql: string; readonly body: string | Uint8Array }>): Promise<void> =>
          new CopyScript(`${take()}${copies.map((c) => c.sql).join(';\n')}`, copies.map((c) => c.body)).run(client);
        const tx: SqlExecutor = {
          query: async <Row>(text: string, params?: readonly unknown[]) => {
            const result = await run(text, params);
            return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
          },
          copyFrom: (sql, body) => copyMany([{ sql, body }]),
          copyMany,
          withCommit: (sql) => {
            pending.push(sql);
          },
        };
        const value = await fn(tx);
        await client.query(`${take()}COMMIT`);
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
