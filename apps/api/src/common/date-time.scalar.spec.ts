import { GraphQLError } from 'graphql';
import { DateTimeScalar } from './date-time.scalar';

describe('DateTime scalar', () => {
  const parse = (v: unknown) => DateTimeScalar.parseValue(v);
  const code = (v: unknown) => {
    try {
      parse(v);
      return 'ok';
    } catch (e) {
      return (e as GraphQLError).extensions?.code;
    }
  };

  it('takes ISO-8601 with a zone in the years 1 to 9999', () => {
    expect(parse('2026-12-01T08:00:00Z').toISOString()).toBe('2026-12-01T08:00:00.000Z');
    expect(parse('0001-01-01T00:00:00Z').getUTCFullYear()).toBe(1);
    expect(parse('9999-12-31T23:00:00Z').getUTCFullYear()).toBe(9999);
  });

  it('refuses year 0, years past 9999 (also through an offset), no zone and non-strings with BAD_USER_INPUT', () => {
    // year 0 used to reach PostgreSQL (which has none) and answer INTERNAL_SERVER_ERROR
    expect(code('0000-01-01T00:00:00Z')).toBe('BAD_USER_INPUT');
    expect(code('9999-12-31T23:00:00-05:00')).toBe('BAD_USER_INPUT');
    expect(code('2026-12-01T08:00:00')).toBe('BAD_USER_INPUT');
    expect(code(1764576000000)).toBe('BAD_USER_INPUT');
  });
});
