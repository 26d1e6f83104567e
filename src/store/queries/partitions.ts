import type { SqlExecutor } from '../sql-client.js';

const DAY_MS = 86_400_000;

/** The archive partition holding a day (UTC): `sluice.events_YYYYMMDD`. */
export function partitionName(dayStartMs: number): string {
  return `events_${new Date(dayStartMs).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

export function dayStart(time: string | Date | number): number {
  const ms = typeof time === 'number' ? time : new Date(time).getTime();
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * Creates the day's partition if it is missing. Not inside a transaction: several workers
 * starting together race on it, and IF NOT EXISTS does not stop the loser failing with
 * duplicate_table (42P07) or a unique violation on the catalog (23505); the partition then
 * exists, which is all the caller wants.
 */
export async function createDayPartition(client: SqlExecutor, dayStartMs: number): Promise<void> {
  const from = new Date(dayStartMs).toISOString();
  const to = new Date(dayStartMs + DAY_MS).toISOString();
  try {
    await client.query(
      `CREATE TABLE IF NOT EXISTS sluice.${partitionName(dayStartMs)} PARTITION OF sluice.events FOR VALUES FROM ('${from}') TO ('${to}')`,
    );
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '42P07' && code !== '23505') throw error;
  }
}

/** Drops the day partitions that end before `cutoffMs`; returns their names. */
export async function dropPartitionsBefore(tx: SqlExecutor, cutoffMs: number): Promise<string[]> {
  const { rows } = await tx.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
     WHERE n.nspname = 'sluice' AND p.relname = 'events'`,
  );
  const dropped: string[] = [];
  for (const { name } of rows) {
    const match = /^events_(\d{4})(\d{2})(\d{2})$/.exec(name);
    if (match === null) continue;
    const end = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) + DAY_MS;
    if (end <= cutoffMs) {
      await tx.query(`DROP TABLE IF EXISTS sluice.${name}`);
      dropped.push(name);
    }
  }
  return dropped;
}
