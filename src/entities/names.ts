import type { EntityDefinition } from './model.js';

/** Entity, field, schema and table names: plain identifiers, nothing to escape in practice. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** PostgreSQL silently truncates longer identifiers, which could make two names one. */
export const MAX_IDENTIFIER_LENGTH = 63;

/** Returns why `name` is not a plain identifier, or null when it is. */
export function identifierProblem(name: string, what: string): string | null {
  if (!IDENTIFIER.test(name)) {
    return `${what} ${JSON.stringify(name.slice(0, 80))} is not a plain identifier: use letters, digits and "_", not starting with a digit`;
  }
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    return `${what} "${name.slice(0, 80)}" is ${name.length} characters long; PostgreSQL allows at most ${MAX_IDENTIFIER_LENGTH}`;
  }
  return null;
}

/**
 * Quotes an identifier for SQL. Always quoted, embedded quotes doubled: even though the entity
 * file only admits plain identifiers, the SQL builders never trust that they were checked.
 */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('an SQL identifier cannot contain a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

/** The entity's table as `"schema"."name"`. */
export function qualifiedTable(def: Pick<EntityDefinition, 'table'>): string {
  return `${quoteIdent(def.table.schema)}.${quoteIdent(def.table.name)}`;
}
