import { Ajv } from 'ajv';
import type { ErrorObject, Format, SchemaObject, ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';
import type { FormatsPlugin } from 'ajv-formats';
import { jsonTextProblem, typeMatches } from '../envelope/index.js';
import { STRING_FORMATS } from './field-keywords.js';
import type { CompiledEntity, EntityDefinition, EntityModel, FieldDefinition, FieldType } from './model.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object, whose
// `default` is the plugin; at run time the module object is the plugin too.
const addFormats = ((formatsPlugin as unknown as { default?: FormatsPlugin }).default ?? formatsPlugin) as FormatsPlugin;

/** Distinct event types whose route is remembered; past it the memory starts over. */
const ROUTE_CACHE_TYPES = 10_000;

const JSON_TYPE: Record<Exclude<FieldType, 'json'>, string> = {
  string: 'string',
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  timestamp: 'string',
};

const TYPE_WORDS: Record<FieldType, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  timestamp: 'an RFC 3339 timestamp string (like 2024-05-01T12:00:00Z)',
  json: 'a JSON value',
};

/**
 * Compiles each entity's fields into one JSON-Schema validator (ajv), once, and routes
 * event types to entities. Definitions should come from `parseEntityFile`, which has
 * already refused anything ajv would.
 */
export function compileEntities(definitions: readonly EntityDefinition[]): EntityModel {
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true, logger: false, coerceTypes: false, useDefaults: false });
  addFormats(ajv, STRING_FORMATS.filter((f) => f !== 'date-time'));
  const isDateTime = formatTest(addFormats.get('date-time', 'full'));
  // PostgreSQL has no year 0, which RFC 3339 (and so ajv-formats) allows.
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !s.startsWith('0000') && isDateTime(s) });

  const entities = definitions.map((definition) => compileEntity(ajv, definition));
  const byName = new Map(entities.map((e) => [e.definition.name, e]));
  const routes = entities.flatMap((entity) => entity.definition.types.map((pattern) => ({ pattern, entity })));
  // The worker routes every event: remember each type's entity (a bounded number of types).
  const byType = new Map<string, CompiledEntity | null>();
  return {
    entities,
    route(type: string, hint?: string): CompiledEntity | null {
      if (hint !== undefined && hint !== '') {
        const named = byName.get(hint);
        if (named !== undefined) return named;
      }
      let entity = byType.get(type);
      if (entity === undefined) {
        entity = routes.find((r) => typeMatches(r.pattern, type))?.entity ?? null;
        if (byType.size >= ROUTE_CACHE_TYPES) byType.clear();
        byType.set(type, entity);
      }
      return entity;
    },
  };
}

/** ajv-formats' full `date-time` format is a definition with a `validate` function. */
function formatTest(format: Format): (s: string) => boolean {
  const validate = (format as { validate?: unknown }).validate;
  if (typeof validate !== 'function') throw new Error('ajv-formats did not provide a date-time validator');
  return (s) => (validate as (s: string) => unknown)(s) === true;
}

function fieldSchema(field: FieldDefinition): SchemaObject {
  if (field.type === 'json') return { ...field.keywords };
  const jsonType = JSON_TYPE[field.type];
  const schema: SchemaObject = { ...field.keywords, type: field.required ? jsonType : [jsonType, 'null'] };
  if (field.type === 'timestamp') schema.format = 'date-time';
  // null means "no value" for a field that is not required, so it must pass enum and const too.
  if (!field.required && Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
  if (!field.required && 'const' in schema) {
    schema.enum = [schema.const, null];
    delete schema.const;
  }
  return schema;
}

function compileEntity(ajv: Ajv, definition: EntityDefinition): CompiledEntity {
  const fields = definition.fields;
  const schema: SchemaObject = {
    type: 'object',
    properties: Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])),
    required: fields.filter((f) => f.required).map((f) => f.name),
  };
  const check: ValidateFunction = ajv.compile(schema);
  const requiredFields = fields.filter((f) => f.required);
  const integerFields = fields.filter((f) => f.type === 'integer');
  const textFields = fields.filter((f) => f.type === 'string' || f.type === 'timestamp');
  const jsonFields = fields.filter((f) => f.type === 'json');
  const byName = new Map(fields.map((f) => [f.name, f]));

  return {
    definition,
    validate(data: unknown): string | null {
      if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        return `the event data must be a JSON object with the fields of entity ${definition.name}; got ${data === null ? 'null' : Array.isArray(data) ? 'an array' : typeof data}`;
      }
      const record = data as Record<string, unknown>;
      for (const f of requiredFields) if (record[f.name] === null) return `field "${f.name}": is required and must not be null`;
      if (!check(data)) return describeError(check.errors?.[0], byName, record);
      for (const f of textFields) {
        const v = record[f.name];
        // PostgreSQL text and jsonb cannot hold NUL; refusing here fails one event, not its whole batch.
        if (typeof v === 'string' && v.includes('\u0000')) return `field "${f.name}": must not contain the character \\u0000, which PostgreSQL cannot store`;
      }
      for (const f of jsonFields) {
        const v = record[f.name];
        if (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean') continue;
        const problem = jsonTextProblem(JSON.stringify(v));
        if (problem !== null) return `field "${f.name}": ${problem}`;
      }
      for (const f of integerFields) {
        const v = record[f.name];
        // Larger integers have already lost digits when the JSON was parsed.
        if (typeof v === 'number' && !Number.isSafeInteger(v)) {
          return `field "${f.name}": must be an integer between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${v}`;
        }
      }
      return null;
    },
    row(data: Record<string, unknown>): unknown[] {
      return fields.map((f) => {
        const v = data[f.name];
        if (v === undefined || v === null) return null;
        return f.type === 'json' ? JSON.stringify(v) : v;
      });
    },
  };
}

function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : 'an object';
}

function describeError(error: ErrorObject | undefined, fields: Map<string, FieldDefinition>, data: Record<string, unknown>): string {
  if (error === undefined) return 'the event data is not valid';
  if (error.keyword === 'required') return `field "${String(error.params.missingProperty)}": is required`;
  const name = error.instancePath.split('/')[1] ?? '';
  const field = fields.get(name);
  const value = data[name];
  const where = `field "${name}"`;
  if (field === undefined) return `${error.instancePath || 'the event data'}: ${error.message ?? 'is not valid'}`;
  switch (error.keyword) {
    case 'type':
      return `${where}: must be ${TYPE_WORDS[field.type]}, got ${preview(value)}`;
    case 'format':
      if (field.type === 'timestamp' || error.params.format === 'date-time') return `${where}: must be ${TYPE_WORDS.timestamp}, got ${preview(value)}`;
      return `${where}: must be a valid ${String(error.params.format)}, got ${preview(value)}`;
    case 'enum': {
      const allowed = (error.params.allowedValues as unknown[]).filter((v) => v !== null);
      return `${where}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${preview(value)}`;
    }
    case 'const':
      return `${where}: must be ${JSON.stringify(error.params.allowedValue)}, got ${preview(value)}`;
    default:
      return `${where}: ${error.message ?? 'is not valid'}, got ${preview(value)}`;
  }
}
