// What every scenario checks at the end, against the database Sluice wrote: each acknowledged
// event persisted exactly once, nothing archived that no client was acknowledged for, and the
// entity table holding each account's newest counter.
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import type { AckedEvent, Load } from './load.js';

/** Runs one SQL statement and returns its rows (a PostgreSQL pool or the embedded database). */
export type Query = <Row = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<Row[]>;

export interface Outcome {
  readonly acked: number;
  readonly persisted: number;
  /** Extra archive rows for one id, plus extra ids for one logical event. */
  readonly duplicates: number;
  /** Acknowledged events not persisted (or not archived). */
  readonly lost: number;
  /** Archived events under an id no client was acknowledged for. */
  readonly stray: number;
  readonly failed: number;
  /** Accounts whose entity row does not hold the newest acknowledged counter. */
  readonly entityMismatches: string[];
}

export async function measure(query: Query, acked: ReadonlyMap<string, AckedEvent>, entityTable: string | null = 'fault_counters'): Promise<Outcome> {
  const events = [...acked.values()];
  const ids = events.map((e) => e.id);
  const statuses = new Map(
    (await query<{ message_id: string; status: string }>('SELECT message_id::text, status FROM sluice.message_status WHERE message_id = ANY($1::uuid[])', [ids])).map((r) => [r.message_id, r.status]),
  );
  const archive = await query<{ id: string; key: string | null; n: string | number }>(
    "SELECT id::text, data->>'key' AS key, count(*) AS n FROM sluice.events GROUP BY id, data->>'key'",
  );
  const rowsById = new Map<string, number>();
  const idsByKey = new Map<string, Set<string>>();
  for (const row of archive) {
    rowsById.set(row.id, (rowsById.get(row.id) ?? 0) + Number(row.n));
    const set = idsByKey.get(row.key ?? '') ?? new Set<string>();
    set.add(row.id);
    idsByKey.set(row.key ?? '', set);
  }
  let persisted = 0;
  let lost = 0;
  for (const e of events) {
    if (statuses.get(e.id) === 'persisted' && (rowsById.get(e.id) ?? 0) >= 1) persisted++;
    else lost++;
  }
  let duplicates = 0;
  for (const n of rowsById.values()) duplicates += Math.max(0, n - 1);
  for (const set of idsByKey.values()) duplicates += Math.max(0, set.size - 1);
  const ackedIds = new Set(ids);
  const stray = [...rowsById.keys()].filter((id) => !ackedIds.has(id)).length;
  const failedRows = await query<{ n: string | number }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'failed'");

  const entityMismatches: string[] = [];
  if (entityTable !== null) {
    const newest = new Map<string, AckedEvent>();
    for (const e of events) if ((newest.get(e.account)?.counter ?? -1) < e.counter) newest.set(e.account, e);
    const rows = await query<{ account: string; counter: string | number; message_id: string }>(
      `SELECT account, counter, _message_id::text AS message_id FROM ${entityTable}`,
    );
    const byAccount = new Map(rows.map((r) => [r.account, r]));
    for (const [account, e] of newest) {
      const row = byAccount.get(account);
      if (row === undefined || Number(row.counter) !== e.counter || row.message_id !== e.id) {
        entityMismatches.push(`${account}: expected counter ${e.counter}, found ${row === undefined ? 'no row' : row.counter}`);
      }
    }
  }
  return { acked: events.length, persisted, duplicates, lost, stray, failed: Number(failedRows[0]?.n ?? 0), entityMismatches };
}

/** Waits until every acknowledged event is persisted (or the time is up), then lets late redeliveries land. */
export async function drain(query: Query, acked: ReadonlyMap<string, AckedEvent>, timeoutMs = 120_000): Promise<number> {
  const ids = [...acked.values()].map((e) => e.id);
  const started = Date.now();
  for (;;) {
    let done = 0;
    try {
      const rows = await query<{ n: string | number }>("SELECT count(*) AS n FROM sluice.message_status WHERE status = 'persisted' AND message_id = ANY($1::uuid[])", [ids]);
      done = Number(rows[0]?.n ?? 0);
    } catch {
      // the database may still be coming back
    }
    if (done >= ids.length || Date.now() - started > timeoutMs) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return Date.now() - started;
}

/** Prints the scenario's one summary line (and appends it to $SLUICE_FAULTS_RESULTS when set). */
export function report(name: string, load: Load, outcome: Outcome, extra: Record<string, number | string> = {}): string {
  const fields: Record<string, number | string> = {
    scenario: name,
    sent: load.stats.sent,
    acked: outcome.acked,
    persisted: outcome.persisted,
    duplicates: outcome.duplicates,
    lost: outcome.lost,
    longest_unavailable_ms: load.stats.longestUnavailableMs,
    ...extra,
  };
  const line = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(line);
  const file = process.env.SLUICE_FAULTS_RESULTS;
  if (file !== undefined && file !== '') appendFileSync(file, `${line}\n`);
  return line;
}

/** The checks every scenario shares: a lost, doubled or invented event fails it. */
export function assertNothingLost(load: Load, outcome: Outcome, line: string): void {
  assert.deepEqual(load.stats.unexpected, [], `unexpected answers (${line})`);
  assert.deepEqual(load.stats.abandoned, [], `events that never got a 202 (${line})`);
  assert.deepEqual(load.stats.idMismatches, [], `a retry with the same key got another id (${line})`);
  assert.equal(outcome.lost, 0, `acknowledged events lost (${line})`);
  assert.equal(outcome.duplicates, 0, `events stored twice (${line})`);
  assert.equal(outcome.stray, 0, `archived events under ids no client was acknowledged for (${line})`);
  assert.equal(outcome.persisted, outcome.acked, line);
  assert.equal(outcome.failed, 0, `events failed (${line})`);
  assert.deepEqual(outcome.entityMismatches, [], `entity rows (${line})`);
  assert.ok(outcome.acked > 0, 'the load got at least one 202');
}
