import { EntityMigrationError } from './errors.js';
import { createHash } from 'node:crypto';
import { FIELD_SEQS_COLUMN, SYSTEM_COLUMNS, entityColumns, tableKey } from './model.js';
import type { EntityDefinition, ExistingColumn, FieldDefinition, FieldType } from './model.js';
import { MAX_IDENTIFIER_LENGTH, qualifiedTable, quoteIdent } from './names.js';
import { columnType } from './statements.js';

/** How information_schema spells each field type's column type. */
const INFORMATION_SCHEMA_TYPES: Record<FieldType, string> = {
  string: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamp with time zone',
  json: 'jsonb',
  decimal: 'numeric',
  bigint: 'bigint',
  date: 'date',
  uuid: 'uuid',
};

/**
 * The query that reads an entity table's columns (with their primary-key position) from
 * information_schema. No rows means the table does not exist: pass `null` to `planEntityTable`.
 */
export function existingColumnsQuery(def: Pick<EntityDefinition, 'table'>): { text: string; params: string[] } {
  return {
    text: `SELECT c.column_name::text AS column_name, c.data_type::text AS data_type, c.numeric_precision::int AS numeric_precision,
  c.numeric_scale::int AS numeric_scale, k.ordinal_position::int AS key_position
FROM information_schema.columns c
LEFT JOIN information_schema.table_constraints tc
  ON tc.table_schema = c.table_schema AND tc.table_name = c.table_name AND tc.constraint_type = 'PRIMARY KEY'
LEFT JOIN information_schema.key_column_usage k
  ON k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name
 AND k.table_schema = c.table_schema AND k.table_name = c.table_name AND k.column_name = c.column_name
WHERE c.table_schema = $1 AND c.table_name = $2
ORDER BY c.ordinal_position`,
    params: [def.table.schema, def.table.name],
  };
}

function columnDefinition(field: FieldDefinition, isKey: boolean): string {
  return `${quoteIdent(field.name)} ${columnType(field)}${isKey ? ' NOT NULL' : ''}`;
}

