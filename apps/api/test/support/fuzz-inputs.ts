import fc from 'fast-check';
import { getNamedType, GraphQLInputType, isEnumType, isInputObjectType, isListType, isNonNullType } from 'graphql';
import { hour } from './helpers';

/** Strings that have broken parsers, SQL builders and encodings elsewhere. */
export const NASTY_STRINGS = [
  "'; DROP TABLE bookings; --",
  "' OR '1'='1",
  '" OR 1=1 --',
  '1; SELECT pg_sleep(5)',
  "') UNION SELECT key_hash FROM api_keys --",
  '$1',
  '%',
  '_',
  '\\',
  '\\x00',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202eevil',
  '𝕡𝕗𝕝𝕖𝕩',
  '💥🔥',
  'Ω≈ç√∫',
  'ＳＥＬＥＣＴ',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e999',
  '0x1F',
  '',
  ' ',
  '\n\t',
  '<script>alert(1)</script>',
  '{"$gt": ""}',
  '../../etc/passwd',
  'x'.repeat(5_000),
  '😀'.repeat(2_000),
];

/** Date-time strings out of range, malformed, or not on a whole hour. */
const NASTY_DATES = [
  '',
  'NaN',
  'Infinity',
  'now',
  '2026-13-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-12-01T24:00:00Z',
  '2026-12-01T08:00:00',
  '2026-12-01',
  '0000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '+275760-09-13T00:00:00.001Z',
  '9999-12-31T23:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-12-01T08:30:00Z',
  '2026-12-01T08:00:00.5Z',
  '2026-12-01T08:00:00+14:00',
  '1e12',
];

/** Values of the wrong type for any position. */
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    '-1',
    '',
    true,
    false,
    0,
    -0,
    1e308,
    -1e308,
    5e-324,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 53 + 1,
    {},
    [],
    [[]],
    { id: 1 },
  ),
  fc.double(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.string({ maxLength: 20 }),
  fc.constantFrom(...NASTY_STRINGS),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 3 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
);

const nastyString = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40, unit: 'grapheme' }), weight: 2 },
  { arbitrary: fc.string({ maxLength: 40, unit: 'binary' }), weight: 1 },
  { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 2 },
);

function scalarArb(name: string, idPool: readonly string[]): fc.Arbitrary<unknown> {
  switch (name) {
    case 'Int':
      return fc.oneof(
        { arbitrary: fc.integer({ min: -5, max: 200 }), weight: 4 },
        { arbitrary: fc.constantFrom(0, -1, 1, 100, 101, 500, 501, 744, 745, 2147483647, -2147483648), weight: 2 },
        { arbitrary: fc.integer(), weight: 1 },
      );
    case 'Float':
      return fc.oneof(
        { arbitrary: fc.double({ min: 0.001, max: 50, noNaN: true }), weight: 3 },
        {
          arbitrary: fc.constantFrom(
            0,
            -0,
            -1,
            0.5,
            1,
            1.0005,
            1.25,
            2100,
            1e-7,
            1e15,
            1e308,
            -1e308,
            5e-324,
            2 ** 53 + 1,
          ),
          weight: 2,
        },
        { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
      );
    case 'Boolean':
      return fc.boolean();
    case 'ID':
      return fc.oneof(
        { arbitrary: fc.constantFrom(...idPool), weight: 6 },
        { arbitrary: fc.uuid(), weight: 2 },
        { arbitrary: nastyString, weight: 2 },
        { arbitrary: fc.integer(), weight: 1 },
      );
    case 'DateTime':
      return fc.oneof(
        { arbitrary: fc.integer({ min: -3, max: 1600 }).map(hour), weight: 6 },
        { arbitrary: fc.constantFrom(...NASTY_DATES), weight: 3 },
        {
          arbitrary: fc
            .date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true })
            .map((d) => d.toISOString()),
          weight: 1,
        },
      );
    default:
      return nastyString;
  }
}

// plausible ranges for well-known argument names, so that some bookings, quotes and vouchers succeed
const HINTS: Record<string, () => fc.Arbitrary<unknown>> = {
  hours: () => fc.integer({ min: 1, max: 6 }),
  pflops: () => fc.integer({ min: 1, max: 5000 }).map((n) => n / 1000),
  minGreenShare: () => fc.constantFrom(0, 0.1, 0.5, 1),
  pue: () => fc.constantFrom(1, 1.1, 1.5),
  percentCovered: () => fc.integer({ min: 1, max: 100 }),
  earliestStart: () => fc.integer({ min: 2, max: 24 }).map(hour),
  deadline: () => fc.integer({ min: 30, max: 300 }).map(hour),
  validFrom: () => fc.integer({ min: 0, max: 10 }).map(hour),
  validUntil: () => fc.integer({ min: 50, max: 400 }).map(hour),
  from: () => fc.integer({ min: 0, max: 24 }).map(hour),
  to: () => fc.integer({ min: 30, max: 300 }).map(hour),
  startsAt: () => fc.integer({ min: 1, max: 24 }).map(hour),
  endsAt: () => fc.integer({ min: 30, max: 300 }).map(hour),
  first: () => fc.integer({ min: 1, max: 50 }),
};

