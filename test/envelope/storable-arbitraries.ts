import fc from 'fast-check';

/**
 * Generators for values at the edges of what PostgreSQL, NATS headers and CloudEvents allow:
 * numbers around numeric's limits, strings with the escapes jsonb refuses, nesting around the
 * gateway's cap, times around timestamptz's years and offsets, attribute text with control
 * characters, surrogates and edge whitespace. Shared by the differential tests and the fault
 * suite's hostile producer.
 */

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** Exponents near numeric's limits (16 383 after the point, 131 072 before, 2^30 outright). */
const exponent = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -30, max: 30 }) },
  { weight: 2, arbitrary: fc.integer({ min: 16_370, max: 16_400 }).map((e) => -e) },
  { weight: 2, arbitrary: fc.integer({ min: 131_060, max: 131_080 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1_073_741_815, max: 1_073_741_830 }), fc.boolean()).map(([e, negative]) => (negative ? -e : e)) },
  { weight: 1, arbitrary: pick(-20_000, 200_000, -99_999_999, 2_147_483_648) },
);

/** JSON number text (no sign handling beyond a leading minus). */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.integer().map(String) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(pick('', '-'), fc.stringMatching(/^(0|[1-9][0-9]{0,4})$/), fc.option(fc.stringMatching(/^[0-9]{1,5}$/), { nil: undefined }), pick('e', 'E', 'e+', 'e-', 'E-'), exponent)
      .map(([sign, int, frac, e, x]) => {
        const marker = x < 0 ? e.replace('+', '').replace(/-?$/, '-') : e.replace('-', '');
        return `${sign}${int}${frac === undefined ? '' : `.${frac}`}${marker}${Math.abs(x)}`;
      }),
  },
  // Long plain decimals: digits after the point around 16 383, before it around 131 072.
  { weight: 1, arbitrary: fc.integer({ min: 16_380, max: 16_386 }).map((n) => `0.${'0'.repeat(n - 1)}${n % 2 === 0 ? '1' : '0'}`) },
  { weight: 1, arbitrary: fc.integer({ min: 131_070, max: 131_074 }).map((n) => `1${'0'.repeat(n - 1)}`) },
);

/** Pieces of a JSON string literal's body: escapes jsonb refuses or keeps, odd unicode, plain text. */
const stringPiece = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s).slice(1, -1)) },
  {
    weight: 3,
    arbitrary: pick('\\u0000', '\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\ud83d\\ude00', '\\u0001', '\\u001f', '\\uffff', '\\ufffe', '\\u2028', '\\n', '\\t', '\\"', '\\\\', '\\/', 'é', '😀', '\u2028', '\ufeff', '\\u00e9', '\\uD800\\uDC00'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((u) => `\\u${u.toString(16).padStart(4, '0')}`) },
);

export const stringText: fc.Arbitrary<string> = fc.array(stringPiece, { maxLength: 6 }).map((pieces) => `"${pieces.join('')}"`);

/** A JSON document, as text, with the edge values above anywhere in it. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    pick('true', 'false', 'null'),
    fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
    fc.array(fc.tuple(stringText, tie('value')), { maxLength: 4 }).map((members) => `{${members.map(([k, v]) => `${k}:${v}`).join(',')}}`),
  ),
})).value;

/** Nesting around the gateway's cap of 1000 levels, arrays and objects mixed. */
export const deepJsonText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 995, max: 1005 }), fc.boolean(), numberText)
  .map(([depth, objects, leaf]) => (objects ? `${'{"k":'.repeat(depth)}${leaf}${'}'.repeat(depth)}` : `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`));

const two = (n: number) => String(n).padStart(2, '0');

/** RFC 3339-shaped times around timestamptz's years, impossible dates, leap seconds, offsets up to ±24:59, long fractions. */
export const timeText: fc.Arbitrary<string> = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1969, max: 2100 }), fc.integer({ min: 9998, max: 9999 })),
    month: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: pick(0, 13) }),
    day: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 28 }) }, { weight: 2, arbitrary: fc.integer({ min: 29, max: 31 }) }, { weight: 1, arbitrary: pick(0, 32) }),
    hour: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 23 }) }, { weight: 1, arbitrary: pick(0, 23, 24) }),
    minute: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 59 }) }, { weight: 1, arbitrary: pick(0, 30, 59, 60) }),
    second: fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 59 }) }, { weight: 1, arbitrary: pick(0, 59, 60) }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
    zone: fc.oneof(pick('Z', 'z', '+00:00', '-00:00'), fc.tuple(pick('+', '-'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 59 })).map(([s, h, m]) => `${s}${two(h)}:${two(m)}`)),
    t: pick('T', 't'),
  })
  .map((p) => `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)}${p.t}${two(p.hour)}:${two(p.minute)}:${two(p.second)}${p.fraction === undefined ? '' : `.${p.fraction}`}${p.zone}`);

/** One UTF-16 unit or character, biased to what headers and text columns mishandle. */
const attributeUnit = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: pick(' ', '\t', '\n', '\r', '\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\u00a0', '\u2028', '\ufeff', '\u3000') },
  { weight: 2, arbitrary: pick('\ud800', '\udbff', '\udc00', '\udfff', '😀', 'é', 'ß', '中', '\ufffe', '\uffff', ':', '%', '"', '\\') },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
);

/** Characters every carrier keeps: printable ASCII and unicode with a UTF-8 form. */
const plainUnit = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: pick(' ', 'é', '😀', '中', '\ufffe', '\u00a0', '\u0085') },
);

/** An attribute value: plain text, odd text, or a long source around the 2 048-byte cap. */
export const attributeText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: 0x21, max: 0x7e }), fc.string({ unit: plainUnit, maxLength: 24 })).map(([first, rest]) => String.fromCharCode(first) + rest) },
  { weight: 3, arbitrary: fc.string({ unit: attributeUnit, minLength: 1, maxLength: 24 }) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 2040, max: 2056 }), fc.integer()).map(([n, seed]) => `/${randomAscii(n - 1, seed)}`) },
);

/** Text that does not compress (a btree index row's limit counts compressed bytes). */
function randomAscii(length: number, seed: number): string {
  let x = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += String.fromCharCode(0x21 + ((x >>> 0) % 94));
  }
  return out;
}
