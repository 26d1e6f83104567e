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
  /**
   * Runs several `COPY … FROM STDIN` in one round trip (each one's data written right behind
   * its statement, not after the server's CopyInResponse). Where a transaction provides it,
   * its BEGIN goes in the same round trip too. Stops at the first statement that fails.
   */
  copyMany?(copies: ReadonlyArray<{ readonly sql: string; readonly body: string | Uint8Array }>): Promise<void>;
  /**
   * Sends a statement without parameters together with the transaction's COMMIT, one round
   * trip fewer than running it alone; a failure of it rolls the transaction back as any other.
   */
  withCommit?(sql: string): void;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'postgres' | 'embedded';
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs several statements separated by `;` (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** Socket and resolver error codes of Node: the server cannot be reached, or the way to it broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  // getaddrinfo: a resolver that cannot answer now (EAI_AGAIN) or at all (EAI_FAIL).
  'EAI_AGAIN',
  'EAI_FAIL',
]);

const OUTAGE_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'connection timeout',
    // pg-pool, when every connection is busy or a new one cannot be made within connectionTimeoutMillis.
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error',
    'not queryable',
    'Cannot use a pool after calling end',
    'terminating connection',
    'the database system is (starting up|shutting down|in recovery mode)',
    'getaddrinfo',
  ].join('|'),
  'i',
);

/** The store cannot take work yet (it is still opening): an outage, as a refused connection is. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/**
 * True when an error means the database cannot be reached, the connection broke or the server
 * cannot take work now, as opposed to a problem with the statement or the data. Workers pause
 * and retry on these and never count them against an event. This is the one place that
 * decides it; everything else asks here.
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (e instanceof StoreUnavailableError) return true;
  const code = typeof e.code === 'string' ? e.code : '';
  // Class 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now;
  // class 53: insufficient resources (too many connections, disk full, out of memory).
  if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || /^53/.test(code)) return true;
  if (NETWORK_CODES.has(code)) return true;
  if (typeof e.message === 'string' && OUTAGE_MESSAGE.test(e.message)) return true;
  if (depth >= 3) return false;
  // A connect that tried several addresses fails with an AggregateError; wrappers keep the first error as `cause`.
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => isConnectionError(inner, depth + 1))) return true;
  return e.cause !== undefined && isConnectionError(e.cause, depth + 1);
}
