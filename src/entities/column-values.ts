import { jsonTextProblem } from '../envelope/index.js';
import { exactNumberText, jsonText } from './event-data.js';
import type { FieldDefinition, FieldType } from './model.js';

/** A value ready for its SQL parameter, or why it cannot be one. */
export type ColumnValue = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const NUMBER_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export const TYPE_WORDS: Record<FieldType, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  timestamp: 'an RFC 3339 timestamp string (like 2024-05-01T12:00:00Z)',
  json: 'a JSON value',
  decimal: 'a decimal number (a JSON number, or a string like "12.50")',
  bigint: 'a whole number between -9223372036854775808 and 9223372036854775807 (a JSON number or a string of digits)',
  date: 'a date like 2024-05-01',
  uuid: 'a UUID like 0190b4e2-6c1e-7c3a-9d5e-1f2a3b4c5d6e',
};

/** A short rendering of a value for an error message. */
export function preview(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'an array' : 'an object';
}

const fail = (field: FieldDefinition, value: unknown, shown?: string): ColumnValue => ({
  ok: false,
  problem: `must be ${TYPE_WORDS[field.type]}${field.type === 'decimal' ? ` with at most ${(field.precision ?? 0) - (field.scale ?? 0)} digits before the point and ${field.scale ?? 0} after` : ''}, got ${shown ?? preview(value)}`,
});

/**
 * Turns a field's value (not null) into its SQL parameter. `exact` is the same value from the
 * lossless parse, when there is one: `decimal` and `bigint` read the number's own text there,
 * never a double's. `computed` marks a value an expression produced (a double already), which
 * a `decimal` rounds to its scale instead of refusing.
 */
export function columnValue(field: FieldDefinition, value: unknown, exact: unknown, computed: boolean): ColumnValue {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') return fail(field, value);
      if (value.includes('\u0000')) return { ok: false, problem: 'must not contain the character \\u0000, which PostgreSQL cannot store' };
      return { ok: true, value };
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(field, value);
      // Larger integers have already lost digits when the JSON was parsed.
      if (!Number.isSafeInteger(value)) {
        return { ok: false, problem: `must be an integer between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}, got ${exactNumberText(exact) ?? value} (declare the field bigint for all 64 bits)` };
      }
      return { ok: true, value };
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : fail(field, value);
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : fail(field, value);
    case 'timestamp':
      return typeof value === 'string' ? { ok: true, value } : fail(field, value);
    case 'json': {
      const text = jsonText(value, exact);
      const problem = typeof value === 'object' || typeof value === 'string' ? jsonTextProblem(text) : null;
      return problem === null ? { ok: true, value: text } : { ok: false, problem };
    }
    case 'decimal': {
      const text = numberText(value, exact);
      if (text === null) return fail(field, value);
      const fitted = fitDecimal(text, field.precision ?? 38, field.scale ?? 0, computed);
      return fitted === null ? fail(field, value, text) : { ok: true, value: fitted };
    }
    case 'bigint': {
      const text = numberText(value, exact);
      if (text === null || !/^-?\d+$/.test(text)) return fail(field, value, text ?? undefined);
      const n = BigInt(text);
      return n < INT64_MIN || n > INT64_MAX ? fail(field, value, text) : { ok: true, value: n.toString() };
    }
    case 'date': {
      const m = typeof value === 'string' ? DATE.exec(value) : null;
      if (m === null) return fail(field, value);
      const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
      const day = new Date(Date.UTC(y, mo - 1, d));
      if (y === 0 || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return fail(field, value);
      return { ok: true, value };
    }
    case 'uuid':
      return typeof value === 'string' && UUID.test(value) ? { ok: true, value: value.toLowerCase() } : fail(field, value);
  }
}

/** The decimal text of a JSON number or numeric string: the exact text when the lossless parse has it. */
function numberText(value: unknown, exact: unknown): string | null {
  const exactText = exactNumberText(exact);
  if (exactText !== null) return exactText;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'string' && NUMBER_TEXT.test(value)) return value;
  return null;
}

/**
 * A number's text as plain decimal digits fitting `numeric(precision, scale)`, or null when it
 * does not fit. Extra digits after the point are refused (money is not rounded behind anyone's
 * back) unless `round` (a computed value), where they are rounded half away from zero.
 */
export function fitDecimal(text: string, precision: number, scale: number, round: boolean): string | null {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (m === null) return null;
  const negative = m[1] === '-';
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let point = (m[2] ?? '').length + Number(m[4] ?? 0);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (digits.length < point) digits += '0'.repeat(point - digits.length);
  let whole = digits.slice(0, point).replace(/^0+/, '');
  let fraction = digits.slice(point).replace(/0+$/, '');
  if (fraction.length > scale) {
    if (!round) return null;
    const up = Number(fraction[scale]) >= 5;
    const kept = BigInt(`${whole}${fraction.slice(0, scale)}` || '0') + (up ? 1n : 0n);
    const keptText = kept.toString().padStart(scale + 1, '0');
    whole = keptText.slice(0, keptText.length - scale).replace(/^0+/, '');
    fraction = keptText.slice(keptText.length - scale).replace(/0+$/, '');
  }
  if (whole.length > precision - scale) return null;
  const body = `${whole === '' ? '0' : whole}${fraction === '' ? '' : `.${fraction}`}`;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}
