import { centsOf, money, priceTotal, priceWithVoucher, shareCents } from './money';

describe('money: whole cents, half away from zero', () => {
  it('rounds to cents, float noise of sums ignored', () => {
    const cases: [number, number][] = [
      [0, 0],
      [0.333333, 0.33],
      [7.213206, 7.21],
      [0.285, 0.29],
      [1.005, 1.01],
      [2.675, 2.68],
      [0.1 + 0.2, 0.3],
      [656.0999999999999, 656.1],
      [0.004999, 0],
      [-1.005, -1.01],
      [1e-7, 0],
      [123456789.125, 123456789.13],
    ];
    for (const [x, m] of cases) expect({ x, m: money(x) }).toEqual({ x, m });
    expect(Object.is(money(-0.001), 0)).toBe(true);
    expect(centsOf(92)).toBe(9200);
    // large amounts stay exact: the noise allowance is capped at a thousandth of a cent
    expect(centsOf(1e12)).toBe(1e14);
    expect(money(5e9 + 0.004)).toBe(5e9);
    expect(money(999999999999.99)).toBe(999999999999.99);
  });

  it('a voucher share is rounded down to the cent, exactly for 2-decimal percents', () => {
    expect(shareCents(9200, 50)).toBe(4600);
    expect(shareCents(100, 29)).toBe(29);
    expect(shareCents(10001, 33.33)).toBe(3333);
    expect(shareCents(755, 100)).toBe(755);
    expect(shareCents(1, 99.99)).toBe(0);
    expect(shareCents(9e15, 100)).toBe(9e15);
  });

  it('a price is the sum of its rounded parts; after the voucher is total - voucher', () => {
    const parts = { compute: 0.333333, greenEnergy: 0, gridEnergy: 7.213206 };
    expect(priceTotal(parts)).toBe(7.54);
    expect(priceWithVoucher(parts, 0)).toEqual({
      compute: 0.33,
      greenEnergy: 0,
      gridEnergy: 7.21,
      total: 7.54,
      voucher: 0,
      totalAfterVoucher: 7.54,
    });
    expect(priceWithVoucher(parts, shareCents(centsOf(priceTotal(parts)), 100) / 100).totalAfterVoucher).toBe(0);
    const p = priceWithVoucher({ compute: 0.1, greenEnergy: 0.2, gridEnergy: 0.7 }, 0.33);
    expect(p).toEqual({
      compute: 0.1,
      greenEnergy: 0.2,
      gridEnergy: 0.7,
      total: 1,
      voucher: 0.33,
      totalAfterVoucher: 0.67,
    });
  });
});
