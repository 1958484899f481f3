import { decodeCursor, decodeTimeCursor, encodeCursor, pageSize } from './pagination';

describe('pagination', () => {
  it('page size defaults to 20 and is capped at 100', () => {
    expect(pageSize(undefined)).toBe(20);
    expect(pageSize(100)).toBe(100);
    expect(() => pageSize(101)).toThrow(/first must be an integer in \[1, 100\]/);
    expect(() => pageSize(0)).toThrow(/first/);
  });

  it('cursors round-trip and garbage is refused', () => {
    const c = encodeCursor('2026-12-01T00:00:00.000Z', 'abc');
    expect(c).not.toContain('abc');
    expect(decodeCursor(c)).toEqual(['2026-12-01T00:00:00.000Z', 'abc']);
    expect(decodeCursor(null)).toBeNull();
    expect(() => decodeCursor('%%%')).toThrow(/after is not a cursor/);
    expect(() => decodeCursor(Buffer.from('{"a":1}').toString('base64url'))).toThrow(/after/);
  });

  it('a time cursor holds an instant as the API writes it and a uuid, nothing else', () => {
    const id = '6c80a9c8-ced5-4c6b-8e3d-e6b0de6311f9';
    expect(decodeTimeCursor(encodeCursor('2026-12-01T00:00:00.000Z', id))).toEqual({
      time: new Date('2026-12-01T00:00:00.000Z'),
      id,
    });
    expect(decodeTimeCursor(null)).toBeNull();
    // years PostgreSQL cannot take (they failed with a 5xx), dates a parser would bend, loose forms
    for (const t of [
      '+010000-01-01T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '2026-11-31T00:00:00.000Z',
      '1',
      '2026-11-30',
      'Tue Dec 01 2026',
    ])
      expect(() => decodeTimeCursor(encodeCursor(t, id))).toThrow(/after is not a cursor/);
    expect(() => decodeTimeCursor(encodeCursor('2026-12-01T00:00:00.000Z', 'abc'))).toThrow(/after/);
  });
});
