import type { SqlExecutor } from '../sql-client.js';

/** Raises a consumer's recorded progress (never lowers it: two transactions may record out of order). */
export async function raiseProgress(tx: SqlExecutor, consumer: string, writtenThrough: number): Promise<void> {
  await tx.query(
    `INSERT INTO sluice.worker_progress (consumer, written_through) VALUES ($1, $2)
     ON CONFLICT (consumer) DO UPDATE SET written_through = GREATEST(sluice.worker_progress.written_through, EXCLUDED.written_through), updated_at = now()`,
    [consumer, writtenThrough],
  );
}

/** `raiseProgress` as one statement without parameters, for `SqlExecutor.withCommit`. */
export function raiseProgressStatement(consumer: string, writtenThrough: number): string {
  if (!Number.isSafeInteger(writtenThrough)) throw new Error(`progress ${writtenThrough} is not an integer`);
  const name = `E'${consumer.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  return `INSERT INTO sluice.worker_progress (consumer, written_through) VALUES (${name}, ${writtenThrough})
     ON CONFLICT (consumer) DO UPDATE SET written_through = GREATEST(sluice.worker_progress.written_through, EXCLUDED.written_through), updated_at = now()`;
}

/**
 * The recorded progress of a consumer. Without a record: 0 for a database that holds no event
 * (everything on the bus is to be written), null for one written before progress was recorded.
 */
export async function selectProgress(db: SqlExecutor, consumer: string): Promise<number | null> {
  const { rows } = await db.query<{ written_through: string | number }>('SELECT written_through FROM sluice.worker_progress WHERE consumer = $1', [consumer]);
  if (rows[0] !== undefined) return Number(rows[0].written_through);
  const { rows: any } = await db.query('SELECT 1 FROM sluice.message_status LIMIT 1');
  return any.length === 0 ? 0 : null;
}
