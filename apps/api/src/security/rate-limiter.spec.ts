import { TokenBucketLimiter } from './rate-limiter';

describe('TokenBucketLimiter', () => {
  it('allows a burst of perMinute, then refuses with the wait until the next token', () => {
    let now = 1_000_000;
    const l = new TokenBucketLimiter(6, () => now);
    for (let i = 0; i < 6; i++) expect(l.take('a')).toEqual({ ok: true });
    expect(l.take('a')).toEqual({ ok: false, retryAfterMs: 10_000 });
    now += 4_000;
    expect(l.take('a')).toEqual({ ok: false, retryAfterMs: 6_000 });
    now += 6_000;
    expect(l.take('a')).toEqual({ ok: true });
    expect(l.take('a')).toEqual({ ok: false, retryAfterMs: 10_000 });
  });

  it('keeps callers apart and refills to at most perMinute', () => {
    let now = 0;
    const l = new TokenBucketLimiter(2, () => now);
    expect(l.take('a').ok).toBe(true);
    expect(l.take('a').ok).toBe(true);
    expect(l.take('a').ok).toBe(false);
    expect(l.take('b').ok).toBe(true);
    now += 3_600_000;
    expect([l.take('a').ok, l.take('a').ok, l.take('a').ok]).toEqual([true, true, false]);
  });

  it('forgets the least recently used caller beyond maxCallers', () => {
    const l = new TokenBucketLimiter(1, () => 0, 2);
    l.take('a');
    l.take('b');
    l.take('a');
    l.take('c');
    expect(l.size).toBe(2);
    // 'a' was kept (still empty), 'b' was dropped (a fresh bucket)
    expect(l.take('a').ok).toBe(false);
    expect(l.take('b').ok).toBe(true);
  });

  it('charges a cost of several tokens at once', () => {
    const now = 0;
    const l = new TokenBucketLimiter(60, () => now);
    expect(l.take('a', 50)).toEqual({ ok: true });
    expect(l.take('a', 20)).toEqual({ ok: false, retryAfterMs: 10_000 });
    expect(l.take('a', 10)).toEqual({ ok: true });
    // more than the whole burst can never pass: no wait would help
    expect(l.take('a', 100)).toEqual({ ok: false, retryAfterMs: Infinity, never: 60 });
  });

  it('rejects a non-positive or fractional limit', () => {
    expect(() => new TokenBucketLimiter(0)).toThrow(/positive integer/);
    expect(() => new TokenBucketLimiter(1.5)).toThrow(/positive integer/);
  });
});
