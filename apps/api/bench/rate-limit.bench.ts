/**
 * Cost of the per-key rate limit per request: `npx tsx apps/api/bench/rate-limit.bench.ts`.
 * Compares the check of the shared limit (this replica's share of RATE_LIMIT_PER_MINUTE, kept
 * current from the replicas' announcements) with the per-process bucket it replaced (copied below
 * as it was), on one hot key and on 10,000 keys, and times the parts around it: the caller's key
 * hash that both pay, and re-sharing the buckets when the replica count changes. Prints a
 * markdown table of ns per operation (median of 7 rounds). Single-threaded; run it on an idle core.
 */
import { cpus } from 'node:os';
import { keyHashOf } from '../src/security/rate-limit.plugin';
import { TokenBucketLimiter } from '../src/security/rate-limiter';

/** The per-process bucket before the limit was shared across replicas (commit 0b10d14), for comparison. */
class OldTokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxCallers = 50_000,
  ) {}
  take(caller: string, cost = 1): { ok: true } | { ok: false; retryAfterMs: number } {
    const t = this.now();
    const ratePerMs = this.perMinute / 60_000;
    let b = this.buckets.get(caller);
    if (b) {
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
    return { ok: false, retryAfterMs: Math.ceil((Math.min(cost, this.perMinute) - b.tokens) / ratePerMs) };
  }
}

type Limiter = { take(caller: string, cost?: number): { ok: boolean } };

const ROUNDS = 7;
// large enough that no key runs dry during the run: every call takes the admitting path
const PER_MINUTE = 100_000_000;
const KEYS = Array.from({ length: 10_000 }, (_, i) => 'key:' + i.toString(16).padStart(64, '0'));

let sink = 0;

/** Median ns per call of `fn(i)` over ROUNDS rounds of `n` calls. */
function nsPerOp(n: number, fn: (i: number) => void): number {
  for (let i = 0; i < n; i++) fn(i);
  const per: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    per.push(Number(process.hrtime.bigint() - t0) / n);
  }
  per.sort((a, b) => a - b);
  return per[ROUNDS >> 1];
}

function takeBench(l: Limiter, keys: readonly string[]): number {
  const m = keys.length;
  return nsPerOp(400_000, (i) => {
    if (l.take(keys[i % m]).ok) sink++;
  });
}

const rows: [string, number][] = [];
const hot = [KEYS[0]];
const shared = (replicas: number) => {
  const l = new TokenBucketLimiter(PER_MINUTE);
  l.setReplicas(replicas);
  return l;
};
rows.push(['old per-process bucket, one hot key', takeBench(new OldTokenBucketLimiter(PER_MINUTE), hot)]);
rows.push(['shared limit, 1 replica, one hot key', takeBench(shared(1), hot)]);
rows.push(['shared limit, 3 replicas, one hot key', takeBench(shared(3), hot)]);
rows.push(['old per-process bucket, 10,000 keys', takeBench(new OldTokenBucketLimiter(PER_MINUTE), KEYS)]);
rows.push(['shared limit, 3 replicas, 10,000 keys', takeBench(shared(3), KEYS)]);

const req = { headers: { authorization: 'Bearer pflex_' + 'a'.repeat(43) } };
rows.push([
  'caller of a request (SHA-256 of the key; both pay it)',
  nsPerOp(200_000, () => (sink += keyHashOf(req)!.length)),
]);

// a replica joining or leaving re-shares every remembered bucket once
const full = new TokenBucketLimiter(PER_MINUTE);
for (let i = 0; i < 50_000; i++) full.take('key:' + i);
let n = 1;
const reshare = nsPerOp(20, () => full.setReplicas((n = (n % 4) + 1)));
rows.push(['re-share on a replica count change, 50,000 callers remembered', reshare]);

const cpu = cpus()[0];
console.log(
  `rate limit bench, ${new Date().toISOString().slice(0, 10)}, ${cpu.model} (${cpus().length} cores), Node ${process.version}\n`,
);
console.log('| operation | ns/op |');
console.log('| --- | ---: |');
for (const [what, ns] of rows)
  console.log(`| ${what} | ${ns >= 10_000 ? (ns / 1e6).toFixed(2) + ' ms' : ns.toFixed(0)} |`);
if (sink < 0) console.log(sink);
