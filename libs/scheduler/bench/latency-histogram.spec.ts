import fc from 'fast-check';
import { LatencyHistogram, nearestRank } from './latency-histogram';

function hist(values: number[], unitsPerMs = 1): LatencyHistogram {
  const h = new LatencyHistogram(unitsPerMs);
  for (const v of values) h.record(v);
  return h;
}

describe('nearest-rank percentiles', () => {
  it('takes rank ceil(p*n), 1-based', () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(ten, 0.5)).toBe(5);
    expect(nearestRank(ten, 0.94)).toBe(10); // floor(p*n) would say 10 too, rounding would say 9
    expect(nearestRank(ten, 0.9)).toBe(9); // floor(p*n) would say 10
    expect(nearestRank(ten, 0.95)).toBe(10);
    expect(nearestRank(ten, 0)).toBe(1);
    expect(nearestRank(ten, 1)).toBe(10);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(hundred, 0.95)).toBe(95); // 0.95 * 100 = 95.00000000000001 in floating point
    expect(nearestRank(hundred, 0.99)).toBe(99);
    expect(nearestRank(hundred, 0.5)).toBe(50);
    expect(nearestRank([7], 0.99)).toBe(7);
  });

  it('the histogram agrees with the definition exactly on values its buckets hold exactly', () => {
    const h = hist([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
    expect([h.percentile(0.5), h.percentile(0.9), h.percentile(0.94), h.percentile(0.95), h.percentile(0.99)]).toEqual([
      5, 9, 10, 10, 10,
    ]);
    expect([h.min, h.max, h.mean, h.count]).toEqual([1, 10, 5.5, 10]);
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2047 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, p) => {
          const sorted = Float64Array.from(values).sort();
          expect(hist(values).percentile(p)).toBe(nearestRank(sorted, p));
        },
      ),
    );
  });

  it('stays within 0.1 % above the exact percentile on any value, never above the maximum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.constantFrom(0.5, 0.9, 0.95, 0.99),
        (values, p) => {
          const sorted = Float64Array.from(values).sort();
          const exact = nearestRank(sorted, p);
          const h = hist(values, 1000);
          const got = h.percentile(p);
          expect(got).toBeGreaterThanOrEqual(exact - 0.0005); // recorded in whole microseconds
          expect(got).toBeLessThanOrEqual(exact * 1.001 + 0.001);
          expect(got).toBeLessThanOrEqual(h.max);
        },
      ),
    );
  });

  it('is 0 when empty and refuses p outside [0, 1]', () => {
    const h = new LatencyHistogram();
    expect([h.percentile(0.99), h.min, h.max, h.mean, h.count]).toEqual([0, 0, 0, 0, 0]);
    expect(() => h.percentile(99)).toThrow(RangeError);
  });
});
