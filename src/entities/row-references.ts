import { entityColumns, tableKey } from './model.js';
import type { EntityDefinition, EventRows, RowReference } from './model.js';
import { tableLabel } from './statements.js';

function reference(def: EntityDefinition, values: readonly unknown[], messageId: string): RowReference {
  const columns = entityColumns(def);
  const key: Record<string, unknown> = {};
  for (const k of tableKey(def)) key[k] = k === '_message_id' ? messageId : values[columns.findIndex((c) => c.name === k)];
  return { table: tableLabel(def), key };
}

/** The rows an event writes or deletes, by table and key: what its status names. */
export function rowReferences(rows: EventRows, messageId: string): RowReference[] {
  const out: RowReference[] = [];
  for (const w of rows.writes) out.push(reference(w.entity, w.values, messageId));
  for (const set of rows.children) for (const values of set.rows) out.push(reference(set.entity, values, messageId));
  for (const d of rows.deletes) {
    const key: Record<string, unknown> = {};
    tableKey(d.entity).forEach((k, i) => (key[k] = d.key[i]));
    out.push({ table: tableLabel(d.entity), key, deleted: true });
  }
  return out;
}
