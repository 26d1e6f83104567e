/**
 * The little the store needs from a PostgreSQL connection. The `pg` pool and the embedded
 * PostgreSQL (PGlite) both provide it, so the store's SQL is written once.
 */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
  /**
   * Runs `COPY … FROM STDIN` with `body` in PostgreSQL's text format (see `copyLine`). Only
   * clients where COPY is the faster path provide it; callers fall back to set-based INSERTs.
   */
  copyFrom?(sql: string, body: string | Uint8Array): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'postgres' | 'embedded';
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs several statements separated by `;` (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * True when an error means the database cannot be reached or the connection broke, as
 * opposed to a problem with the statement or the data. Workers pause and retry on these
 * and never count them against an event.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | null;
  if (e === null || typeof e !== 'object') return false;
  const code = e.code ?? '';
  // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now;
  // 53300: too many connections; node errors for sockets.
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
  const message = e.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|terminating connection|the database system is (starting up|shutting down)/i.test(message);
}
