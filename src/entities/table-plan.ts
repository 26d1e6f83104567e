import { EntityMigrationError } from './errors.js';
import { FIELD_COLUMN_TYPES, SYSTEM_COLUMNS } from './model.js';
import type { EntityDefinition, ExistingColumn, FieldDefinition, FieldType } from './model.js';
import { qualifiedTable, quoteIdent } from './names.js';

/** How information_schema spells each field type's column type. */
const INFORMATION_SCHEMA_TYPES: Record<FieldType, string> = {
  string: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamp with time zone',
  json: 'jsonb',
};

/**
 * The query that reads an entity table's columns (with their primary-key position) from
 * information_schema. No rows means the table does not exist: pass `null` to `planEntityTable`.
 */
export function existingColumnsQuery(def: Pick<EntityDefinition, 'table'>): { text: string; params: string[] } {
  return {
    text: `SELECT c.column_name::text AS column_name, c.data_type::text AS data_type, k.ordinal_position::int AS key_position
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
  return `${quoteIdent(field.name)} ${FIELD_COLUMN_TYPES[field.type]}${isKey ? ' NOT NULL' : ''}`;
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
    const columns = [
      ...def.fields.map((f) => columnDefinition(f, def.key.includes(f.name))),
      ...SYSTEM_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.definition}`),
      `PRIMARY KEY (${def.key.map(quoteIdent).join(', ')})`,
    ];
    statements.push(`CREATE TABLE IF NOT EXISTS ${table} (\n  ${columns.join(',\n  ')}\n)`);
    return statements;
  }

  const byName = new Map(existing.map((c) => [c.column_name, c]));
  const problems: string[] = [];
  const additions: string[] = [];
  for (const field of def.fields) {
    const column = byName.get(field.name);
    const wanted = INFORMATION_SCHEMA_TYPES[field.type];
    if (column === undefined) {
      additions.push(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${columnDefinition(field, false)}`);
    } else if (column.data_type !== wanted) {
      const sqlType = FIELD_COLUMN_TYPES[field.type];
      problems.push(
        `column ${quoteIdent(field.name)} is ${column.data_type} but field "${field.name}" is now declared ${field.type} (${sqlType}); ` +
          `changing a column's type can fail on, or silently alter, the values already stored, so Sluice does not do it. ` +
          `Either declare the field's old type again, or convert the column yourself ` +
          `(ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(field.name)} TYPE ${sqlType} USING ${quoteIdent(field.name)}::${sqlType}) and run migrate again`,
      );
    }
  }

  const declared = new Set(def.fields.map((f) => f.name));
  for (const column of existing) {
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

  const keyProblem = keyChange(def, existing);
  if (keyProblem !== null) problems.push(keyProblem);
  if (problems.length > 0) throw new EntityMigrationError(def.name, table, problems);
  return additions;
}

function keyChange(def: EntityDefinition, existing: readonly ExistingColumn[]): string | null {
  // Callers that read information_schema.columns alone do not know the key; nothing to compare.
  if (existing.every((c) => c.key_position === undefined)) return null;
  const current = existing
    .filter((c) => typeof c.key_position === 'number')
    .sort((a, b) => (a.key_position as number) - (b.key_position as number))
    .map((c) => c.column_name);
  if (current.length === def.key.length && current.every((name, i) => name === def.key[i])) return null;
  const was = current.length === 0 ? 'no primary key' : `the primary key (${current.map(quoteIdent).join(', ')})`;
  return (
    `the table has ${was} but entity ${def.name} now declares key (${def.key.map(quoteIdent).join(', ')}); ` +
    `changing the key would merge or split the rows already stored, so Sluice does not do it. ` +
    `Declare the old key again, or move the data yourself (for example rename the table, run migrate to create the new one, and replay the events)`
  );
}
