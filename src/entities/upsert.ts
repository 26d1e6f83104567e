import { FIELD_COLUMN_TYPES } from './model.js';
import type { EntityDefinition, EntityRow } from './model.js';
import { qualifiedTable, quoteIdent } from './names.js';

/** An entity's batch upsert: the SQL text and the array type of each parameter, in order. */
export interface UpsertStatement {
  readonly text: string;
  /** `text[]`, `bigint[]`, ...: one per declared field in field order, then `uuid[]`, `text[]`, `bigint[]`. */
  readonly arrayTypes: readonly string[];
}

/**
 * One set-based statement that upserts a whole batch of an entity's rows by key. Parameters:
 * one array per declared field (field order), then message ids, event types and stream
 * sequences (`upsertParameters` builds them). The row keeps the event with the highest stream
 * sequence: an older event never overwrites a newer one, and an equal sequence re-applies
 * (a replay repairs a row changed by hand). Rows with the same key in one batch are reduced
 * to the newest inside the statement too, so it never touches a row twice.
 */
export function upsertStatement(def: EntityDefinition): UpsertStatement {
  const table = qualifiedTable(def);
  const fieldColumns = def.fields.map((f) => quoteIdent(f.name));
  const systemColumns = ['_message_id', '_event_type', '_stream_seq'].map(quoteIdent);
  const arrayTypes = [...def.fields.map((f) => `${FIELD_COLUMN_TYPES[f.type]}[]`), 'uuid[]', 'text[]', 'bigint[]'];
  const inputs = arrayTypes.map((type, i) => `$${i + 1}::${type}`).join(', ');
  const aliases = [...fieldColumns, ...systemColumns];
  const keyColumns = def.key.map(quoteIdent);
  const updated = [...def.fields.filter((f) => !def.key.includes(f.name)).map((f) => quoteIdent(f.name)), ...systemColumns, quoteIdent('_updated_at')];

  const text = `INSERT INTO ${table} AS t (${[...aliases, quoteIdent('_updated_at')].join(', ')})
SELECT DISTINCT ON (${keyColumns.map((c) => `u.${c}`).join(', ')}) ${aliases.map((c) => `u.${c}`).join(', ')}, now()
FROM unnest(${inputs}) AS u(${aliases.join(', ')})
ORDER BY ${keyColumns.map((c) => `u.${c}`).join(', ')}, u.${quoteIdent('_stream_seq')} DESC
ON CONFLICT (${keyColumns.join(', ')}) DO UPDATE SET ${updated.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
WHERE t.${quoteIdent('_stream_seq')} <= EXCLUDED.${quoteIdent('_stream_seq')}`;
  return { text, arrayTypes };
}

/**
 * Of rows with the same key, keeps only the one with the highest stream sequence (the later
 * one on a tie), in the order the kept rows first appeared. Shrinks a batch before
 * `upsertParameters`; the statement reduces duplicates itself as well.
 */
export function newestPerKey(def: EntityDefinition, rows: readonly EntityRow[]): EntityRow[] {
  const keyIndexes = def.key.map((k) => def.fields.findIndex((f) => f.name === k));
  if (keyIndexes.some((i) => i < 0)) throw new Error(`entity ${def.name}: a key field is not declared`);
  const newest = new Map<string, EntityRow>();
  for (const row of rows) {
    const key = JSON.stringify(keyIndexes.map((i) => row.values[i] ?? null));
    const seen = newest.get(key);
    if (seen === undefined || row.streamSeq >= seen.streamSeq) newest.set(key, row);
  }
  return [...newest.values()];
}

/** The parameters of `upsertStatement` for a batch: one array per column, in statement order. */
export function upsertParameters(def: EntityDefinition, rows: readonly EntityRow[]): unknown[][] {
  const columns: unknown[][] = def.fields.map(() => []);
  const messageIds: string[] = [];
  const eventTypes: string[] = [];
  const streamSeqs: number[] = [];
  for (const row of rows) {
    if (row.values.length !== def.fields.length) {
      throw new Error(`entity ${def.name}: a row has ${row.values.length} values for ${def.fields.length} fields`);
    }
    row.values.forEach((v, i) => (columns[i] as unknown[]).push(v));
    messageIds.push(row.messageId);
    eventTypes.push(row.eventType);
    streamSeqs.push(row.streamSeq);
  }
  return [...columns, messageIds, eventTypes, streamSeqs];
}
