import { checkTariff, GridTariff, TariffError, TariffTable } from './tariff';

// Guangdong-style: peak 10-12 and 14-19, valley 0-8, local time UTC+8, every day
const GD: GridTariff = {
  utcOffsetHours: 8,
  periods: [
    {
      name: 'peak',
      pricePerMwh: 1200,
      hours: [
        [10, 12],
        [14, 19],
      ],
      days: 'ALL',
    },
    { name: 'valley', pricePerMwh: 300, hours: [[0, 8]], days: 'ALL' },
  ],
};

describe('time-of-use tariffs', () => {
  it('prices each epoch hour by its local hour of day; hours no period covers are flat', () => {
    const t = new TariffTable(GD, 650);
    const h0 = Date.UTC(2030, 0, 7, 0) / 3600_000; // Monday 08:00 local
    const local = (h: number) => t.priceAt(h0 - 8 + h); // local hour h of that Monday
    expect([0, 7].map(local)).toEqual([300, 300]);
    expect([8, 9, 12, 13, 19, 23].map(local)).toEqual([650, 650, 650, 650, 650, 650]);
    expect([10, 11, 14, 18].map(local)).toEqual([1200, 1200, 1200, 1200]);
    expect(t.nameOf(t.periodAt(h0 - 8 + 3))).toBe('valley');
    expect(t.nameOf(t.periodAt(h0 - 8 + 9))).toBe('flat');
    expect(t.lowestPrice()).toBe(300);
  });

  it('tells weekdays from weekends in local time', () => {
    const t = new TariffTable(
      { utcOffsetHours: 8, periods: [{ name: 'weekend', pricePerMwh: 100, hours: [[0, 24]], days: 'WEEKENDS' }] },
      500,
    );
    // Friday 2030-01-11 20:00 UTC is Saturday 04:00 in UTC+8
    expect(t.priceAt(Date.UTC(2030, 0, 11, 20) / 3600_000)).toBe(100);
    expect(t.priceAt(Date.UTC(2030, 0, 11, 15) / 3600_000)).toBe(500);
    expect(t.priceAt(Date.UTC(2030, 0, 13, 15) / 3600_000)).toBe(100); // Sunday 23:00 local
    expect(t.priceAt(Date.UTC(2030, 0, 13, 23) / 3600_000)).toBe(500); // Sunday 23:00 UTC = Monday 07:00 local
  });

  it('gives runs of equal price as slot ranges', () => {
    const base = Date.UTC(2030, 0, 7, 0) / 3600_000 - 8; // local midnight
    const r = new TariffTable(GD, 650).ranges(base, base, base + 24);
    expect(r.map((x) => [x.start, x.end, x.pricePerMwh])).toEqual([
      [0, 8, 300],
      [8, 10, 650],
      [10, 12, 1200],
      [12, 14, 650],
      [14, 19, 1200],
      [19, 24, 650],
    ]);
  });

  it('refuses overlapping periods, bad hours and reserved names, naming the field', () => {
    const bad = (t: GridTariff) => {
      try {
        checkTariff(t);
      } catch (e) {
        return [(e as TariffError).field, (e as Error).message];
      }
      return null;
    };
    expect(bad(GD)).toBeNull();
    expect(
      bad({ ...GD, periods: [...GD.periods, { name: 'late', pricePerMwh: 1, hours: [[7, 9]], days: 'WEEKDAYS' }] }),
    ).toEqual([
      'periods[2].hours[0]',
      'periods[2].hours[0] puts local hour 7 on weekdays in late, but periods[1] (valley) has it already: each hour belongs to one period',
    ]);
    expect(
      bad({ ...GD, periods: [...GD.periods, { name: 'dawn', pricePerMwh: 1, hours: [[7, 9]], days: 'ALL' }] }),
    ).toEqual([
      'periods[2].hours[0]',
      'periods[2].hours[0] puts local hour 7 every day in dawn, but periods[1] (valley) has it already: each hour belongs to one period',
    ]);
    expect(
      bad({
        ...GD,
        periods: [
          {
            name: 'peak',
            pricePerMwh: 1,
            hours: [
              [10, 12],
              [11, 13],
            ],
            days: 'ALL',
          },
        ],
      }),
    ).toEqual([
      'periods[0].hours[1]',
      'periods[0].hours[1] covers local hour 11 again: the ranges of one period must not overlap',
    ]);
    expect(bad({ ...GD, periods: [{ name: 'Posted', pricePerMwh: 1, hours: [[5, 6]], days: 'ALL' }] })).toEqual([
      'periods[0].name',
      'periods[0].name "posted" is reserved for hours with a posted price',
    ]);
    expect(bad({ ...GD, periods: [{ name: 'x', pricePerMwh: 1, hours: [[5, 25]], days: 'ALL' }] })?.[0]).toBe(
      'periods[0].hours[0]',
    );
    expect(bad({ ...GD, periods: [{ name: 'Flat', pricePerMwh: 1, hours: [[5, 6]], days: 'ALL' }] })?.[0]).toBe(
      'periods[0].name',
    );
    expect(bad({ ...GD, utcOffsetHours: 8.5 })?.[0]).toBe('utcOffsetHours');
  });

  it('a period name has 1 to 40 characters, counted as code points', () => {
    const named = (name: string): GridTariff => ({ ...GD, periods: [{ ...GD.periods[0], name }] });
    expect(() => checkTariff(named('\u{26A1}'.repeat(40)))).not.toThrow();
    expect(() => checkTariff(named('\u{26A1}'.repeat(41)))).toThrow(TariffError);
    expect(() => checkTariff(named('\u{1F50C}'.repeat(40)))).not.toThrow(); // 80 UTF-16 units
    expect(() => checkTariff(named('\u{1F50C}'.repeat(41)))).toThrow(/periods\[0\]\.name must be 1 to 40 characters/);
  });
});
