import type { DeliveryAttempt, DeliveryRecord, DeliveryState, SubscriptionCounts } from '../port.js';
import type { SqlExecutor } from '../sql-client.js';

const STATE_OF: Record<DeliveryAttempt['outcome'], DeliveryState> = { delivered: 'delivered', retry: 'pending', failed: 'failed' };

function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/**
 * Writes attempts and brings each (subscription, event) delivery to its latest state, in one
 * transaction of two set-based statements (one row per attempt would cost a round trip each).
 */
export async function insertAttempts(db: SqlExecutor, attempts: readonly DeliveryAttempt[]): Promise<void> {
  await db.query(
    `INSERT INTO sluice.delivery_attempts (subscription_id, event_id, attempt, attempted_at, status_code, error, duration_ms, outcome, replay_id)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::int[], $6::text[], $7::float8[], $8::text[], $9::uuid[])`,
    [
      attempts.map((a) => a.subscriptionId),
      attempts.map((a) => a.eventId),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.attemptedAt),
      attempts.map((a) => a.statusCode),
      attempts.map((a) => a.error),
      attempts.map((a) => a.durationMs),
      attempts.map((a) => a.outcome),
      attempts.map((a) => a.replayId ?? null),
    ],
  );
  // One row per delivery: ON CONFLICT may touch a row once per statement.
  const latest = new Map<string, { last: DeliveryAttempt; first: string; count: number }>();
  for (const a of attempts) {
    const key = `${a.subscriptionId}/${a.eventId}`;
    const seen = latest.get(key);
    if (seen === undefined) latest.set(key, { last: a, first: a.attemptedAt, count: 1 });
    else latest.set(key, { last: a, first: seen.first, count: seen.count + 1 });
  }
  const rows = [...latest.values()];
  await db.query(
    `INSERT INTO sluice.deliveries AS d (subscription_id, event_id, event_type, status, attempts, status_code, error, first_attempt_at, last_attempt_at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::timestamptz[], $9::timestamptz[])
     ON CONFLICT (subscription_id, event_id) DO UPDATE SET
       status = EXCLUDED.status, attempts = d.attempts + EXCLUDED.attempts, status_code = EXCLUDED.status_code, error = EXCLUDED.error,
       last_attempt_at = EXCLUDED.last_attempt_at, position = nextval('sluice.deliveries_position_seq')`,
    [
      rows.map((r) => r.last.subscriptionId),
      rows.map((r) => r.last.eventId),
      rows.map((r) => r.last.eventType),
      rows.map((r) => STATE_OF[r.last.outcome]),
      rows.map((r) => r.count),
      rows.map((r) => r.last.statusCode),
      rows.map((r) => r.last.error),
      rows.map((r) => r.first),
      rows.map((r) => r.last.attemptedAt),
    ],
  );
}

export async function selectCounts(db: SqlExecutor, subscriptionId: string): Promise<SubscriptionCounts> {
  const { rows } = await db.query<{ status: DeliveryState; n: string }>('SELECT status, count(*) AS n FROM sluice.deliveries WHERE subscription_id = $1 GROUP BY status', [subscriptionId]);
  const count = (s: DeliveryState) => Number(rows.find((r) => r.status === s)?.n ?? 0);
  const last = await db.query<{ event_id: string; attempted_at: Date | string; status_code: number | null; error: string | null }>(
    `SELECT event_id, attempted_at, status_code, error FROM sluice.delivery_attempts
     WHERE subscription_id = $1 AND outcome <> 'delivered' ORDER BY id DESC LIMIT 1`,
    [subscriptionId],
  );
  const l = last.rows[0];
  return {
    delivered: count('delivered'),
    failed: count('failed'),
    retrying: count('pending'),
    lastError: l === undefined ? null : { eventId: l.event_id, at: iso(l.attempted_at), statusCode: l.status_code, error: l.error },
  };
}

interface DeliveryRow {
  event_id: string;
  event_type: string;
  status: DeliveryState;
  attempts: number;
  status_code: number | null;
  error: string | null;
  first_attempt_at: Date | string;
  last_attempt_at: Date | string;
  position: string;
}

/** A page of a subscription's deliveries, newest first (`beforePosition` pages on). */
export async function selectDeliveries(
  db: SqlExecutor,
  subscriptionId: string,
  query: { status?: DeliveryState; beforePosition?: number; limit: number },
): Promise<DeliveryRecord[]> {
  const params: unknown[] = [subscriptionId];
  let where = 'subscription_id = $1';
  if (query.status !== undefined) {
    params.push(query.status);
    where += ` AND status = $${params.length}`;
  }
  if (query.beforePosition !== undefined) {
    params.push(query.beforePosition);
    where += ` AND position < $${params.length}`;
  }
  params.push(query.limit);
  const { rows } = await db.query<DeliveryRow>(
    `SELECT event_id, event_type, status, attempts, status_code, error, first_attempt_at, last_attempt_at, position
     FROM sluice.deliveries WHERE ${where} ORDER BY position DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    eventId: r.event_id,
    eventType: r.event_type,
    status: r.status,
    attempts: Number(r.attempts),
    statusCode: r.status_code,
    error: r.error,
    firstAttemptAt: iso(r.first_attempt_at),
    lastAttemptAt: iso(r.last_attempt_at),
    position: Number(r.position),
  }));
}

interface AttemptRow {
  subscription_id: string;
  event_id: string;
  attempt: number;
  attempted_at: Date | string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  outcome: DeliveryAttempt['outcome'];
  replay_id: string | null;
}

/** The attempts of the given events (all subscriptions, or one), oldest first. */
export async function selectAttempts(db: SqlExecutor, eventIds: readonly string[], subscriptionId?: string): Promise<Array<Omit<DeliveryAttempt, 'eventType'>>> {
  if (eventIds.length === 0) return [];
  const params: unknown[] = [eventIds];
  let where = 'event_id = ANY($1::uuid[])';
  if (subscriptionId !== undefined) {
    params.push(subscriptionId);
    where += ' AND subscription_id = $2';
  }
  const { rows } = await db.query<AttemptRow>(
    `SELECT subscription_id, event_id, attempt, attempted_at, status_code, error, duration_ms, outcome, replay_id
     FROM sluice.delivery_attempts WHERE ${where} ORDER BY id`,
    params,
  );
  return rows.map((r) => ({
    subscriptionId: r.subscription_id,
    eventId: r.event_id,
    attempt: Number(r.attempt),
    attemptedAt: iso(r.attempted_at),
    statusCode: r.status_code,
    error: r.error,
    durationMs: Number(r.duration_ms),
    outcome: r.outcome,
    ...(r.replay_id !== null ? { replayId: r.replay_id } : {}),
  }));
}
