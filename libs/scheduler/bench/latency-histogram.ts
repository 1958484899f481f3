/**
 * Latency percentiles, one definition for the scheduler bench and the load tests
 * (load-tests/lib/engine.ts): **nearest rank**. The p-th percentile of n recorded values is the
 * value of rank ⌈p·n⌉ (1-based) in ascending order: the smallest recorded value with at least
 * p·n values at or below it. p = 0 is the minimum, p = 1 the maximum; no interpolation, so a
 * percentile is always a value that was measured.
 *
 * Values are kept in an HdrHistogram (hdr-histogram-js) at 3 significant digits, so memory stays
 * constant however long a run is: a percentile is the upper end of its value's bucket, at most
 * 0.1 % above the value itself (and never above the maximum). Count, minimum, maximum and mean
 * are exact.
 */
import { build, type Histogram } from 'hdr-histogram-js';

export class LatencyHistogram {
  private readonly h: Histogram;
  private n = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;

  /** @param unitsPerMs resolution: 1000 records microseconds (load tests), 1e6 nanoseconds (bench) */
  constructor(private readonly unitsPerMs = 1000) {
    this.h = build({ numberOfSignificantValueDigits: 3, autoResize: true });
  }

  /** Records one value in ms. Complexity: O(1). */
  record(ms: number): void {
    this.h.recordValue(Math.max(0, Math.round(ms * this.unitsPerMs)));
    this.n++;
    this.sum += ms;
    if (ms < this.lo) this.lo = ms;
    if (ms > this.hi) this.hi = ms;
  }

  get count(): number {
    return this.n;
  }

  /** Exact minimum in ms (0 when empty). */
  get min(): number {
    return this.n ? this.lo : 0;
  }

  /** Exact maximum in ms (0 when empty). */
  get max(): number {
    return this.n ? this.hi : 0;
  }

  /** Exact mean in ms (0 when empty). */
  get mean(): number {
    return this.n ? this.sum / this.n : 0;
  }

  /** The nearest-rank percentile, p in [0, 1], in ms (0 when empty). Complexity: O(buckets). */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile needs p in [0, 1], got ${p}`);
    if (this.n === 0) return 0;
    if (p === 0) return this.lo;
    if (p === 1) return this.hi;
    // hdr-histogram-js: rank = max(1, ⌈p·n⌉) (with one ulp of slack against 0.95·100 = 95.00000000000001)
    const v = this.h.getValueAtPercentile(p * 100) / this.unitsPerMs;
    return Math.min(this.hi, Math.max(this.lo, v));
  }
}

/** The definition on a sorted array, for tests: rank ⌈p·n⌉ (1-based), p = 0 the minimum. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  // p·n computed in floating point can land one ulp above an integer (0.95 × 100): round that away
  const x = p * n;
  const rank = Math.max(1, Math.ceil(x - Math.abs(x) * Number.EPSILON));
  return sorted[Math.min(n, rank) - 1];
}
