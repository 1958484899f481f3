/** Operations per minute per API key when RATE_LIMIT_PER_MINUTE is not set (100/s sustained, bursts of a minute's worth). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;

/**
 * Token buckets, one per caller, holding this process's share of a limit that counts across all
 * API replicas: with `replicas` live replicas (this one included; see `ReplicaSet`), each bucket
 * holds at most perMinute / replicas tokens and refills at perMinute / replicas per 60 s. Tokens
 * are never created: when a replica joins, each of the others gives up the difference between its
 * old and new share from every bucket (going into debt if it had spent them), so the newcomer can
 * start full; when one leaves, the others only refill faster from then on. So the replicas
 * together never admit more than one bucket of `perMinute` would (shared-rate-limit.spec.ts).
 * No database or network work per request: the share changes only when the replica count does.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private n = 1;
  /** this replica's burst (tokens) and refill rate (tokens per ms) */
  private capacity: number;
  private ratePerMs: number;
  /** the level of a bucket no request has drawn from yet: where a new caller's bucket starts */
  private readonly fresh: { tokens: number; at: number };

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    /** bound on remembered callers, so a flood of made-up keys cannot exhaust memory */
    private readonly maxCallers = 50_000,
  ) {
    if (!Number.isInteger(perMinute) || perMinute < 1)
      throw new Error(`perMinute must be a positive integer, got ${perMinute}`);
    this.capacity = perMinute;
    this.ratePerMs = perMinute / 60_000;
    this.fresh = { tokens: perMinute, at: now() };
  }

  /** The most tokens a bucket here holds (this replica's share of a minute's worth). */
  get burst(): number {
    return this.capacity;
  }

  /** Live API replicas this process shares the limit with, itself included. */
  get replicas(): number {
    return this.n;
  }

  /**
   * A new replica count. Every bucket is first brought up to date at the old rate; then with more
   * replicas each bucket gives up (old share - new share) tokens when the added one is a
   * `newcomer` that starts with a full new share (a bucket below that goes into debt, at most one
   * new share deep, and refuses until it has refilled); a replica counted again after a silence kept its own buckets, so the
   * buckets here are only capped at the new share. With fewer replicas the cap and the rate rise
   * from now on (the leaver's tokens are not handed out). Complexity: O(callers remembered), only
   * when the count changes.
   */
  setReplicas(n: number, newcomer = true): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`replicas must be a positive integer, got ${n}`);
    if (n === this.n) return;
    const t = this.now();
    const capacity = this.perMinute / n;
    const handOver = newcomer ? Math.max(0, this.capacity - capacity) : 0;
    for (const b of [this.fresh, ...this.buckets.values()]) {
      const now = Math.min(this.capacity, b.tokens + Math.max(0, t - b.at) * this.ratePerMs);
      // at most one new share in debt, repaid within a minute: a replica restarting again and
      // again (a crash loop, each restart a newcomer) cannot pile debts up on the keys here
      b.tokens = handOver > 0 ? Math.max(-capacity, now - handOver) : now;
      b.at = t;
    }
    this.n = n;
    this.capacity = capacity;
    this.ratePerMs = capacity / 60_000;
  }

  /** Takes `cost` tokens; when too few are left, how long until they are (ms). Complexity: O(1). */
  take(caller: string, cost = 1): { ok: true } | { ok: false; retryAfterMs: number; never?: number } {
    const t = this.now();
    const capacity = this.capacity;
    const ratePerMs = this.ratePerMs;
    let b = this.buckets.get(caller);
    if (b) {
      // re-insert so the Map's order is least recently used first
      this.buckets.delete(caller);
      b.tokens = Math.min(capacity, b.tokens + Math.max(0, t - b.at) * ratePerMs);
      b.at = t;
    } else {
      if (this.buckets.size >= this.maxCallers) this.buckets.delete(this.buckets.keys().next().value as string);
      const f = this.fresh;
      f.tokens = Math.min(capacity, f.tokens + Math.max(0, t - f.at) * ratePerMs);
      f.at = t;
      b = { tokens: f.tokens, at: t };
    }
    this.buckets.set(caller, b);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true };
    }
    // a cost above the burst can never pass: `never` says so, with the burst it would need to fit
    if (cost > capacity) return { ok: false, retryAfterMs: Infinity, never: Math.floor(capacity) };
    return { ok: false, retryAfterMs: Math.ceil((cost - b.tokens) / ratePerMs) };
  }

  /** API keys (their hashes) that authenticated here, most recent last; bounded like the buckets. */
  private readonly verified = new Set<string>();

  /** An API key authenticated: its requests count against its own bucket from now on (see `callerOf`). */
  markVerified(keyHash: string): void {
    if (this.verified.has(keyHash)) return;
    if (this.verified.size >= this.maxCallers) this.verified.delete(this.verified.values().next().value as string);
    this.verified.add(keyHash);
  }

  /** Whether an API key has authenticated here (a made-up key never has). */
  isVerified(keyHash: string): boolean {
    return this.verified.has(keyHash);
  }

  /** The tokens `caller` has now (one not remembered: a new bucket's); negative while in debt. Complexity: O(1). */
  tokensOf(caller: string): number {
    const b = this.buckets.get(caller) ?? this.fresh;
    return Math.min(this.capacity, b.tokens + Math.max(0, this.now() - b.at) * this.ratePerMs);
  }

  get size(): number {
    return this.buckets.size;
  }
}
