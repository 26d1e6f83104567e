export type {
  CompiledEntity,
  EntityDefinition,
  EntityMode,
  EntityModel,
  EventAttributes,
  EventData,
  EventMapping,
  EventRows,
  ExistingColumn,
  FieldDefinition,
  FieldSource,
  FieldType,
  MappedChildren,
  MappedDelete,
  MappedRow,
  RowReference,
  TableName,
  WhenCondition,
} from './model.js';
export { FIELD_COLUMN_TYPES, FIELD_SEQS_COLUMN, SYSTEM_COLUMNS, entityColumns, tableKey } from './model.js';
export { EntityFileError, EntityMigrationError } from './errors.js';
export { loadEntityFile, parseEntityFile } from './parse-entity-file.js';
export { compileEntities } from './compile-entities.js';
export { parseEventData, parseEventText } from './event-data.js';
export { readPath } from './paths.js';
export { qualifiedTable, quoteIdent } from './names.js';
export { existingColumnsQuery, planEntityTable } from './table-plan.js';
export { buryStatement, childrenStatement, columnType, deleteStatement, mergeStatement, tableLabel, writeStatement, TOMBSTONES } from './statements.js';
export type { BatchStatement } from './statements.js';
export { rowReferences } from './row-references.js';
export { entityTypeScript } from './typescript-types.js';
