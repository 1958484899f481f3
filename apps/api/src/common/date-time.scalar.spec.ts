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

  // found by a review: common writings of ISO-8601 / RFC 3339 were refused as "not ISO-8601"
  it('takes the ISO-8601 and RFC 3339 forms clients write: fractions of any length, lower case, offsets without a colon', () => {
    for (const [v, want] of [
      ['2026-12-05T00:00:00.0000000Z', '2026-12-05T00:00:00.000Z'], // .NET "o"
      ['2026-12-05T00:00:00.000000+00:00', '2026-12-05T00:00:00.000Z'], // Python isoformat
      ['2026-12-05t00:00:00z', '2026-12-05T00:00:00.000Z'],
      ['2026-12-05T08:00:00+08', '2026-12-05T00:00:00.000Z'],
      ['2026-12-05T08:00:00+0800', '2026-12-05T00:00:00.000Z'],
      ['2026-12-05T00:00:00,000Z', '2026-12-05T00:00:00.000Z'],
      ['2026-12-05T00:00:00.5Z', '2026-12-05T00:00:00.500Z'],
      ['2026-12-05T05:30-03:30', '2026-12-05T09:00:00.000Z'],
      ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ])
      expect({ v, got: parse(v).toISOString() }).toEqual({ v, got: want });
    // finer than a millisecond is not the instant a Date holds: refused, not rounded
    expect(code('2026-12-05T00:00:00.0000001Z')).toBe('BAD_USER_INPUT');
    expect(code('2026-12-05T00:00:60Z')).toBe('BAD_USER_INPUT');
    expect(code('2026-12-05T00:00:00+0860')).toBe('BAD_USER_INPUT');
    expect(code('2026-12-05 00:00:00Z')).toBe('BAD_USER_INPUT');
  });

  it('reads the instant Date reads, for random instants written with random offsets in each form', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor(rnd() * 4e12); // 1970 to 2096
      const off = Math.round((rnd() * 28 - 14) * 4) * 15; // minutes, -14 h to +14 h
      const l = new Date(t + off * 60_000);
      const sign = off < 0 ? '-' : '+';
      const [oh, om] = [pad(Math.floor(Math.abs(off) / 60)), pad(Math.abs(off) % 60)];
      const local = `${l.getUTCFullYear()}-${pad(l.getUTCMonth() + 1)}-${pad(l.getUTCDate())}T${pad(l.getUTCHours())}:${pad(l.getUTCMinutes())}:${pad(l.getUTCSeconds())}`;
      const frac = pad(l.getUTCMilliseconds(), 3);
      const forms = [`${local}.${frac}${sign}${oh}:${om}`, `${local},${frac}000${sign}${oh}${om}`];
      for (const v of forms) expect({ v, t: parse(v).getTime() }).toEqual({ v, t: Date.parse(forms[0]) });
      expect(Date.parse(forms[0])).toBe(t);
    }
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
