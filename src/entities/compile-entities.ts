import { Ajv } from 'ajv';
import type { ErrorObject, Format, SchemaObject, ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { typeMatches } from '../envelope/index.js';
import { columnValue, preview, TYPE_WORDS } from './column-values.js';
import { compileExpression, type Expression } from './expressions.js';
import { STRING_FORMATS } from './field-keywords.js';
import { entityColumns, tableKey } from './model.js';
import type {
  CompiledEntity,
  EntityDefinition,
  EntityModel,
  EventAttributes,
  EventData,
  EventMapping,
  FieldDefinition,
  MappedChildren,
  MappedDelete,
  MappedRow,
  WhenCondition,
} from './model.js';
import { readPath } from './paths.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object, whose
// `default` is the plugin; at run time the module object is the plugin too.
const addFormats = ((formatsPlugin as unknown as { default?: FormatsPlugin }).default ?? formatsPlugin) as FormatsPlugin;

/** Distinct event types whose route is remembered; past it the memory starts over. */
const ROUTE_CACHE_TYPES = 10_000;

/** The JSON type each field's value has when its keywords are checked. */
const VALIDATION_TYPES: Record<Exclude<FieldDefinition['type'], 'json'>, string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  timestamp: 'string',
  decimal: 'number',
  bigint: 'number',
  date: 'string',
  uuid: 'string',
};

/** Why one record does not fit, as `field "x": reason`. */
class MappingFailure extends Error {}

/** One field's value as read from the event, before it becomes a column value. */
interface RawValue {
  readonly value: unknown;
  /** The same value from the lossless parse (exact number text), when there is one. */
  readonly exact: unknown;
  /** Produced by an expression (a double already): a decimal rounds it to its scale. */
  readonly computed: boolean;
}

/** Where a record is read from: the event data, or one element of a parent's array. */
interface Scope {
  readonly input: unknown;
  readonly exact: unknown;
  readonly event: EventAttributes;
  readonly index: number | undefined;
  /** The event's whole data (`$data` in expressions). */
  readonly data: unknown;
}

type Reader = (scope: Scope) => RawValue | Promise<RawValue>;

interface Entity extends CompiledEntity {
  readonly columns: readonly FieldDefinition[];
  readonly readers: readonly Reader[];
  readonly hasExpressions: boolean;
  readonly check: ValidateFunction | null;
  readonly when: ((scope: Scope) => boolean | Promise<boolean>) | null;
  readonly children: Entity[];
  /** Positions of the table key's columns in `columns` (empty for an append entity keyed by event id). */
  readonly keyIndexes: readonly number[];
}

/**
 * Compiles an entity file's definitions once: one JSON-Schema validator (ajv) per entity for
 * its keywords, one JSONata program per expression, and the routing from event types to
 * entities. Definitions should come from `parseEntityFile`, which has already refused
 * anything that would fail here.
 */
