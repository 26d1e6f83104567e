/**
 * Checks that JSON text is something PostgreSQL's jsonb can store, so a body the database
 * would reject is refused at the door (400) instead of failing in a worker later.
 * jsonb refuses `\u0000`, unpaired UTF-16 surrogates, numbers beyond `numeric`'s range,
 * and nesting deeper than its stack allows.
 */
export const MAX_JSON_DEPTH = 1000;
const MAX_NUMBER_DIGITS = 100_000;
const MAX_EXPONENT = 100_000;

const LONG_EXPONENT = /[eE][+-]?\d{6}/;

/** Returns why `text` (already valid JSON) cannot be stored, or null when it can. */
export function jsonTextProblem(text: string): string | null {
  // Short bodies with no escapes and no long exponents cannot break any rule: skip the scan.
  if (text.length <= 2 * MAX_JSON_DEPTH && text.indexOf('\\u') === -1 && !LONG_EXPONENT.test(text)) return null;
  return scan(text);
}

function scan(text: string): string | null {
  let depth = 0;
  let digits = 0;
  let exponentDigits = '';
  let inExponent = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      inExponent = false;
      digits = 0;
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
    }
    if (c >= 0x30 && c <= 0x39) {
      if (inExponent) {
        exponentDigits += text[i];
        if (exponentDigits.length > 6 || Number(exponentDigits) > MAX_EXPONENT) return 'a number is too large or too small for PostgreSQL numeric';
      } else if (++digits > MAX_NUMBER_DIGITS) {
        return 'a number has too many digits for PostgreSQL numeric';
      }
    } else if (c === 0x65 || c === 0x45) {
      inExponent = true;
      exponentDigits = '';
    } else if (!(inExponent && (c === 0x2b || c === 0x2d)) && c !== 0x2e) {
      inExponent = false;
      digits = 0;
    }
  }
  return null;
}
