import type { Subscription, SubscriptionInput, SubscriptionPatch } from '../../subscriptions/index.js';
import type { SqlExecutor } from '../sql-client.js';

interface SubscriptionRow {
  id: string;
  name: string;
  types: string[];
  url: string;
  secret: string;
  filter: unknown;
  max_attempts: number;
  timeout_ms: number;
  max_in_flight: number;
  ordered: boolean;
  paused: boolean;
  origin: 'file' | 'api';
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS = 'id, name, types, url, secret, filter, max_attempts, timeout_ms, max_in_flight, ordered, paused, origin, created_at, updated_at';

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

function toSubscription(r: SubscriptionRow): Subscription {
  return {
    id: r.id,
    name: r.name,
    types: r.types,
    url: r.url,
    secret: r.secret,
    filter: r.filter ?? null,
    maxAttempts: Number(r.max_attempts),
    timeoutMs: Number(r.timeout_ms),
    maxInFlight: Number(r.max_in_flight),
    ordered: r.ordered,
    paused: r.paused,
    origin: r.origin,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export async function selectSubscriptions(db: SqlExecutor): Promise<Subscription[]> {
  const { rows } = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM sluice.subscriptions ORDER BY name`);
  return rows.map(toSubscription);
}

export async function selectSubscription(db: SqlExecutor, name: string): Promise<Subscription | null> {
  const { rows } = await db.query<SubscriptionRow>(`SELECT ${COLUMNS} FROM sluice.subscriptions WHERE name = $1`, [name]);
  return rows[0] === undefined ? null : toSubscription(rows[0]);
}

/** Inserts a subscription; null when the name is taken. */
export async function insertSubscription(db: SqlExecutor, id: string, input: SubscriptionInput & { secret: string }, origin: 'file' | 'api'): Promise<Subscription | null> {
  const { rows } = await db.query<SubscriptionRow>(
    `INSERT INTO sluice.subscriptions (id, name, types, url, secret, filter, max_attempts, timeout_ms, max_in_flight, ordered, paused, origin)
     VALUES ($1, $2, $3::text[], $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
    [id, input.name, input.types, input.url, input.secret, input.filter === null ? null : JSON.stringify(input.filter), input.maxAttempts, input.timeoutMs, input.maxInFlight, input.ordered, input.paused, origin],
  );
  return rows[0] === undefined ? null : toSubscription(rows[0]);
}

/** A declared subscription brought to its file's definition (its `paused` state is the operator's and stays). */
export async function updateDeclaredSubscription(db: SqlExecutor, input: SubscriptionInput & { secret: string }): Promise<void> {
  await db.query(
    `UPDATE sluice.subscriptions SET types = $2::text[], url = $3, secret = $4, filter = $5::jsonb, max_attempts = $6, timeout_ms = $7,
       max_in_flight = $8, ordered = $9, origin = 'file', updated_at = now()
     WHERE name = $1 AND (types, url, secret, filter, max_attempts, timeout_ms, max_in_flight, ordered, origin)
       IS DISTINCT FROM ($2::text[], $3, $4, $5::jsonb, $6, $7, $8, $9, 'file')`,
    [input.name, input.types, input.url, input.secret, input.filter === null ? null : JSON.stringify(input.filter), input.maxAttempts, input.timeoutMs, input.maxInFlight, input.ordered],
  );
}

const PATCH_COLUMNS: Record<keyof SubscriptionPatch, string> = {
  types: 'types = $%::text[]',
  url: 'url = $%',
  filter: 'filter = $%::jsonb',
  maxAttempts: 'max_attempts = $%',
  timeoutMs: 'timeout_ms = $%',
  maxInFlight: 'max_in_flight = $%',
  ordered: 'ordered = $%',
  paused: 'paused = $%',
};

export async function patchSubscription(db: SqlExecutor, name: string, patch: SubscriptionPatch): Promise<Subscription | null> {
  const params: unknown[] = [name];
  const sets: string[] = ['updated_at = now()'];
  for (const [key, value] of Object.entries(patch) as Array<[keyof SubscriptionPatch, unknown]>) {
    params.push(key === 'filter' ? (value === null ? null : JSON.stringify(value)) : value);
    sets.push(PATCH_COLUMNS[key].replace('%', String(params.length)));
  }
  const { rows } = await db.query<SubscriptionRow>(`UPDATE sluice.subscriptions SET ${sets.join(', ')} WHERE name = $1 RETURNING ${COLUMNS}`, params);
  return rows[0] === undefined ? null : toSubscription(rows[0]);
}

export async function deleteSubscription(db: SqlExecutor, name: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM sluice.subscriptions WHERE name = $1', [name]);
  return rowCount > 0;
}

/** Declared subscriptions no longer in the file. */
export async function deleteUndeclared(db: SqlExecutor, declared: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>("DELETE FROM sluice.subscriptions WHERE origin = 'file' AND NOT (name = ANY($1::text[])) RETURNING name", [declared]);
  return rows.map((r) => r.name);
}