export function compileEntities(definitions: readonly EntityDefinition[]): EntityModel {
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, logger: false, coerceTypes: false, useDefaults: false });
  addFormats(ajv, STRING_FORMATS.filter((f) => f !== 'date-time'));
  const isDateTime = formatTest(addFormats.get('date-time', 'full'));
  // PostgreSQL has no year 0, which RFC 3339 (and so ajv-formats) allows.
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !s.startsWith('0000') && isDateTime(s) });

  const entities = definitions.map((definition) => compileEntity(ajv, definition));
  for (const entity of entities) {
    const parent = entities.find((e) => e.definition.name === entity.definition.parent);
    parent?.children.push(entity);
  }
  const topLevel = entities.filter((e) => e.definition.parent === null);
  const byName = new Map(topLevel.map((e) => [e.definition.name, e]));
  // The worker routes every event: remember each type's entities (a bounded number of types).
  const byType = new Map<string, Entity[]>();
  const route = (type: string, hint?: string): Entity[] => {
    if (hint !== undefined && hint !== '') {
      const named = byName.get(hint);
      // An unknown hint (a name no longer declared, say) falls back to the type.
      if (named !== undefined) return [named];
    }
    let found = byType.get(type);
    if (found === undefined) {
      found = topLevel.filter((e) => [...e.definition.types, ...e.definition.deletes].some((p) => typeMatches(p, type)));
      if (byType.size >= ROUTE_CACHE_TYPES) byType.clear();
      byType.set(type, found);
    }
    return found;
  };

  return {
    entities,
    route,
    async map(event: EventAttributes, data: EventData, hint?: string): Promise<EventMapping> {
      const matched = route(event.type, hint);
      if (matched.length === 0) return { ok: true, entityType: null, rows: null };
      const writes: MappedRow[] = [];
      const deletes: MappedDelete[] = [];
      const children: MappedChildren[] = [];
      const names: string[] = [];
      const scope: Scope = { input: data.value, exact: data.exact, event, index: undefined, data: data.value };
      for (const entity of matched) {
        const def = entity.definition;
        const where = def.name;
        try {
          if (typeof data.value !== 'object' || data.value === null || Array.isArray(data.value)) {
            throw new MappingFailure(`: the event data must be a JSON object; got ${data.value === null ? 'null' : Array.isArray(data.value) ? 'an array' : typeof data.value}`);
          }
          if (entity.when !== null) {
            const wanted = entity.when(scope);
            if (!(wanted instanceof Promise ? await wanted : wanted)) continue;
          }
          names.push(def.name);
          const isDelete = def.deletes.some((p) => typeMatches(p, event.type));
          if (isDelete) {
            deletes.push({ entity: def, key: await keyValues(entity, scope), children: descendants(entity).map((c) => c.definition) });
            continue;
          }
          const row = await mapRecord(entity, scope, []);
          writes.push(row);
          const rootKey = entity.keyIndexes.map((i) => row.values[i]);
          for (const child of entity.children) {
            const sets = await mapChildren(child, { def, key: rootKey }, scope, rootKey);
            if (sets !== null) children.push(...sets);
          }
        } catch (error) {
          if (!(error instanceof MappingFailure)) throw error;
          return { ok: false, entityType: names.length > 0 ? names.join(',') : where, failure: `${where}${error.message}` };
        }
      }
      if (names.length === 0) return { ok: true, entityType: null, rows: null };
      return { ok: true, entityType: names.join(','), rows: { writes, deletes, children } };
    },
  };
}

/** ajv-formats' full `date-time` format is a definition with a `validate` function. */
function formatTest(format: Format): (s: string) => boolean {
  const validate = (format as { validate?: unknown }).validate;
  if (typeof validate !== 'function') throw new Error('ajv-formats did not provide a date-time validator');
  return (s) => (validate as (s: string) => unknown)(s) === true;
}

function compileEntity(ajv: Ajv, definition: EntityDefinition): Entity {
  const columns = entityColumns(definition);
  const keyColumns = tableKey(definition);
  const keywordFields = definition.fields.filter((f) => Object.keys(f.keywords).some((k) => k !== 'description') || f.type === 'timestamp');
  const schema: SchemaObject = { type: 'object', properties: Object.fromEntries(keywordFields.map((f) => [f.name, keywordSchema(f)])) };
  return {
    definition,
    columns,
    readers: columns.map((f, i) => (i < definition.parentKey.length ? () => ({ value: undefined, exact: null, computed: false }) : reader(f))),
    hasExpressions: definition.fields.some((f) => f.source.kind === 'expr'),
    check: keywordFields.length === 0 ? null : ajv.compile(schema),
    when: definition.when === null ? null : condition(definition.when),
    children: [],
    keyIndexes: keyColumns[0] === '_message_id' ? [] : keyColumns.map((k) => columns.findIndex((c) => c.name === k)),
  };
}

/** The JSON Schema keywords of a field, over its value as validation sees it (numbers for decimal and bigint). */
function keywordSchema(field: FieldDefinition): SchemaObject {
  const jsonType = field.type === 'json' ? null : VALIDATION_TYPES[field.type];
  const schema: SchemaObject = { ...field.keywords, ...(jsonType === null ? {} : { type: [jsonType, 'null'] }) };
  if (field.type === 'timestamp') schema.format = 'date-time';
  // null means "no value" for a field that is not required, so it must pass enum and const too.
  if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
  if ('const' in schema) {
    schema.enum = [schema.const, null];
    delete schema.const;
  }
  return schema;
}

