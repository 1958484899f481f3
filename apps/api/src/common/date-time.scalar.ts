import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// Strict ISO-8601 with an explicit zone, so "2026-12-01 08:00" or "tomorrow" never slip through.
const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

// BAD_USER_INPUT and HTTP 400 for Apollo, which otherwise reports variable coercion failures
// of custom scalars as internal errors
const bad = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

/**
 * Whether the date and time as written exist: a day the month has (no 31 November, 29 February
 * only in leap years), hours 0-23, minutes 0-59, an offset of at most 14 h. JavaScript's Date
 * would move 2026-11-31 to 1 December and T24:00 to the next day.
 */
function calendarOk(s: string): boolean {
  const [y, mo, d, h, mi] = [s.slice(0, 4), s.slice(5, 7), s.slice(8, 10), s.slice(11, 13), s.slice(14, 16)].map(
    Number,
  );
  const days =
    new Date(Date.UTC(2000, mo, 0)).getUTCDate() -
    (mo === 2 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 1 : 0);
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59) return false;
  const off = /([+-])(\d{2}):(\d{2})$/.exec(s);
  return !off || (Number(off[2]) <= 14 && Number(off[3]) <= 59);
}

function parse(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_RE.test(value)) {
    throw bad(
      `DateTime must be an ISO-8601 string with a time zone, e.g. 2026-12-01T08:00:00Z; got ${JSON.stringify(value)}`,
    );
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || !calendarOk(value))
    throw bad(`DateTime ${JSON.stringify(value)} is not a valid date`);
  // years 1 to 9999 (UTC): PostgreSQL has no year 0, and nothing here books outside them
  const y = d.getUTCFullYear();
  if (y < 1 || y > 9999) throw bad(`DateTime ${JSON.stringify(value)} must lie in the years 0001 to 9999 (UTC)`);
  return d;
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'UTC date-time, ISO-8601 with a zone (e.g. 2026-12-01T08:00:00Z). Booking times are whole hours.',
  serialize(v) {
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'string' || typeof v === 'number') return new Date(v).toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue: parse,
  // the literal's node goes with the error, so that it names the argument (`extensions.field`)
  parseLiteral(ast) {
    try {
      if (ast.kind !== Kind.STRING) throw bad('DateTime must be a string');
      return parse(ast.value);
    } catch (e) {
      throw new GraphQLError((e as GraphQLError).message, { nodes: ast, extensions: (e as GraphQLError).extensions });
    }
  },
});
