import { parseDateTime } from '@pflex/scheduler';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

// BAD_USER_INPUT and HTTP 400 for Apollo, which otherwise reports variable coercion failures
// of custom scalars as internal errors
const bad = (message: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

/** A DateTime as clients write it (parseDateTime: ISO-8601 / RFC 3339 with a zone), in the years 1 to 9999. */
function parse(value: unknown): Date {
  const t = parseDateTime(value);
  if (t === 'format')
    throw bad(
      `DateTime must be an ISO-8601 string with a time zone, e.g. 2026-12-01T08:00:00Z; got ${JSON.stringify(value)}`,
    );
  if (t === 'calendar') throw bad(`DateTime ${JSON.stringify(value)} is not a valid date`);
  if (t === 'range') throw bad(`DateTime ${JSON.stringify(value)} must lie in the years 0001 to 9999 (UTC)`);
  return new Date(t);
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description:
    'UTC date-time, ISO-8601 with a zone (e.g. 2026-12-01T08:00:00Z; also 2026-12-01T16:00+08:00, +0800, +08, a fraction of any length to the millisecond). Booking times are whole hours.',
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
