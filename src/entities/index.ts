export type {
  CompiledEntity,
  EntityDefinition,
  EntityModel,
  EntityRow,
  ExistingColumn,
  FieldDefinition,
  FieldType,
  TableName,
} from './model.js';
export { FIELD_COLUMN_TYPES, SYSTEM_COLUMNS } from './model.js';
export { EntityFileError, EntityMigrationError } from './errors.js';
export { loadEntityFile, parseEntityFile } from './parse-entity-file.js';
export { compileEntities } from './compile-entities.js';
export { qualifiedTable, quoteIdent } from './names.js';
export { typePatternsOverlap } from './type-overlap.js';
export { existingColumnsQuery, planEntityTable } from './table-plan.js';
export { newestPerKey, upsertParameters, upsertStatement } from './upsert.js';
export type { UpsertStatement } from './upsert.js';
export { entityTypeScript } from './typescript-types.js';
