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
  if (index === 'gin') await tx.query(CREATE_GIN);
}
