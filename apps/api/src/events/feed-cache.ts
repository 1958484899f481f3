import type { ChangeFeed } from './change-feed.service';

/**
 * A per-process cache of database reads that change-feed messages invalidate. The one way the
 * API caches such reads (API keys, access rules, vouchers for quotes):
 * - entries are trusted only while the feed is live, and none is older than `ttlMs`;
 * - a read that overlapped an invalidation is not kept: it may have seen the row before the change;
 * - a writer calls `drop` as soon as its transaction commits, so its own process reads its
 *   writes at once instead of when its own notification comes back (other processes drop the
 *   entry as the feed delivers it).
 */
export class FeedCache<V> {
  private readonly entries = new Map<string, { v: V; at: number }>();
  /** bumped by every drop and clear: a read that started before one is not kept */
  private drops = 0;

  constructor(
    private readonly feed: ChangeFeed | undefined,
    private readonly ttlMs: number,
    private readonly max = 100_000,
  ) {
    feed?.onResync(() => this.clear());
  }

  /** The cached value of `key`, or `read()`'s (kept when `keep` allows: by default always). */
  async get(key: string, read: () => Promise<V>, keep: (v: V) => boolean = () => true): Promise<V> {
    const now = Date.now();
    if (this.feed?.live) {
      const hit = this.entries.get(key);
      if (hit && now - hit.at < this.ttlMs) return hit.v;
    }
    const drops = this.drops;
    const v = await read();
    if (this.feed?.live && drops === this.drops && keep(v)) {
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, { v, at: now });
    }
    return v;
  }

  drop(key: string): void {
    this.drops++;
    this.entries.delete(key);
  }

  clear(): void {
    this.drops++;
    this.entries.clear();
  }
}
