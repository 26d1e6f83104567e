import type { FieldType } from './model.js';

/** Returns why a keyword's value does not fit, or null when it does. */
type KeywordCheck = (value: unknown, type: FieldType) => string | null;

/** Formats a string field may declare (from ajv-formats); `date-time` is what `timestamp` uses. */
export const STRING_FORMATS = [
  'date', 'time', 'date-time', 'duration', 'uri', 'uri-reference', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid', 'regex',
] as const;

/** Does `value` have the JSON type a field of `type` stores (null aside)? */
export function valueFitsType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
    case 'timestamp':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'json':
      return true;
    case 'decimal':
    case 'bigint':
      return typeof value === 'number' && Number.isFinite(value);
    case 'date':
    case 'uuid':
      return typeof value === 'string';
  }
}

const describe = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value));

const finiteNumber: KeywordCheck = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number');
const nonNegativeInteger: KeywordCheck = (v) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : 'must be a whole number >= 0');
const text: KeywordCheck = (v) => (typeof v === 'string' ? null : 'must be a string');

const enumCheck: KeywordCheck = (v, type) => {
  if (!Array.isArray(v) || v.length === 0) return 'must be a non-empty list of allowed values';
  const seen = new Set<string>();
  for (const item of v) {
    if (!valueFitsType(item, type)) return `must list ${type} values only; ${describe(item)} is not one${type === 'string' ? ' (quote it)' : ''}`;
    const k = JSON.stringify(item);
    if (seen.has(k)) return `lists ${describe(item)} twice`;
    seen.add(k);
  }
  return null;
};

const constCheck: KeywordCheck = (v, type) => (valueFitsType(v, type) ? null : `must be a ${type} value`);

const patternCheck: KeywordCheck = (v) => {
  if (typeof v !== 'string') return 'must be a regular expression in a string';
  try {
    // The same flags ajv compiles `pattern` with.
    new RegExp(v, 'u');
    return null;
  } catch (error) {
    return `is not a valid regular expression: ${(error as Error).message}`;
  }
};

const formatCheck: KeywordCheck = (v) =>
  typeof v === 'string' && (STRING_FORMATS as readonly string[]).includes(v) ? null : `must be one of ${STRING_FORMATS.join(', ')}`;

const multipleOfCheck: KeywordCheck = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a number > 0');

const numeric: Record<string, KeywordCheck> = {
  enum: enumCheck,
  const: constCheck,
  minimum: finiteNumber,
  maximum: finiteNumber,
  exclusiveMinimum: finiteNumber,
  exclusiveMaximum: finiteNumber,
  multipleOf: multipleOfCheck,
};

/**
 * The JSON Schema keywords each field type admits (besides `type` and `required`). Anything
 * else is refused so that a typo (`minimun`) or a keyword that cannot apply (`maxLength` on a
 * number) is found at start rather than silently ignored.
 */
export const FIELD_KEYWORDS: Record<FieldType, Record<string, KeywordCheck>> = {
  string: {
    description: text,
    enum: enumCheck,
    const: constCheck,
    minLength: nonNegativeInteger,
    maxLength: nonNegativeInteger,
    pattern: patternCheck,
    format: formatCheck,
  },
  integer: { description: text, ...numeric },
  number: { description: text, ...numeric },
  boolean: { description: text, enum: enumCheck, const: constCheck },
  timestamp: { description: text },
  json: { description: text },
  // Bounds on decimal and bigint compare as doubles: exact enough for a range check, never used for the stored value.
  decimal: { description: text, minimum: finiteNumber, maximum: finiteNumber, exclusiveMinimum: finiteNumber, exclusiveMaximum: finiteNumber },
  bigint: { description: text, minimum: finiteNumber, maximum: finiteNumber, exclusiveMinimum: finiteNumber, exclusiveMaximum: finiteNumber },
  date: { description: text },
  uuid: { description: text },
};
