/**
 * Checks that JSON text is something PostgreSQL's jsonb can store, so a body the database
 * would reject is refused at the door (400) instead of failing in a worker later.
 * jsonb refuses `\u0000`, unpaired UTF-16 surrogates, numbers beyond `numeric`'s range,
 * and nesting deeper than its stack allows.
 */

/**
 * Nesting PostgreSQL 15 parses with its default max_stack_depth (2MB), measured: arrays to
 * 14 553 levels, objects to 13 099 ("stack depth limit exceeded" past them); PGlite 0.2 took
 * 100 000. A server with a smaller max_stack_depth fails sooner (about 650 objects at its
 * 100kB minimum), hence a cap well below the default's figure.
 */
export const MAX_JSON_DEPTH = 1000;
/** numeric holds up to 131 072 digits before the decimal point (measured: 1e131071 stored, 1e131072 "value overflows numeric format"). */
export const MAX_NUMERIC_INTEGER_DIGITS = 131_072;
/** …and up to 16 383 after it, trailing zeros included (1e-16383 stored; 1e-16384, 1.5e-16383 and 0.0e-16383 refused). */
export const MAX_NUMERIC_FRACTION_DIGITS = 16_383;
/** numeric refuses an exponent of INT_MAX/2 or beyond before it looks at the digits (even 0e-1073741823). */
const MAX_NUMERIC_EXPONENT = 1_073_741_822;

/** An exponent of five digits or more: the only way a short document reaches numeric's limits. */
const LONG_EXPONENT = /[eE][+-]?\d{5}/;

/** Returns why `text` (already valid JSON) cannot be stored, or null when it can. */
export function jsonTextProblem(text: string): string | null {
  // A document of at most 2000 characters with no escape and no exponent of 5 digits cannot
  // break any rule (at most 2 000 + 9 999 digits either side of the point): skip the scan.
  if (text.length <= 2 * MAX_JSON_DEPTH && text.indexOf('\\u') === -1 && !LONG_EXPONENT.test(text)) return null;
  return scan(text);
}

function scan(text: string): string | null {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Walk the string, checking \u escapes.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x22) break;
        if (s !== 0x5c /* \ */) continue;
        i++;
        if (text.charCodeAt(i) !== 0x75 /* u */) continue;
        const unit = parseInt(text.slice(i + 1, i + 5), 16);
        i += 4;
        if (unit === 0) return 'strings cannot contain \\u0000 (PostgreSQL cannot store it)';
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const next = text.slice(i + 1, i + 3) === '\\u' ? parseInt(text.slice(i + 3, i + 7), 16) : NaN;
          if (!(next >= 0xdc00 && next <= 0xdfff)) return 'a string holds an unpaired UTF-16 surrogate (\\uD800-\\uDBFF not followed by a low surrogate)';
          i += 6;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          return 'a string holds an unpaired UTF-16 low surrogate (\\uDC00-\\uDFFF)';
        }
      }
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) return `the JSON is nested deeper than ${MAX_JSON_DEPTH} levels`;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const end = numberEnd(text, i);
      const problem = numberProblem(text.slice(c === 0x2d ? i + 1 : i, end));
      if (problem !== null) return problem;
      i = end - 1;
    }
  }
  return null;
}

/** Where the JSON number starting at `start` ends. */
function numberEnd(text: string, start: number): number {
  let i = start + 1;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d)) break;
  }
  return i;
}

/**
 * Why PostgreSQL's numeric cannot hold a JSON number (no sign), or null. It keeps every digit
 * written after the point (the display scale), and all digits before it from the first one
 * that is not zero.
 */
export function numberProblem(number: string): string | null {
  let e = number.search(/[eE]/);
  if (e === -1) e = number.length;
  const point = number.indexOf('.');
  const integer = point === -1 || point > e ? number.slice(0, e) : number.slice(0, point);
  const fraction = point === -1 || point > e ? '' : number.slice(point + 1, e);
  const exponent = exponentOf(number.slice(e + 1));
  if (exponent === null) return `a number's exponent is beyond PostgreSQL numeric's range (±${MAX_NUMERIC_EXPONENT})`;
  if (fraction.length - exponent > MAX_NUMERIC_FRACTION_DIGITS) {
    return `a number has more than ${MAX_NUMERIC_FRACTION_DIGITS} digits after the decimal point, too small or too precise for PostgreSQL numeric`;
  }
  const digits = integer + fraction;
  const firstSignificant = digits.search(/[1-9]/);
  if (firstSignificant !== -1 && integer.length + exponent - firstSignificant > MAX_NUMERIC_INTEGER_DIGITS) {
    return `a number has more than ${MAX_NUMERIC_INTEGER_DIGITS} digits before the decimal point, too large for PostgreSQL numeric`;
  }
  return null;
}

/** The exponent's value, or null when PostgreSQL refuses its size outright. */
function exponentOf(text: string): number | null {
  if (text === '') return 0;
  const negative = text[0] === '-';
  const digits = text.replace(/^[+-]?0*/, '');
  if (digits.length > 10) return null;
  const value = Number(digits || '0');
  if (value > MAX_NUMERIC_EXPONENT) return null;
  return negative ? -value : value;
}