/** Plausible values of the right type, so that cases get past validation into the services and the database. */
export function saneArb(type: GraphQLInputType, idPool: readonly string[], name?: string): fc.Arbitrary<unknown> {
  if (name && HINTS[name] && !isListType(isNonNullType(type) ? type.ofType : type)) return HINTS[name]();
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) return fc.array(saneArb(t.ofType, idPool), { minLength: 1, maxLength: 3 });
  const named = getNamedType(t);
  if (isEnumType(named)) return fc.constantFrom(...named.getValues().map((v) => v.name));
  if (isInputObjectType(named)) {
    const fields = Object.values(named.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[f.name] = saneArb(f.type, idPool, f.name);
    return fc.record(model, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) });
  }
  switch (named.name) {
    case 'Int':
      return fc.integer({ min: 1, max: 48 });
    case 'Float':
      return fc.oneof(
        fc.constantFrom(0, 0.25, 0.5, 1, 1.2, 2, 10, 40, 600),
        fc.integer({ min: 1, max: 100_000 }).map((n) => n / 1000),
      );
    case 'Boolean':
      return fc.boolean();
    case 'ID':
      return fc.constantFrom(...idPool);
    case 'DateTime':
      return fc.integer({ min: 0, max: 400 }).map(hour);
    default:
      return fc.string({ minLength: 1, maxLength: 24 });
  }
}

/**
 * Values for a GraphQL input type: mostly the right shape with extreme or hostile contents,
 * sometimes the wrong type, null, huge lists or unknown fields.
 */
export function valueArb(type: GraphQLInputType, idPool: readonly string[], depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    return fc.oneof({ arbitrary: innerArb(type.ofType, idPool, depth), weight: 14 }, { arbitrary: junk, weight: 1 });
  }
  return fc.oneof(
    { arbitrary: innerArb(type, idPool, depth), weight: 8 },
    { arbitrary: fc.constant(null), weight: 1 },
    { arbitrary: junk, weight: 1 },
  );
}

function innerArb(type: GraphQLInputType, idPool: readonly string[], depth: number): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = valueArb(type.ofType, idPool, depth + 1);
    return fc.oneof(
      { arbitrary: fc.array(item, { maxLength: 4 }), weight: 6 },
      { arbitrary: item, weight: 1 },
      { arbitrary: fc.array(item, { minLength: 300, maxLength: 1000 }), weight: depth === 0 ? 1 : 0 },
    );
  }
  const named = getNamedType(type);
  if (isEnumType(named)) {
    return fc.oneof(
      { arbitrary: fc.constantFrom(...named.getValues().map((v) => v.name)), weight: 8 },
      { arbitrary: fc.constantFrom('NOPE', 'earliest', ''), weight: 1 },
    );
  }
  if (isInputObjectType(named)) {
    const fields = Object.values(named.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[f.name] = valueArb(f.type, idPool, depth + 1);
    const required = fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name);
    const withJunk: Record<string, fc.Arbitrary<unknown>> = { ...model, unexpectedField: junk };
    return fc.oneof(
      { arbitrary: fc.record(model, { requiredKeys: required }), weight: 10 },
      { arbitrary: fc.record(withJunk, { requiredKeys: required }), weight: 1 },
      { arbitrary: fc.record(model, { requiredKeys: [] }), weight: 1 },
    );
  }
  return scalarArb(named.name, idPool);
}

/** The value as a GraphQL literal, for cases that put arguments inline instead of in variables. */
export function literal(v: unknown, type: GraphQLInputType): string {
  const named = getNamedType(type);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return isEnumType(named) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : String(v);
  if (typeof v === 'boolean') return String(v);
  const itemType = isListType(isNonNullType(type) ? type.ofType : type)
    ? ((isNonNullType(type) ? type.ofType : type) as { ofType: GraphQLInputType }).ofType
    : type;
  if (Array.isArray(v)) return `[${v.map((x) => literal(x, itemType)).join(', ')}]`;
  const fields = isInputObjectType(named) ? named.getFields() : {};
  const parts = Object.entries(v as Record<string, unknown>)
    .filter(([k]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(k))
    .map(([k, x]) => `${k}: ${literal(x, fields[k]?.type ?? named)}`);
  return `{${parts.join(', ')}}`;
}
