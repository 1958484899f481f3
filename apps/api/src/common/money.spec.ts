import { centsOf, money, priceTotal, priceWithVoucher, shareCents, splitCents } from './money';

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

describe('splitCents: parts in whole cents that add up to the rounded total', () => {
  it('gives the missing cent to the part rounded furthest down, the earlier one on a tie', () => {
    // 1.004 + 1.004 = 2.008 -> 2.01: each part alone rounds to 1.00
    expect(splitCents([1.004, 1.004], centsOf(2.008))).toEqual([101, 100]);
    expect(splitCents([1.004, 1.0049], centsOf(2.0089))).toEqual([100, 101]);
    // one over: taken from the part rounded furthest up
    expect(splitCents([0.005, 0.005, 0.005], centsOf(0.015))).toEqual([0, 1, 1]);
    expect(splitCents([1.5, -0.25], centsOf(1.25))).toEqual([150, -25]);
  });

  it('on random parts: adds up, and each part stays within a cent of its exact value', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let trial = 0; trial < 2000; trial++) {
      const exact = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => Math.round(rnd() * 100_000) / 1000 - 20);
      const total = centsOf(exact.reduce((a, x) => a + x, 0));
      const cents = splitCents(exact, total);
      expect(cents.reduce((a, c) => a + c, 0)).toBe(total);
      cents.forEach((c, i) => expect(Math.abs(c - exact[i] * 100)).toBeLessThan(1 + 1e-9));
    }
  });
});
