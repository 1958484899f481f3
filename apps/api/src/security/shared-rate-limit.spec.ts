import fc from 'fast-check';
import { TokenBucketLimiter } from './rate-limiter';
import { HEARTBEAT_MS, PEER_EXPIRY_MS, ReplicaSet } from './replica-set';

/**
 * Several replicas on one fake clock, each with its limiter and replica set, announcing themselves
 * on a bus that delivers at once (as RateLimitPresence does over the change feed): hello on start
 * (peers reply with a heartbeat), a heartbeat every HEARTBEAT_MS with expiry, bye on a clean stop.
 */
class Cluster {
  now = 0;
  private nextId = 0;
  private lastBeat = 0;
  readonly up = new Map<string, { set: ReplicaSet; limiter: TokenBucketLimiter }>();
  /** replicas that serve but whose heartbeats do not arrive (a blocked event loop, a listener down) */
  readonly silent = new Set<string>();
  /** every admitted request: key, time and cost */
  readonly admitted: { key: string; at: number; cost: number }[] = [];
  /** tokens a join added to what the replicas together hold, per key: the tolerance of a join */
  readonly joins: { key: string; at: number; share: number }[] = [];
  static readonly KEYS = ['k', 'k0', 'k1', 'x', 'y', 'other'];

  constructor(readonly perMinute: number) {}

  start(): string {
    const id = `r${this.nextId++}`;
    const held = () =>
      Cluster.KEYS.map((k) => [...this.up.values()].reduce((sum, r) => sum + Math.max(0, r.limiter.tokensOf(k)), 0));
    // with debts: a join hands over exactly what the newcomer starts with, except debt forgiven
    const owed = () =>
      Cluster.KEYS.map((k) => [...this.up.values()].reduce((sum, r) => sum + r.limiter.tokensOf(k), 0));
    const first = this.up.size === 0;
    const before = held();
    const owedBefore = owed();
    const limiter = new TokenBucketLimiter(this.perMinute, () => this.now);
    this.up.set(id, { limiter, set: new ReplicaSet((n, newcomer) => limiter.setReplicas(n, newcomer)) });
    this.send(id, 'hello');
    const after = held();
    const owedAfter = owed();
    Cluster.KEYS.forEach((key, i) => {
      const added = after[i] - before[i];
      const forgiven = Math.max(0, owedAfter[i] - owedBefore[i]);
      if (!first && added + forgiven > 1e-9) {
        // never more than the newcomer's own share, and never more than two shares of debt forgiven
        // (each other replica keeps at most one new share of debt, from at most one old share)
        expect(added).toBeLessThanOrEqual(this.perMinute / limiter.replicas + 1e-9);
        expect(forgiven).toBeLessThanOrEqual((2 * this.perMinute) / limiter.replicas + 1e-9);
        this.joins.push({ key, at: this.now, share: added + forgiven });
      }
    });
    return id;
  }

  stop(id: string): void {
    this.up.delete(id);
    this.send(id, 'bye');
  }

  crash(id: string): void {
    this.up.delete(id);
  }

  /** Advances the clock; every HEARTBEAT_MS each replica expires silent peers, then beats. */
  advance(ms: number): void {
    const end = this.now + ms;
    while (this.lastBeat + HEARTBEAT_MS <= end) {
      this.now = this.lastBeat += HEARTBEAT_MS;
      for (const [id, r] of [...this.up]) {
        r.set.expire(this.now);
        if (!this.silent.has(id)) this.send(id, 'hb');
      }
    }
    this.now = end;
  }

  take(id: string, key: string, cost = 1): boolean {
    const r = this.up.get(id)!.limiter.take(key, cost);
    if (r.ok) this.admitted.push({ key, at: this.now, cost });
    return r.ok;
  }

  private send(from: string, p: 'hello' | 'hb' | 'bye'): void {
    for (const [id, r] of [...this.up]) {
      if (id === from) continue;
      if (p === 'bye') r.set.gone(from);
      else {
        r.set.seen(from, this.now);
        if (p === 'hello') this.send(id, 'hb');
      }
    }
  }
}

/**
 * The replicas together admitted nothing that one token bucket of the whole limit (full at the
 * start, refilled at perMinute per 60 s) would have refused, except what joins added: a replica
 * joining others starts full without knowing what their callers spent, and the others' hand-over
 * covers that only where they still had the tokens (at most the newcomer's share per key and
 * join). The reference bucket gets those tokens at each join, beyond its cap, until spent.
 */
