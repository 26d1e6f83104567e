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

/** Columns Sluice adds to every entity table, after the declared ones. */
export const SYSTEM_COLUMNS = [
  { name: '_message_id', type: 'uuid', definition: 'uuid NOT NULL' },
  { name: '_event_type', type: 'text', definition: 'text NOT NULL' },
  { name: '_stream_seq', type: 'bigint', definition: 'bigint NOT NULL' },
  { name: '_updated_at', type: 'timestamp with time zone', definition: 'timestamptz NOT NULL DEFAULT now()' },
] as const;

/**
 * One column of an existing entity table, as `existingColumnsQuery` returns it.
 * `data_type` is information_schema's spelling (`timestamp with time zone`, not `timestamptz`).
 */
export interface ExistingColumn {
  readonly column_name: string;
  readonly data_type: string;
  /**
   * The column's 1-based position in the table's primary key, null when it is not part of it.
   * Left out (undefined) when the caller only read information_schema.columns: the key is then not checked.
   */
  readonly key_position?: number | null;
}

/** One event's row for an entity table: the declared fields' values plus where it came from. */
export interface EntityRow {
  /** `CompiledEntity.row(data)`: the declared fields' values in field order. */
  readonly values: readonly unknown[];
  readonly messageId: string;
  readonly eventType: string;
  /** The event's JetStream stream sequence; the highest one wins. */
  readonly streamSeq: number;
}
