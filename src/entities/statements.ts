import { FIELD_COLUMN_TYPES, entityColumns, tableKey } from './model.js';
import type { EntityDefinition, FieldDefinition } from './model.js';
import { qualifiedTable, quoteIdent } from './names.js';

/** A statement over a batch: its text and the array type of each parameter, in order. */
export interface BatchStatement {
  readonly text: string;
  readonly arrayTypes: readonly string[];
}

/** Where tombstones are kept: one row per deleted key, with the sequence that deleted it. */
export const TOMBSTONES = 'sluice.entity_tombstones';

const SYSTEM = ['_message_id', '_event_type', '_stream_seq'] as const;
const SYSTEM_ARRAYS = ['uuid[]', 'text[]', 'bigint[]'] as const;
const q = quoteIdent;

/** A column's SQL type: `numeric(12,2)` for a decimal, the type's column otherwise. */
export function columnType(field: FieldDefinition): string {
  return field.type === 'decimal' ? `numeric(${field.precision ?? 38},${field.scale ?? 0})` : FIELD_COLUMN_TYPES[field.type];
}

function arrayType(field: FieldDefinition): string {
  return `${FIELD_COLUMN_TYPES[field.type]}[]`;
}

/** `schema.table`, the name tombstones and statuses give a table (`orders` for public ones). */
export function tableLabel(def: Pick<EntityDefinition, 'table'>): string {
  return def.table.schema === 'public' ? def.table.name : `${def.table.schema}.${def.table.name}`;
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function unnest(types: readonly string[], aliases: readonly string[], first = 1): string {
  return `unnest(${types.map((t, i) => `$${i + first}::${t}`).join(', ')}) AS u(${aliases.join(', ')})`;
}

/**
 * A key as one jsonb value, the same whichever session computes it: times as epoch seconds
 * and dates as day numbers (their text depends on the session's TimeZone and DateStyle),
 * decimals at the column's scale.
 */
function keyJson(def: EntityDefinition, alias: string): string {
  const columns = entityColumns(def);
  const parts = tableKey(def).map((name) => {
    const field = columns.find((c) => c.name === name);
    const ref = `${alias}.${q(name)}`;
    if (field === undefined) return ref;
    if (field.type === 'timestamp') return `extract(epoch from ${ref})`;
    if (field.type === 'date') return `(${ref} - date '2000-01-01')`;
    if (field.type === 'decimal') return `${ref}::${columnType(field)}`;
    return ref;
  });
  return `jsonb_build_array(${parts.join(', ')})`;
}

function tombstoneGuard(def: EntityDefinition, alias: string): string {
  return `NOT EXISTS (SELECT 1 FROM ${TOMBSTONES} d WHERE d.table_name = ${literal(tableLabel(def))} AND d.key = ${keyJson(def, alias)} AND d.stream_seq > ${alias}._stream_seq)`;
}

/**
 * The set-based write of an entity's rows for a batch (modes upsert, insert-once, append): one
 * INSERT … ON CONFLICT over arrays, one per column then message ids, event types and
 * sequences. Input rows are sorted by key, so two transactions lock shared rows in the same
 * order. The guard: upsert keeps the highest sequence (an equal one re-applies: a replay
 * repairs a row changed by hand); insert-once keeps the lowest (the first event in stream
 * order, whatever order they arrive in); append never lets another event change a row, and
 * its own replay re-applies. A key deleted by a newer event is not written again.
 */
export function writeStatement(def: EntityDefinition): BatchStatement {
  const table = qualifiedTable(def);
  const columns = entityColumns(def);
  const names = [...columns.map((c) => q(c.name)), ...SYSTEM.map(q)];
  const arrayTypes = [...columns.map(arrayType), ...SYSTEM_ARRAYS];
  const key = tableKey(def).map(q);
  const keyed = new Set(tableKey(def));
  const updated = [...columns.filter((c) => !keyed.has(c.name)).map((c) => q(c.name)), ...SYSTEM.filter((s) => !keyed.has(s)).map(q), q('_updated_at')];
  const newestFirst = def.mode === 'upsert';
  const guard =
    def.mode === 'upsert' ? 't."_stream_seq" <= EXCLUDED."_stream_seq"' : def.mode === 'insert-once' ? 't."_stream_seq" >= EXCLUDED."_stream_seq"' : 't."_message_id" = EXCLUDED."_message_id"';
  const text = `INSERT INTO ${table} AS t (${[...names, q('_updated_at')].join(', ')})
SELECT DISTINCT ON (${key.map((c) => `u.${c}`).join(', ')}) ${names.map((c) => `u.${c}`).join(', ')}, now()
FROM ${unnest(arrayTypes, names)}${def.deletes.length > 0 ? `\nWHERE ${tombstoneGuard(def, 'u')}` : ''}
ORDER BY ${key.map((c) => `u.${c}`).join(', ')}, u."_stream_seq" ${newestFirst ? 'DESC' : 'ASC'}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updated.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
WHERE ${guard}`;
  return { text, arrayTypes };
}

/** The sequence that last set a merge row's column (`name` an SQL text expression): its own entry, else the row's floor; a row stored before `_field_seqs` existed counts as set by its own sequence. */
function setBy(alias: string, name: string): string {
  return `coalesce((${alias}."_field_seqs"->>${name})::bigint, (${alias}."_field_seqs"->>'*')::bigint, ${alias}."_stream_seq")`;
}

/**
 * The write of a `merge` batch: one INSERT … ON CONFLICT over arrays. Each input row is a key's
 * events of the batch folded column by column (a column's value is that of the newest event
 * carrying it, `_seqs` says which: `{"email": 41}`). A new key is inserted as it comes, with
 * the columns an erase newer than them covers left NULL and the erase's sequence as the floor.
 * A stored key takes each column whose event is not older than the one that set it (an equal
 * one re-applies: a replay repairs a column changed by hand); the row's own sequence, id and
 * type are its newest event's. So the row is what applying the events one at a time in
 * stream order gives, whatever order and batches they arrive in. ON CONFLICT reads the
 * current row under its lock, so a transaction that committed meanwhile is not overwritten.
 * Parameters: one array per column, message ids, event types, sequences, then `_seqs` (text).
 */
export function mergeStatement(def: EntityDefinition): BatchStatement {
  const table = qualifiedTable(def);
  const columns = entityColumns(def);
  const names = [...columns.map((c) => q(c.name)), ...SYSTEM.map(q)];
  const arrayTypes = [...columns.map(arrayType), ...SYSTEM_ARRAYS, 'text[]'];
  const aliases = [...names, q('_seqs')];
  const key = tableKey(def).map(q);
  const keyed = new Set(tableKey(def));
  const free = columns.filter((c) => !keyed.has(c.name));
  const floor = def.deletes.length > 0 ? 'coalesce(d.stream_seq, 0)' : '0';
  const carried = (c: FieldDefinition) => `(u."_seqs"::jsonb->>${literal(c.name)})::bigint`;
  const values = columns.map((c) => (keyed.has(c.name) || def.deletes.length === 0 ? `u.${q(c.name)}` : `CASE WHEN ${carried(c)} < ${floor} THEN NULL ELSE u.${q(c.name)} END`));
  const seqs = `(SELECT coalesce(jsonb_object_agg(e.key, e.value::bigint), '{}') FROM jsonb_each_text(u."_seqs"::jsonb) e WHERE e.value::bigint >= ${floor}) || jsonb_build_object('*', ${floor})`;
  const from =
    def.deletes.length > 0
      ? `${unnest(arrayTypes, aliases)}
LEFT JOIN ${TOMBSTONES} d ON d.table_name = ${literal(tableLabel(def))} AND d.key = ${keyJson(def, 'u')}
WHERE d.stream_seq IS NULL OR d.stream_seq <= u."_stream_seq"`
      : unnest(arrayTypes, aliases);
  const wins = (c: FieldDefinition) => `(EXCLUDED."_field_seqs"->>${literal(c.name)})::bigint >= ${setBy('t', literal(c.name))}`;
  const winning = `FROM jsonb_each_text(EXCLUDED."_field_seqs") e WHERE e.key <> '*' AND e.value::bigint >= ${setBy('t', 'e.key')}`;
  const newer = 'EXCLUDED."_stream_seq" >= t."_stream_seq"';
  const sets = [
    ...free.map((c) => `${q(c.name)} = CASE WHEN ${wins(c)} THEN EXCLUDED.${q(c.name)} ELSE t.${q(c.name)} END`),
    `"_field_seqs" = coalesce(t."_field_seqs", jsonb_build_object('*', t."_stream_seq")) || (SELECT coalesce(jsonb_object_agg(e.key, e.value::bigint), '{}') ${winning})`,
    `"_message_id" = CASE WHEN ${newer} THEN EXCLUDED."_message_id" ELSE t."_message_id" END`,
    `"_event_type" = CASE WHEN ${newer} THEN EXCLUDED."_event_type" ELSE t."_event_type" END`,
    '"_stream_seq" = greatest(t."_stream_seq", EXCLUDED."_stream_seq")',
    '"_updated_at" = now()',
  ];
  const text = `INSERT INTO ${table} AS t (${[...names, q('_field_seqs'), q('_updated_at')].join(', ')})
SELECT DISTINCT ON (${key.map((c) => `u.${c}`).join(', ')}) ${[...values, ...SYSTEM.map((c) => `u.${q(c)}`)].join(', ')}, ${seqs}, now()
FROM ${from}
ORDER BY ${key.map((c) => `u.${c}`).join(', ')}, u."_stream_seq" DESC
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${sets.join(',\n  ')}
WHERE ${newer} OR EXISTS (SELECT 1 ${winning})`;
  return { text, arrayTypes };
}

/**
 * Deletes the rows of a batch's delete events that are not newer than the delete (and their
 * children's rows), and remembers each deleted key with its sequence in the tombstones, so an
 * older event cannot bring the row back. The rows were locked by the table's write statement
 * just before (a delete passes through it as a row of its key), so this waits for nobody.
 * Parameters: one array per key column, message ids, sequences.
 */
export function deleteStatement(def: EntityDefinition, children: readonly EntityDefinition[]): BatchStatement {
  const table = qualifiedTable(def);
  const columns = entityColumns(def);
  const keys = tableKey(def);
  const keyTypes = keys.map((k) => arrayType(columns.find((c) => c.name === k) as FieldDefinition));
  const key = keys.map(q);
  const arrayTypes = [...keyTypes, 'uuid[]', 'bigint[]'];
  const aliases = [...key, '"_message_id"', '"_stream_seq"'];
  const match = (alias: string) => key.map((c) => `${alias}.${c} = d.${c}`).join(' AND ');
  const childDeletes = children.map(
    (child, i) => `,
c${i} AS (DELETE FROM ${qualifiedTable(child)} c USING d WHERE ${match('c')} AND c."_stream_seq" <= d."_stream_seq")`,
  );
  const text = `WITH d AS (SELECT DISTINCT ON (${key.join(', ')}) * FROM ${unnest(arrayTypes, aliases).replace(' AS u(', ' AS x(')} ORDER BY ${key.join(', ')}, "_stream_seq" DESC),
gone AS (DELETE FROM ${table} t USING d WHERE ${match('t')} AND t."_stream_seq" <= d."_stream_seq")${def.mode === 'merge' ? eraseOlderColumns(def, match) : ''}${childDeletes.join('')}
INSERT INTO ${TOMBSTONES} AS s (table_name, key, stream_seq, message_id)
SELECT ${literal(tableLabel(def))}, ${keyJson(def, 'd')}, d."_stream_seq", d."_message_id" FROM d ORDER BY ${key.map((c) => `d.${c}`).join(', ')}
ON CONFLICT (table_name, key) DO UPDATE SET stream_seq = EXCLUDED.stream_seq, message_id = EXCLUDED.message_id, deleted_at = now()
WHERE s.stream_seq < EXCLUDED.stream_seq`;
  return { text, arrayTypes };
}

/**
 * A `merge` row newer than a delete that arrives late keeps only what events after the delete
 * set: applied in stream order, the delete would have cleared the columns set before it.
 */
function eraseOlderColumns(def: EntityDefinition, match: (alias: string) => string): string {
  const keyed = new Set(tableKey(def));
  const sets = entityColumns(def)
    .filter((c) => !keyed.has(c.name))
    .map((c) => `${q(c.name)} = CASE WHEN ${setBy('t', literal(c.name))} < d."_stream_seq" THEN NULL ELSE t.${q(c.name)} END`);
  const kept = `(SELECT coalesce(jsonb_object_agg(e.key, e.value::bigint), '{}') FROM jsonb_each_text(t."_field_seqs") e WHERE e.key <> '*' AND e.value::bigint > d."_stream_seq")`;
  return `,
erased AS (UPDATE ${qualifiedTable(def)} t SET ${[...sets, `"_field_seqs" = ${kept} || jsonb_build_object('*', d."_stream_seq")`, '"_updated_at" = now()'].join(', ')}
  FROM d WHERE ${match('t')} AND t."_stream_seq" > d."_stream_seq" AND t."_field_seqs" IS NOT NULL AND (t."_field_seqs"->>'*')::bigint < d."_stream_seq")`;
}

/**
 * Removes rows of the given keys that a tombstone newer than the row covers. A write's own
 * tombstone check reads the snapshot its statement started with, so a delete that another
 * transaction committed while the write waited for the row is invisible to it; this next
 * statement sees it. Parameters: one array per key column.
 */
export function buryStatement(def: EntityDefinition): BatchStatement {
  const table = qualifiedTable(def);
  const columns = entityColumns(def);
  const keys = tableKey(def);
  const arrayTypes = keys.map((k) => arrayType(columns.find((c) => c.name === k) as FieldDefinition));
  const key = keys.map(q);
  const text = `DELETE FROM ${table} t USING ${unnest(arrayTypes, key)}, ${TOMBSTONES} d
WHERE ${key.map((c) => `t.${c} = u.${c}`).join(' AND ')} AND d.table_name = ${literal(tableLabel(def))} AND d.key = ${keyJson(def, 't')} AND d.stream_seq > t."_stream_seq"`;
  return { text, arrayTypes };
}

/**
 * Replaces a child entity's rows under each root key whose root row this batch's event wrote
 * (its `_stream_seq` is the event's): elements the event no longer carries are deleted, the
 * others upserted. A root event that lost to a newer one leaves the children alone. `root` is
 * the entity with `types` the child hangs from (its parent, or its parent's parent for a
 * grandchild); its key columns lead the child's. Parameters: per root key column an array,
 * then the sets' sequences, then one array per child column, message ids, event types and
 * sequences.
 */
export function childrenStatement(child: EntityDefinition, root: EntityDefinition): BatchStatement {
  const table = qualifiedTable(child);
  const columns = entityColumns(child);
  const rootKey = child.parentKey.slice(0, tableKey(root).length);
  const parentKey = rootKey.map((f) => q(f.name));
  const setTypes = [...rootKey.map(arrayType), 'bigint[]'];
  const setAliases = [...parentKey, '"_stream_seq"'];
  const names = [...columns.map((c) => q(c.name)), ...SYSTEM.map(q)];
  const rowTypes = [...columns.map(arrayType), ...SYSTEM_ARRAYS];
  const key = tableKey(child).map(q);
  const keyed = new Set(tableKey(child));
  const updated = [...columns.filter((c) => !keyed.has(c.name)).map((c) => q(c.name)), ...SYSTEM.map(q), q('_updated_at')];
  const onParent = (alias: string, other: string) => parentKey.map((c) => `${alias}.${c} = ${other}.${c}`).join(' AND ');
  const text = `WITH s AS (SELECT * FROM ${unnest(setTypes, setAliases).replace(' AS u(', ' AS x(')}),
a AS (SELECT s.* FROM s JOIN ${qualifiedTable(root)} p ON ${onParent('p', 's')} AND p."_stream_seq" = s."_stream_seq"),
e AS (SELECT * FROM ${unnest(rowTypes, names, setTypes.length + 1).replace(' AS u(', ' AS y(')}),
gone AS (DELETE FROM ${table} c USING a WHERE ${onParent('c', 'a')} AND c."_stream_seq" <= a."_stream_seq"
  AND NOT EXISTS (SELECT 1 FROM e WHERE ${key.map((k) => `e.${k} = c.${k}`).join(' AND ')} AND e."_stream_seq" = a."_stream_seq"))
INSERT INTO ${table} AS t (${[...names, q('_updated_at')].join(', ')})
SELECT ${names.map((c) => `e.${c}`).join(', ')}, now() FROM e JOIN a ON ${onParent('e', 'a')} AND e."_stream_seq" = a."_stream_seq"
ORDER BY ${key.map((c) => `e.${c}`).join(', ')}
ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updated.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}
WHERE t."_stream_seq" <= EXCLUDED."_stream_seq"`;
  return { text, arrayTypes: [...setTypes, ...rowTypes] };
}
