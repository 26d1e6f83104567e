/** Field types an entity file may declare, and the PostgreSQL column type each becomes. */
export const FIELD_COLUMN_TYPES = {
  string: 'text',
  integer: 'bigint',
  number: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
  decimal: 'numeric',
  bigint: 'bigint',
  date: 'date',
  uuid: 'uuid',
} as const;

export type FieldType = keyof typeof FIELD_COLUMN_TYPES;

/** The event attributes a field can take with `from: $id` (and an expression can read as `$id`). */
export const EVENT_ATTRIBUTES = ['id', 'type', 'source', 'time'] as const;
export type EventAttribute = (typeof EVENT_ATTRIBUTES)[number];

/** Where a field's value comes from. */
export type FieldSource =
  /** Dotted paths into the data (or the array element, for a child): the first non-null one. */
  | { readonly kind: 'paths'; readonly paths: readonly (readonly string[])[] }
  /** A constant (`value:`). */
  | { readonly kind: 'value'; readonly value: unknown }
  /** A JSONata expression (`expr:`). */
  | { readonly kind: 'expr'; readonly text: string }
  /** `from: $id` and the other event attributes. */
  | { readonly kind: 'attribute'; readonly attribute: EventAttribute }
  /** `from: $index`: the element's position in the parent's array (from 0). */
  | { readonly kind: 'index' };

export interface FieldDefinition {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
  /** The other JSON Schema keywords declared for the field (minimum, maxLength, enum, pattern, ...). */
  readonly keywords: Readonly<Record<string, unknown>>;
  readonly source: FieldSource;
  /** Fills a value that is missing or null; undefined when the field has none. */
  readonly default?: unknown;
  readonly index: boolean;
  readonly unique: boolean;
  /** `decimal` only: total digits and digits after the point. */
  readonly precision?: number;
  readonly scale?: number;
}

export interface TableName {
  /** `public` unless the entity's `table` names a schema. */
  readonly schema: string;
  readonly name: string;
}

/** How an event's row meets the row already stored under its key. */
export type EntityMode = 'upsert' | 'merge' | 'append' | 'insert-once';

/** `when:` — the event feeds the entity only when this holds. */
export type WhenCondition =
  | { readonly kind: 'exists'; readonly path: readonly string[]; readonly exists: boolean }
  | { readonly kind: 'equals'; readonly path: readonly string[]; readonly value: unknown }
  | { readonly kind: 'expr'; readonly text: string };

export interface EntityDefinition {
  readonly name: string;
  readonly table: TableName;
  /** Type patterns (NATS wildcards) routed to this entity; empty for a child. */
  readonly types: readonly string[];
  /** Key fields as declared, in order (empty for an `append` entity keyed by event id). */
  readonly key: readonly string[];
  /** Declared fields, in file order. */
  readonly fields: readonly FieldDefinition[];
  readonly mode: EntityMode;
  /** Type patterns whose events delete the row. */
  readonly deletes: readonly string[];
  readonly when: WhenCondition | null;
  /** A child: its parent's name and the path of the parent data's array it repeats for. */
  readonly parent: string | null;
  readonly each: readonly string[] | null;
  /** A child's copy of its parent's key fields (leading columns of its table and key); empty otherwise. */
  readonly parentKey: readonly FieldDefinition[];
}

/** The columns of an entity's table in order: the parent's key (a child), then the declared fields. */
export function entityColumns(def: EntityDefinition): readonly FieldDefinition[] {
  return def.parentKey.length === 0 ? def.fields : [...def.parentKey, ...def.fields];
}

/** The table's primary key columns: the parent's key plus the declared key, or `_message_id` for an `append` entity without a key. */
export function tableKey(def: EntityDefinition): readonly string[] {
  if (def.key.length === 0) return ['_message_id'];
  return [...def.parentKey.map((f) => f.name), ...def.key];
}

/** The event attributes a mapping reads, besides its data. */
export interface EventAttributes {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: string;
}