function reader(field: FieldDefinition): Reader {
  const source = field.source;
  switch (source.kind) {
    case 'value':
      return () => ({ value: source.value, exact: null, computed: false });
    case 'attribute':
      return (scope) => ({ value: scope.event[source.attribute], exact: null, computed: false });
    case 'index':
      return (scope) => ({ value: scope.index, exact: null, computed: false });
    case 'expr': {
      const expression: Expression = compileExpression(source.text);
      return async (scope) => {
        try {
          return { value: await expression.evaluate(scope.input, scope.event, scope.index, scope.data), exact: null, computed: true };
        } catch (error) {
          throw new MappingFailure(`: field "${field.name}": the expression ${JSON.stringify(source.text)} failed: ${(error as Error).message}`);
        }
      };
    }
    case 'paths': {
      const paths = source.paths;
      if (paths.length === 1) {
        const path = paths[0]!;
        return (scope) => ({ value: readPath(scope.input, path), exact: scope.exact === null ? null : readPath(scope.exact, path), computed: false });
      }
      return (scope) => {
        let missing: RawValue = { value: undefined, exact: null, computed: false };
        for (const path of paths) {
          const value = readPath(scope.input, path);
          if (value !== undefined && value !== null) return { value, exact: scope.exact === null ? null : readPath(scope.exact, path), computed: false };
          if (value === null) missing = { value: null, exact: null, computed: false };
        }
        return missing;
      };
    }
  }
}

function condition(when: WhenCondition): (scope: Scope) => boolean | Promise<boolean> {
  switch (when.kind) {
    case 'exists':
      return (scope) => {
        const v = readPath(scope.input, when.path);
        return (v !== undefined && v !== null) === when.exists;
      };
    case 'equals': {
      const wanted = JSON.stringify(when.value);
      return (scope) => JSON.stringify(readPath(scope.input, when.path)) === wanted;
    }
    case 'expr': {
      const expression = compileExpression(when.text);
      return async (scope) => {
        let v: unknown;
        try {
          v = await expression.evaluate(scope.input, scope.event, scope.index, scope.data);
        } catch (error) {
          throw new MappingFailure(`: the "when" expression ${JSON.stringify(when.text)} failed: ${(error as Error).message}`);
        }
        return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
      };
    }
  }
}

/** The key values of a delete event, in `tableKey` order. */
async function keyValues(entity: Entity, scope: Scope): Promise<unknown[]> {
  const values: unknown[] = [];
  for (const i of entity.keyIndexes) {
    const read = entity.readers[i]!(scope);
    values.push(columnOf(entity, i, read instanceof Promise ? await read : read, null));
  }
  return values;
}

/**
 * One column's value from what its reader read; throws MappingFailure naming the field, the
 * value and why. Only expression readers answer with a promise: the others are not awaited
 * (awaiting each column was the largest source of the worker's garbage in a drain).
 */
function columnOf(entity: Entity, i: number, read: RawValue, present: boolean[] | null): unknown {
  const field = entity.columns[i]!;
  let raw = read;
  if (present !== null) present[i] = raw.value !== undefined;
  if ((raw.value === undefined || raw.value === null) && field.default !== undefined) raw = { value: field.default, exact: null, computed: false };
  if (raw.value === undefined || raw.value === null) {
    if (field.required && (present === null || raw.value === null || entity.keyIndexes.includes(i) || entity.definition.mode !== 'merge')) {
      throw new MappingFailure(`: field "${field.name}": is required${raw.value === null ? ' and must not be null' : ''}`);
    }
    return null;
  }
  const column = columnValue(field, raw.value, raw.exact, raw.computed);
  if (!column.ok) throw new MappingFailure(`: field "${field.name}": ${column.problem}`);
  return column.value;
}

/** The value the keyword validator sees: numbers for decimal and bigint, the column value otherwise. */
function validationValue(field: FieldDefinition, value: unknown): unknown {
  if (value === null) return null;
  if (field.type === 'decimal' || field.type === 'bigint') return Number(value);
  if (field.type === 'json') return undefined;
  return value;
}

/** One record's row: every column read, converted and checked. */
async function mapRecord(entity: Entity, scope: Scope, parentKey: readonly unknown[]): Promise<MappedRow> {
  const columns = entity.columns;
  const merge = entity.definition.mode === 'merge';
  const present: boolean[] | null = merge ? [] : null;
  const values: unknown[] = new Array(columns.length);
  for (let i = 0; i < columns.length; i++) {
    if (i < parentKey.length) {
      values[i] = parentKey[i];
      if (present !== null) present[i] = true;
      continue;
    }
    const read = entity.readers[i]!(scope);
    values[i] = columnOf(entity, i, read instanceof Promise ? await read : read, present);
  }
  if (entity.check !== null) {
    const record: Record<string, unknown> = {};
    for (let i = parentKey.length; i < columns.length; i++) {
      const f = columns[i]!;
      const v = validationValue(f, values[i]);
      if (v !== undefined) record[f.name] = v;
    }
    if (!entity.check(record)) throw new MappingFailure(`: ${describeError(entity.check.errors?.[0], entity.columns, record)}`);
  }
  return present === null ? { entity: entity.definition, values } : { entity: entity.definition, values, present };
}

