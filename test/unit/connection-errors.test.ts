import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isConnectionError } from '../../src/store/index.js';

/** A TCP server that accepts connections and never answers: a database too busy to take one more. */
async function silentServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0, sockets };
}

describe('an unreachable or saturated database is an outage, never the event\'s fault', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  before(async () => {
    silent = await silentServer();
  });
  after(() => {
    for (const s of silent.sockets) s.destroy();
    silent.server.close();
  });

  it("pg-pool's 'timeout exceeded when trying to connect' (every connection busy)", async () => {
    const pool = new pg.Pool({ host: '127.0.0.1', port: silent.port, user: 'x', database: 'x', max: 1, connectionTimeoutMillis: 200 });
    pool.on('error', () => undefined);
    const fail = (query: Promise<unknown>) =>
      query.then(
        () => null,
        (e: unknown) => e as Error,
      );
    // The first query takes the pool's one connection; the second waits for it and gives up.
    const [first, second] = await Promise.all([fail(pool.query('SELECT 1')), fail(pool.query('SELECT 2'))]);
    await pool.end().catch(() => undefined);
    assert.match(second?.message ?? '', /timeout exceeded when trying to connect/);
    assert.ok(isConnectionError(first), `an outage: ${first?.message}`);
    assert.ok(isConnectionError(second), `an outage: ${second?.message}`);
  });

  it('a host name the resolver cannot resolve (ENOTFOUND, or EAI_AGAIN while it is away)', async () => {
    const client = new pg.Client({ host: 'sluice-db.invalid', port: 5432, user: 'x', database: 'x', connectionTimeoutMillis: 5_000 });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    await client.end().catch(() => undefined);
    assert.ok(error instanceof Error);
    assert.ok(isConnectionError(error), `an outage: ${(error as Error).message}`);
  });

  it('resolver, network and resource errors by code, also wrapped or aggregated', () => {
    for (const code of ['EAI_AGAIN', 'EAI_FAIL', 'ENOTFOUND', 'ENETUNREACH', 'ENETDOWN', 'ECONNABORTED', 'EHOSTDOWN', '53300', '53100', '08006', '57P03']) {
      assert.ok(isConnectionError(Object.assign(new Error('x'), { code })), code);
    }
    assert.ok(isConnectionError(new Error('getaddrinfo EAI_AGAIN db.internal')));
    assert.ok(isConnectionError(new Error('write failed', { cause: Object.assign(new Error('x'), { code: 'EAI_AGAIN' }) })));
    assert.ok(isConnectionError(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ENETUNREACH' })])));
  });

  it('a problem with the statement or the data is not', () => {
    for (const code of ['22003', '22008', '23505', '40P01', '57014', '42P01']) {
      assert.equal(isConnectionError(Object.assign(new Error('x'), { code })), false, code);
    }
    assert.equal(isConnectionError(new RangeError('Invalid time value')), false);
    assert.equal(isConnectionError(null), false);
  });
});
