import type { SqlExecutor } from '../sql-client.js';

/** The creation time recorded for a stream, or null when none is. */
export async function selectStreamCreated(db: SqlExecutor, name: string): Promise<string | null> {
  const { rows } = await db.query<{ created: string }>('SELECT created FROM sluice.streams WHERE name = $1', [name]);
  return rows[0]?.created ?? null;
}

export async function upsertStreamCreated(db: SqlExecutor, name: string, created: string): Promise<void> {
  await db.query(
    `INSERT INTO sluice.streams (name, created) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET created = EXCLUDED.created, updated_at = now()`,
    [name, created],
  );
}

/** The highest stream sequence any stored event carries (its archive row or its status), 0 when none. */
export async function selectHighestStreamSeq(db: SqlExecutor): Promise<number> {
  const { rows } = await db.query<{ m: string | number | null }>(
    'SELECT greatest((SELECT max(stream_seq) FROM sluice.events), (SELECT max(stream_seq) FROM sluice.message_status)) AS m',
  );
  return Number(rows[0]?.m ?? 0);
}
