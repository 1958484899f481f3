import { decodeCursor, encodeCursor, pageSize } from './pagination';

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
});