/** An event's data, parsed once: plain values, and an exact copy when it holds numbers a double cannot carry. */
export interface EventData {
  readonly value: unknown;
  /** The same document with every number as its text (lossless-json), or null when every number fits a double exactly. */
  readonly exact: unknown;
}

/** One row an event writes into an entity's table: values in `entityColumns` order, ready for SQL parameters. */
export interface MappedRow {
  readonly entity: EntityDefinition;
  readonly values: readonly unknown[];
  /** `merge` only: which columns the event carries (the others keep their stored values). */
  readonly present?: readonly boolean[];
  /** `merge` only, once a batch's events for the key are folded: the sequence each carried column's value comes from. */
  readonly seqs?: readonly (number | null)[];
}

/** A row an event deletes: the key values in `tableKey` order. */
export interface MappedDelete {
  readonly entity: EntityDefinition;
  readonly key: readonly unknown[];
  /** The entity's children, whose rows under the key go too. */
  readonly children: readonly EntityDefinition[];
}

/** A child entity's full set of rows under one parent key (replacing the stored set). */
export interface MappedChildren {
  readonly entity: EntityDefinition;
  readonly parent: EntityDefinition;
  readonly parentKey: readonly unknown[];
  readonly rows: readonly (readonly unknown[])[];
}

/** Everything one event writes to entity tables. */
export interface EventRows {
  readonly writes: readonly MappedRow[];
  readonly deletes: readonly MappedDelete[];
  readonly children: readonly MappedChildren[];
}

/** A row the event's status names: its table and key. */
export interface RowReference {
  readonly table: string;
  readonly key: Readonly<Record<string, unknown>>;
  readonly deleted?: true;
}

/** What an event maps to: the entities it matched and their rows, or why it does not fit. */
export type EventMapping =
  | { readonly ok: true; readonly entityType: string | null; readonly rows: EventRows | null }
  | { readonly ok: false; readonly entityType: string | null; readonly failure: string };

/** An entity ready for the worker: its definition with compiled validation and mapping. */
export interface CompiledEntity {
  readonly definition: EntityDefinition;
}

/** All entities of one file, with routing and mapping. */
export interface EntityModel {
  readonly entities: readonly CompiledEntity[];
  /** The top-level entities an event type feeds (or deletes from); by hint (an entity name) first. */
  route(type: string, hint?: string): readonly CompiledEntity[];
  /** Maps one event to its rows in every entity it feeds, or says why it does not fit. */
  map(event: EventAttributes, data: EventData, hint?: string): Promise<EventMapping>;
}

/** Columns Sluice adds to every entity table, after the declared ones. */
export const SYSTEM_COLUMNS = [
  { name: '_message_id', type: 'uuid', definition: 'uuid NOT NULL' },
  { name: '_event_type', type: 'text', definition: 'text NOT NULL' },
  { name: '_stream_seq', type: 'bigint', definition: 'bigint NOT NULL' },
  { name: '_updated_at', type: 'timestamp with time zone', definition: 'timestamptz NOT NULL DEFAULT now()' },
] as const;

/**
 * A `merge` entity's table also keeps, per row, the stream sequence that last set each column
 * (`{"email": 41, "*": 17}`; `*` is the floor for the columns no event set since the row was
 * created or erased). An older event's field lands only where no newer event set that column,
 * so the row equals applying the events one at a time in stream order, whatever order they
 * arrive in, redelivered or replayed.
 */
export const FIELD_SEQS_COLUMN = { name: '_field_seqs', type: 'jsonb', definition: 'jsonb' } as const;

/**
 * One column of an existing entity table, as `existingColumnsQuery` returns it.
 * `data_type` is information_schema's spelling (`timestamp with time zone`, not `timestamptz`).
 */
export interface ExistingColumn {
  readonly column_name: string;
  readonly data_type: string;
  readonly numeric_precision?: number | null;
  readonly numeric_scale?: number | null;
  /**
   * The column's 1-based position in the table's primary key, null when it is not part of it.
   * Left out (undefined) when the caller only read information_schema.columns: the key is then not checked.
   */
  readonly key_position?: number | null;
}