/** An entity's children, their children and so on, parents before their children. */
function descendants(entity: Entity): Entity[] {
  return entity.children.flatMap((c) => [c, ...descendants(c)]);
}

/** The entity with `types` a chain of children hangs from, and its key in this event. */
interface Root {
  readonly def: EntityDefinition;
  readonly key: readonly unknown[];
}

/**
 * A child's rows for one parent record, then its descendants' rows, each entity's as one set
 * under the root's key (the set a newer root event replaces: a line gone takes its discounts
 * with it); null when the record does not carry the array (the stored rows stay). Within a
 * carried array, an element without its own children's array has none of them.
 */
async function mapChildren(child: Entity, root: Root, parent: Scope, parentKey: readonly unknown[]): Promise<MappedChildren[] | null> {
  const def = child.definition;
  const each = def.each as readonly string[];
  const array = readPath(parent.input, each);
  if (array === undefined) return null;
  if (array !== null && !Array.isArray(array)) throw new MappingFailure(`: "${each.join('.')}" must be an array for the rows of ${def.name}, got ${preview(array)}`);
  const exactArray = parent.exact === null ? null : (readPath(parent.exact, each) as unknown[] | undefined);
  const rows: unknown[][] = [];
  const below = new Map(descendants(child).map((d) => [d.definition, [] as (readonly unknown[])[]]));
  const seen = new Map<string, number>();
  const elements = array ?? [];
  for (let index = 0; index < elements.length; index++) {
    const scope: Scope = { input: elements[index], exact: exactArray?.[index] ?? null, event: parent.event, index, data: parent.data };
    const at = ` (${def.name}, ${each.join('.')}[${index}])`;
    let row: MappedRow;
    try {
      row = await mapRecord(child, scope, parentKey);
    } catch (error) {
      if (error instanceof MappingFailure) throw new MappingFailure(`${at}${error.message}`);
      throw error;
    }
    const key = JSON.stringify(child.keyIndexes.map((i) => row.values[i]));
    const first = seen.get(key);
    if (first !== undefined) {
      throw new MappingFailure(
        `${at}: key ${def.key.map((k) => `${k}=${JSON.stringify(row.values[child.columns.findIndex((c) => c.name === k)])}`).join(', ')} is also the key of element ${first}; each element needs its own key (use from: $index for the position)`,
      );
    }
    seen.set(key, index);
    rows.push(row.values as unknown[]);
    for (const grandchild of child.children) {
      let sets: MappedChildren[] | null;
      try {
        sets = await mapChildren(grandchild, root, scope, child.keyIndexes.map((i) => row.values[i]));
      } catch (error) {
        if (error instanceof MappingFailure) throw new MappingFailure(`${at}${error.message}`);
        throw error;
      }
      for (const set of sets ?? []) below.get(set.entity)!.push(...set.rows);
    }
  }
  return [{ entity: def, parent: root.def, parentKey: root.key, rows }, ...[...below].map(([entity, r]) => ({ entity, parent: root.def, parentKey: root.key, rows: r }))];
}

function describeError(error: ErrorObject | undefined, fields: readonly FieldDefinition[], data: Record<string, unknown>): string {
  if (error === undefined) return 'the event data is not valid';
  const name = error.instancePath.split('/')[1] ?? '';
  const field = fields.find((f) => f.name === name);
  const value = data[name];
  const where = `field "${name}"`;
  if (field === undefined) return `${error.instancePath || 'the event data'}: ${error.message ?? 'is not valid'}`;
  switch (error.keyword) {
    case 'format':
      if (field.type === 'timestamp' || error.params.format === 'date-time') return `${where}: must be ${TYPE_WORDS.timestamp}, got ${preview(value)}`;
      return `${where}: must be a valid ${String(error.params.format)}, got ${preview(value)}`;
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).filter((v) => v !== null);
      return `${where}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${preview(value)}`;
    }
    default:
      return `${where}: ${error.message ?? 'is not valid'}, got ${preview(value)}`;
  }
}
