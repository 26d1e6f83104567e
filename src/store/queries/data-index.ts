import type { SqlExecutor } from '../sql-client.js';

/** Which index serves `GET /events?data=` (containment, `@>`): none, or GIN over the archive's `data`. */
export type DataIndex = 'none' | 'gin';

/**
 * GIN with `jsonb_path_ops` (it serves `@>` only, and is smaller and faster to keep than the
 * default `jsonb_ops`). On 1 000 000 archived events a search by type and day took 761-879 ms
 * without it and 2-14 ms with it; it costs 63 bytes an event and 20 s to build on 1 000 000
 * rows (BENCHMARKS.md). Made on the partitioned parent, so every day-partition, those created
 * later included, has its own. The name is the one BENCHMARKS.md gave for making it by hand,
 * so an index made that way is recognised, not built twice.
 */
const CREATE_GIN = 'CREATE INDEX IF NOT EXISTS events_data_idx ON sluice.events USING gin (data jsonb_path_ops)';

/**
 * Applies the configured data index at migrate time. `none` leaves an existing index in place,
 * as an entity index no longer declared is: dropping it is an operator's decision
 * (`DROP INDEX sluice.events_data_idx`), not a side effect of an upgrade.
 */
export async function applyDataIndex(tx: SqlExecutor, index: DataIndex): Promise<void> {
  if (index !== 'gin') return;
  // CREATE INDEX IF NOT EXISTS takes its lock on the archive and every partition before it
  // looks at the name, and holds it to the end of the migration: each start of a worker would
  // make the running workers' writes wait. Looking first costs nothing of the kind. The first
  // build does hold the writes (about 20 s a million archived rows): enable it at a quiet time.
  const { rows } = await tx.query<{ present: boolean }>("SELECT to_regclass('sluice.events_data_idx') IS NOT NULL AS present");
  if (rows[0]?.present !== true) await tx.query(CREATE_GIN);
}
