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

  it('refuses dates and times that do not exist instead of moving them (31 November was booked on 1 December)', () => {
    for (const v of [
      '2026-11-31T08:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-30T24:00:00Z',
      '2026-11-30T08:60:00Z',
      '2026-12-01T08:00:00+15:00',
    ])
      expect({ v, code: code(v) }).toEqual({ v, code: 'BAD_USER_INPUT' });
    expect(parse('2024-02-29T00:00:00Z').toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parse('2026-12-01T08:00:00+05:30').toISOString()).toBe('2026-12-01T02:30:00.000Z');
    expect(parse('2026-12-31T23:00:00-12:00').toISOString()).toBe('2027-01-01T11:00:00.000Z');
  });
});
