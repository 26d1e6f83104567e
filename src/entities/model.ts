/** Field types an entity file may declare, and the PostgreSQL column type each becomes. */
export const FIELD_COLUMN_TYPES = {
  string: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
} as const;

export type FieldType = keyof typeof FIELD_COLUMN_TYPES;

export interface FieldDefinition {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
  /** The other JSON Schema keywords declared for the field (minimum, maxLength, enum, pattern, ...). */
  readonly keywords: Readonly<Record<string, unknown>>;
}

export interface TableName {
  /** `public` unless the entity's `table` names a schema. */
  readonly schema: string;
  readonly name: string;
}

export interface EntityDefinition {
  readonly name: string;
  readonly table: TableName;
  /** Type patterns (NATS wildcards) routed to this entity. */
  readonly types: readonly string[];
  /** Upsert key: field names, in order. */
  readonly key: readonly string[];
  /** Declared fields, in file order. */
  readonly fields: readonly FieldDefinition[];
}

/** An entity ready for the worker: its definition with a compiled validator. */
export interface CompiledEntity {
  readonly definition: EntityDefinition;
  /** Null when `data` is valid; otherwise a sentence naming the field and the reason. */
  validate(data: unknown): string | null;
  /** The declared fields' values in `definition.fields` order (null for missing), ready for SQL parameters. */
  row(data: Record<string, unknown>): unknown[];
}

/** All entities of one file, with routing. */
export interface EntityModel {
  readonly entities: readonly CompiledEntity[];
  /** The entity an event goes to: by hint (entity name) first, else by type. */
  route(type: string, hint?: string): CompiledEntity | null;
}
