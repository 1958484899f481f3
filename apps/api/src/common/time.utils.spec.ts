import { InputException } from './errors';
import { requireHour, requireRange } from './time.utils';

describe('time utils', () => {
  it('accepts whole UTC hours and refuses the rest, naming the field', () => {
    expect(requireHour('startsAt', new Date('2026-12-01T08:00:00Z'))).toBe(Date.UTC(2026, 11, 1, 8));
    expect(requireHour('startsAt', new Date('2026-12-01T16:00:00+08:00'))).toBe(Date.UTC(2026, 11, 1, 8));
    expect(() => requireHour('startsAt', new Date('2026-12-01T08:30:00Z'))).toThrow(
      /startsAt must be on a whole UTC hour/,
    );
    expect(() => requireHour('startsAt', new Date('nope'))).toThrow(InputException);
  });

  it('ranges are half-open, non-empty and bounded', () => {
    expect(requireRange('from', new Date('2026-12-01T00:00:00Z'), 'to', new Date('2026-12-01T03:00:00Z'), 3)).toEqual([
      Date.UTC(2026, 11, 1),
      Date.UTC(2026, 11, 1, 3),
    ]);
    expect(() =>
      requireRange('from', new Date('2026-12-01T00:00:00Z'), 'to', new Date('2026-12-01T00:00:00Z')),
    ).toThrow(/to must be after from/);
    expect(() =>
      requireRange('from', new Date('2026-12-01T00:00:00Z'), 'to', new Date('2026-12-01T04:00:00Z'), 3),
    ).toThrow(/at most 3 hours/);
  });
});
