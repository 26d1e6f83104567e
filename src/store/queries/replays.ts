import type { SqlExecutor } from '../sql-client.js';

export interface ReplayRecord {
  readonly replayId: string;
  readonly status: 'running' | 'done' | 'failed';
  readonly matched: number;
  readonly published: number;
  readonly error: string | null;
}

export async function insertReplay(db: SqlExecutor, replayId: string, selector: unknown, matched: number): Promise<void> {
  await db.query('INSERT INTO sluice.replays (replay_id, status, selector, matched) VALUES ($1, $2, $3::jsonb, $4)', [
    replayId,
    'running',
    JSON.stringify(selector),
    matched,
  ]);
}

export async function updateReplay(db: SqlExecutor, replayId: string, published: number, status: ReplayRecord['status'], error: string | null = null): Promise<void> {
  await db.query('UPDATE sluice.replays SET published = $2, status = $3, error = $4, updated_at = now() WHERE replay_id = $1', [replayId, published, status, error]);
}

export async function selectReplay(db: SqlExecutor, replayId: string): Promise<ReplayRecord | null> {
  const { rows } = await db.query<{ replay_id: string; status: ReplayRecord['status']; matched: number; published: number; error: string | null }>(
    'SELECT replay_id, status, matched, published, error FROM sluice.replays WHERE replay_id = $1',
    [replayId],
  );
  const r = rows[0];
  return r === undefined ? null : { replayId: r.replay_id, status: r.status, matched: Number(r.matched), published: Number(r.published), error: r.error };
}