function fitsOneBucket(
  admitted: { at: number; cost: number }[],
  perMinute: number,
  joins: { at: number; share: number }[] = [],
): { ok: boolean; worst: number } {
  let tokens = perMinute;
  let at = 0;
  let worst = Infinity;
  const events = [...joins.map((j) => ({ at: j.at, cost: -j.share })), ...admitted].sort(
    (x, y) => x.at - y.at || x.cost - y.cost,
  );
  for (const e of events) {
    // refill up to the cap, never down to it
    tokens = Math.max(tokens, Math.min(perMinute, tokens + (e.at - at) * (perMinute / 60_000)));
    at = e.at;
    tokens -= e.cost;
    worst = Math.min(worst, tokens);
  }
  return { ok: worst > -1e-6, worst };
}

describe('the rate limit shared across replicas', () => {
  it('splits the burst and the refill evenly, and says when the next token of this share comes', () => {
    const c = new Cluster(60);
    const [a, b, d] = [c.start(), c.start(), c.start()];
    for (const id of [a, b, d]) {
      for (let i = 0; i < 20; i++) expect(c.take(id, 'k')).toBe(true);
      expect(c.take(id, 'k')).toBe(false);
    }
    // a third of 1/s: one token every 3 s on each replica
    expect(c.up.get(a)!.limiter.take('k')).toEqual({ ok: false, retryAfterMs: 3_000 });
    c.advance(3_000);
    expect([c.take(a, 'k'), c.take(a, 'k')]).toEqual([true, false]);
  });

  it("hands a newcomer its share out of the running replicas' buckets as soon as it says hello", () => {
    const c = new Cluster(60);
    const a = c.start();
    for (let i = 0; i < 10; i++) expect(c.take(a, 'k')).toBe(true);
    const b = c.start();
    expect(c.up.get(a)!.limiter.replicas).toBe(2);
    expect(c.up.get(b)!.limiter.replicas).toBe(2);
    // a gives up 60 - 30 of its 50 left; b starts with its full share of 30, for any key
    const drain = (id: string, key = 'k') => {
      let n = 0;
      while (c.take(id, key)) n++;
      return n;
    };
    expect([drain(a), drain(b), drain(b, 'other')]).toEqual([20, 30, 30]);
    // both refill at 30 per minute
    c.advance(60_000);
    expect([drain(a), drain(b), drain(b, 'other')]).toEqual([30, 30, 30]);
    expect(c.joins).toEqual([]);
    expect(
      fitsOneBucket(
        c.admitted.filter((x) => x.key === 'k'),
        60,
      ),
    ).toMatchObject({ ok: true, worst: 0 });
  });

  it('puts a replica that had spent its share into debt when another joins, until it has refilled', () => {
    const c = new Cluster(60);
    const a = c.start();
    for (let i = 0; i < 60; i++) expect(c.take(a, 'k')).toBe(true);
    const b = c.start();
    // a owes 30 tokens, refilled at 30 per minute: nothing for a minute, then one every 2 s
    expect(c.up.get(a)!.limiter.take('k')).toEqual({ ok: false, retryAfterMs: 62_000 });
    expect(c.take(b, 'k')).toBe(true);
    c.advance(62_000);
    expect([c.take(a, 'k'), c.take(a, 'k')]).toEqual([true, false]);
    // b's first token is the join's tolerance: a had none left to hand over
    expect(c.joins).toEqual([{ key: 'k', at: 0, share: 30 }]);
    expect(fitsOneBucket(c.admitted, 60)).toMatchObject({ ok: false, worst: -1 });
    expect(fitsOneBucket(c.admitted, 60, c.joins).ok).toBe(true);
  });

  it('keeps a key at most one share in debt when a replica restarts again and again (a crash loop): refused for a minute at most', () => {
    const c = new Cluster(60);
    const a = c.start();
    for (let i = 0; i < 60; i++) expect(c.take(a, 'k')).toBe(true);
    // three restarts of a replica that crashes each time, 9 s apart (found with two processes:
    // every key, a new one too, was refused for 80 s and more on the survivor)
    for (let i = 0; i < 3; i++) {
      c.crash(c.start());
      c.advance(9_000);
    }
    const la = c.up.get(a)!.limiter;
    expect(la.replicas).toBe(1);
    for (const key of ['k', 'never-seen']) expect(la.tokensOf(key)).toBeGreaterThanOrEqual(-30);
    c.advance(60_000);
    expect([c.take(a, 'k'), c.take(a, 'never-seen')]).toEqual([true, true]);
    expect(fitsOneBucket(c.admitted, 60, c.joins).ok).toBe(true);
  });

  it('gives a replica left alone the full limit once the others are gone (goodbye or silence)', () => {
    const c = new Cluster(60);
    const [a, b, d] = [c.start(), c.start(), c.start()];
    c.stop(b);
    expect(c.up.get(a)!.limiter.replicas).toBe(2);
    c.crash(d);
    c.advance(PEER_EXPIRY_MS - 1_000);
    expect(c.up.get(a)!.limiter.replicas).toBe(2);
    c.advance(1_000 + HEARTBEAT_MS);
    expect(c.up.get(a)!.limiter.replicas).toBe(1);
    c.advance(60_000);
    for (let i = 0; i < 60; i++) expect(c.take(a, 'k')).toBe(true);
    expect(c.up.get(a)!.limiter.take('k')).toEqual({ ok: false, retryAfterMs: 1_000 });
  });

  it('takes no tokens again for a replica heard again after a silence: it kept its own share', () => {
    const c = new Cluster(60);
    const [a, b] = [c.start(), c.start()];
    // b's heartbeats stop arriving five times for longer than the expiry, while b keeps serving
    for (let i = 0; i < 5; i++) {
      c.silent.add(b);
      c.advance(PEER_EXPIRY_MS + 2 * HEARTBEAT_MS);
      expect(c.up.get(a)!.limiter.replicas).toBe(1);
      c.silent.delete(b);
      c.advance(HEARTBEAT_MS);
      expect(c.up.get(a)!.limiter.replicas).toBe(2);
    }
    // a never went into debt: a key no one has called still gets a's whole share at once
    expect(c.up.get(a)!.limiter.tokensOf('fresh')).toBeCloseTo(30, 6);
    for (let i = 0; i < 30; i++) expect(c.take(a, 'fresh')).toBe(true);
    expect(c.take(a, 'fresh')).toBe(false);
  });

  it('keeps keys apart on every replica', () => {
    const c = new Cluster(4);
    const [a, b] = [c.start(), c.start()];
    expect([c.take(a, 'x'), c.take(a, 'x'), c.take(a, 'x')]).toEqual([true, true, false]);
    expect([c.take(a, 'y'), c.take(b, 'x'), c.take(b, 'x'), c.take(b, 'x')]).toEqual([true, true, true, false]);
  });

  it('never admits more across replicas than one bucket of the limit would, whatever joins, leaves, crashes and calls', () => {
    type Step =
      | { op: 'take'; replica: number; key: number; cost: number }
      | { op: 'drain'; replica: number; key: number }
      | { op: 'advance'; ms: number }
      | { op: 'start' }
      | { op: 'stop' | 'crash'; replica: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      {
        weight: 12,
        arbitrary: fc.record({
          op: fc.constant('take' as const),
          replica: fc.nat(7),
          key: fc.nat(1),
          cost: fc.integer({ min: 1, max: 4 }),
        }),
      },
      { weight: 4, arbitrary: fc.record({ op: fc.constant('drain' as const), replica: fc.nat(7), key: fc.nat(1) }) },
      {
        weight: 4,
        arbitrary: fc.record({
          op: fc.constant('advance' as const),
          ms: fc.oneof(
            fc.integer({ min: 1, max: 2_000 }),
            fc.integer({ min: 2_000, max: 70_000 }),
            fc.constantFrom(15_000, 30_000),
          ),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('start' as const) }) },
      {
        weight: 1,
        arbitrary: fc.record({ op: fc.constantFrom('stop' as const, 'crash' as const), replica: fc.nat(7) }),
      },
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 240 })),
        fc.integer({ min: 1, max: 4 }),
        fc.array(step, { minLength: 10, maxLength: 200, size: 'max' }),
        (perMinute, replicas, steps) => {
          const c = new Cluster(perMinute);
          for (let i = 0; i < replicas; i++) c.start();
          for (const s of steps) {
            const ids = [...c.up.keys()];
            if (s.op === 'advance') c.advance(s.ms);
            else if (s.op === 'start') c.start();
            else if (ids.length === 0) continue;
            else if (s.op === 'take') c.take(ids[s.replica % ids.length], `k${s.key}`, s.cost);
            else if (s.op === 'drain')
              for (let i = 0; i < 500 && c.take(ids[s.replica % ids.length], `k${s.key}`); i++);
            else if (ids.length > 1) {
              if (s.op === 'stop') c.stop(ids[s.replica % ids.length]);
              else c.crash(ids[s.replica % ids.length]);
            }
          }
          for (const key of ['k0', 'k1']) {
            const verdict = fitsOneBucket(
              c.admitted.filter((a) => a.key === key),
              perMinute,
              c.joins.filter((j) => j.key === key),
            );
            if (!verdict.ok) throw new Error(`${key}: over the limit by ${-verdict.worst} tokens`);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
