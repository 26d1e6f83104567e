import assert from 'node:assert/strict';
import type { TestDatabase } from '../../test/helpers/db.js';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` every 200 ms until it gives a value; a probe that throws fails at once. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** The environment of every Sluice process of one scenario: its database, stream, subjects and consumer, R3. */
export function clusterEnv(db: TestDatabase, names: { stream: string; prefix: string; consumer: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: db.url,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.prefix,
    SLUICE_CONSUMER: names.consumer,
    STREAM_REPLICAS: '3',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export interface Settled {
  readonly persisted: number;
  readonly archived: number;
  readonly rows: number;
  readonly distinctIds: number;
  readonly duplicates: number;
}

/** Waits until every acked id is persisted, then counts archive rows, and keys stored under more than one row. */
export async function settle(db: TestDatabase, type: string, ids: string[]): Promise<Settled> {
  const persisted = await waitFor('every acked event persisted', 90_000, async () => {
    const [row] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM sluice.message_status WHERE message_id = ANY($1::uuid[]) AND status = 'persisted'`, [ids]);
    return Number(row!.n) === ids.length ? Number(row!.n) : undefined;
  });
  const [archive] = await db.query<{ rows: string; ids: string; keys: string }>(
    `SELECT count(*) AS rows, count(DISTINCT id) AS ids, count(DISTINCT data->>'key') AS keys FROM sluice.events WHERE type = $1`,
    [type],
  );
  const [archived] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM sluice.events WHERE id = ANY($1::uuid[])`, [ids]);
  return {
    persisted,
    archived: Number(archived!.n),
    rows: Number(archive!.rows),
    distinctIds: Number(archive!.ids),
    duplicates: Number(archive!.rows) - Number(archive!.keys),
  };
}

/** Every acknowledged event stored once: one status, one archive row, no id or key twice. */
export function assertOncePerAck(ids: string[], stored: Settled): void {
  assert.equal(new Set(ids).size, ids.length, 'one id per key');
  assert.equal(stored.persisted, ids.length, 'every acked event has a persisted status row');
  assert.equal(stored.archived, ids.length, 'every acked event has exactly one archive row');
  assert.equal(stored.rows, stored.distinctIds, 'no event id archived twice');
  assert.equal(stored.duplicates, 0, 'no key archived under two ids');
}
