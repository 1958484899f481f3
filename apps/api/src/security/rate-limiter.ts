/** Operations per minute per API key when RATE_LIMIT_PER_MINUTE is not set (100/s sustained, bursts of a minute's worth). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/**
 * Token buckets, one per caller: `perMinute` tokens at most (the burst), refilled continuously at
 * perMinute / 60 s. In memory, per process: with N replicas a caller gets up to N x the limit.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    /** bound on remembered callers, so a flood of made-up keys cannot exhaust memory */
    private readonly maxCallers = 50_000,
  ) {
    if (!Number.isInteger(perMinute) || perMinute < 1) throw new Error(`perMinute must be a positive integer, got ${perMinute}`);
  }

  /** Takes `cost` tokens; when too few are left, how long until they are (ms). Complexity: O(1). */
  take(caller: string, cost = 1): { ok: true } | { ok: false; retryAfterMs: number } {
    const t = this.now();
    const ratePerMs = this.perMinute / 60_000;
    let b = this.buckets.get(caller);
    if (b) {
      // re-insert so the Map's order is least recently used first
      this.buckets.delete(caller);
      b.tokens = Math.min(this.perMinute, b.tokens + Math.max(0, t - b.at) * ratePerMs);
      b.at = t;
    } else {
      if (this.buckets.size >= this.maxCallers) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.perMinute, at: t };
    }
    this.buckets.set(caller, b);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true };
    }
    // a cost above the burst can never pass: say when a full bucket would be back
    return { ok: false, retryAfterMs: Math.ceil((Math.min(cost, this.perMinute) - b.tokens) / ratePerMs) };
  }

  get size(): number {
    return this.buckets.size;
  }
}