/** `orders_customer_id_idx`, shortened with a hash when PostgreSQL would truncate it. */
function indexName(def: EntityDefinition, column: string, unique: boolean): string {
  const name = `${def.table.name}_${column}_${unique ? 'key' : 'idx'}`;
  if (name.length <= MAX_IDENTIFIER_LENGTH) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_IDENTIFIER_LENGTH - 9)}_${hash}`;
}

/** `index: true` and `unique: true` fields' indexes (created if missing; an index no longer declared is left in place). */
function indexStatements(def: EntityDefinition): string[] {
  const table = qualifiedTable(def);
  return def.fields
    .filter((f) => f.index || f.unique)
    .map((f) => `CREATE ${f.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quoteIdent(indexName(def, f.name, f.unique))} ON ${table} (${quoteIdent(f.name)})`);
}

/**
 * The DDL statements that bring an entity's table in line with its definition, in order.
 * `existing` is what `existingColumnsQuery` returned (`null` or empty: no table yet). Only
 * additions are planned; a change that would lose data or break the upsert throws
 * `EntityMigrationError` instead. An empty result means the table is up to date.
 */
export function planEntityTable(def: EntityDefinition, existing: readonly ExistingColumn[] | null): string[] {
  const table = qualifiedTable(def);
  if (existing === null || existing.length === 0) {
    const statements: string[] = [];
    if (def.table.schema !== 'public') statements.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(def.table.schema)}`);
    const key = tableKey(def);
    const columns = [
      ...entityColumns(def).map((f) => columnDefinition(f, key.includes(f.name))),
      ...SYSTEM_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.definition}`),
      ...(def.mode === 'merge' ? [`${quoteIdent(FIELD_SEQS_COLUMN.name)} ${FIELD_SEQS_COLUMN.definition}`] : []),
      `PRIMARY KEY (${key.map(quoteIdent).join(', ')})`,
    ];
    statements.push(`CREATE TABLE IF NOT EXISTS ${table} (\n  ${columns.join(',\n  ')}\n)`);
    return [...statements, ...indexStatements(def)];
  }

  const byName = new Map(existing.map((c) => [c.column_name, c]));
  const problems: string[] = [];
  const additions: string[] = [];
  const columns = entityColumns(def);
  for (const field of columns) {
    const column = byName.get(field.name);
    const wanted = INFORMATION_SCHEMA_TYPES[field.type];
    if (column === undefined) {
      additions.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${columnDefinition(field, false)}`);
    } else if (column.data_type !== wanted || (field.type === 'decimal' && digitsDiffer(field, column))) {
      const sqlType = columnType(field);
      const was = column.data_type === 'numeric' && column.numeric_precision != null ? `numeric(${column.numeric_precision},${column.numeric_scale ?? 0})` : column.data_type;
      problems.push(
        `column ${quoteIdent(field.name)} is ${was} but field "${field.name}" is now declared ${field.type} (${sqlType}); ` +
          `changing a column's type can fail on, or silently alter, the values already stored, so Sluice does not do it. ` +
          `Either declare the field's old type again, or convert the column yourself ` +
          `(ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(field.name)} TYPE ${sqlType} USING ${quoteIdent(field.name)}::${sqlType}) and run migrate again`,
      );
    }
  }

  const declared = new Set(columns.map((f) => f.name));
  for (const column of existing) {
    // Kept when an entity leaves merge mode: it holds no data of the user's.
    if (column.column_name === FIELD_SEQS_COLUMN.name) continue;
    const system = SYSTEM_COLUMNS.find((c) => c.name === column.column_name);
    if (system !== undefined) {
      if (column.data_type !== system.type) {
        problems.push(`column ${quoteIdent(column.column_name)} is ${column.data_type} but Sluice needs ${system.type}; the table was not created by Sluice or was changed by hand — fix or rename the table`);
      }
      continue;
    }
    if (!declared.has(column.column_name)) {
      problems.push(
        `column ${quoteIdent(column.column_name)} holds a field that entity ${def.name} no longer declares; dropping it would delete its data, so Sluice does not. ` +
          `Declare the field again to keep it, or drop the column yourself (ALTER TABLE ${table} DROP COLUMN ${quoteIdent(column.column_name)}) and run migrate again`,
      );
    }
  }
  for (const system of SYSTEM_COLUMNS) {
    if (!byName.has(system.name)) {
      problems.push(`column ${quoteIdent(system.name)} is missing; the table was not created by Sluice — rename it, or give entity ${def.name} another table`);
    }
  }

  if (def.mode === 'merge' && !byName.has(FIELD_SEQS_COLUMN.name)) {
    // Rows stored before: their columns count as set by the row's own sequence.
    additions.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${quoteIdent(FIELD_SEQS_COLUMN.name)} ${FIELD_SEQS_COLUMN.definition}`);
  }
  const keyProblem = keyChange(def, existing);
  if (keyProblem !== null) problems.push(keyProblem);
  if (problems.length > 0) throw new EntityMigrationError(def.name, table, problems);
  return [...additions, ...indexStatements(def)];
}

/** A decimal column whose precision or scale is not the declared one (information_schema tells both). */
function digitsDiffer(field: FieldDefinition, column: ExistingColumn): boolean {
  if (column.numeric_precision === undefined) return false;
  return column.numeric_precision !== (field.precision ?? null) || (column.numeric_scale ?? 0) !== (field.scale ?? 0);
}

function keyChange(def: EntityDefinition, existing: readonly ExistingColumn[]): string | null {
  // Callers that read information_schema.columns alone do not know the key; nothing to compare.
  if (existing.every((c) => c.key_position === undefined)) return null;
  const current = existing
    .filter((c) => typeof c.key_position === 'number')
    .sort((a, b) => (a.key_position as number) - (b.key_position as number))
    .map((c) => c.column_name);
  const key = tableKey(def);
  if (current.length === key.length && current.every((name, i) => name === key[i])) return null;
  const was = current.length === 0 ? 'no primary key' : `the primary key (${current.map(quoteIdent).join(', ')})`;
  return (
    `the table has ${was} but entity ${def.name} now declares key (${key.map(quoteIdent).join(', ')}); ` +
    `changing the key would merge or split the rows already stored, so Sluice does not do it. ` +
    `Declare the old key again, or move the data yourself (for example rename the table, run migrate to create the new one, and replay the events)`
  );
}
