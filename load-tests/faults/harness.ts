// What every fault shares: the run (its processes, marketplace and results), a booking storm
// with every request recorded, retries with the clients' idempotency keys, a new booking on each
// process afterwards, and the verdict on one fault (run-faults.ts, injections.ts).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { authHeaders, body, DOCS, REFUSAL_CODES, type Org } from '../lib/api';
import { runScenario, type ScenarioResult, type ScenarioSpec } from '../lib/engine';
import type { ApiProcess, PgCluster } from '../lib/processes';
import { registerClusters } from '../lib/setup';
import { checkSchema, type AckedBooking, type CheckResult } from '../check-invariants';
import { bookingStorm } from '../scenarios/booking-storm';

const H = 3600_000;

export const log = (m: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Options {
  short: boolean;
  replicas: number;
  rate: number;
  duration: number;
  portBase: number;
  build: boolean;
  keep: boolean;
  /** DB_STATEMENT_TIMEOUT_MS given to the API processes. */
  dbTimeoutMs: number;
  /** A subset of the faults: kill, pg, lock, round. */
  only?: string[];
}

/** One bookCompute request as the clients sent it, and what came back. */
export interface Sent {
  target: number;
  orgId: string;
  key: string;
  body: string;
  headers: Record<string, string>;
  start: number;
  end?: number;
  outcome?: 'ok' | 'refused' | 'error';
  code?: string;
  status?: number;
  id?: string;
  stack?: boolean;
}

/** When a fault was in effect: errors of `codes` overlapping [from, to] are the fault's, not bugs. */
export interface Window {
  kind: 'kill' | 'pg' | 'lock';
  target?: number;
  from: number;
  to: number;
  codes: Set<string>;
}

export interface FaultReport {
  fault: string;
  did: string[];
  requests: number;
  acknowledged: number;
  dropped: number;
  inFlightAtFault: number;
  retried: {
    acknowledged: number;
    sameBooking: number;
    failedRequests: number;
    nowBooked: number;
    cleanRefusal: number;
  };
  errorsByCode: Record<string, number>;
  /** SERVICE_UNAVAILABLE / TIMEOUT outside any fault window (overload). */
  refusalsOutsideFault: number;
  maxLatencyMs: number;
  maxLatencyInFaultMs: number;
  deadlineMs: number;
  health?: string;
  problems: string[];
  invariants: CheckResult[];
}

/**
 * The API's retryable refusals when the database is unreachable or slow. Outside a fault window
 * they mean the machine is overloaded (pool wait or statement past DB_STATEMENT_TIMEOUT_MS):
 * reported, and the request retried like any other, but not a failure.
 */
export const CLEAN_DB_CODES = new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']);

export const STACK_RE = /\bat [^\n]+\([^)]*:\d+:\d+\)|stacktrace|node_modules/;

/** Applies a fault's injections at offsets from the storm's start (`at`), logging with `t`; returns their windows. */
export type Inject = (at: (s: number) => Promise<void>, t: (ms?: number) => string) => Promise<Window[]>;

/** One fault run: its PostgreSQL cluster, API processes, marketplace and results so far. */
export interface FaultRun {
  o: Options;
  runId: string;
  outDir: string;
  /**
   * A request is hung past: two bounded pool waits (authentication, then the booking transaction)
   * and one statement that runs into the statement/lock timeout, plus one more timeout of slack
   * for a CPU-starved machine (the long run on a shared 2-core box measured up to 19 s).
   */
  deadlineMs: number;
  pg: PgCluster;
  /** PostgreSQL is stopped by the pg fault right now: cleanup starts it again */
  pgStopped: boolean;
  databaseUrl: string;
  schema: string;
  bureauKey: string;
  apis: ApiProcess[];
  targets: string[];
  operators: Org[];
  startups: Org[];
  orgByAuth: Map<string, string>;
  horizonStart: number;
  horizonHours: number;
  clusterSeq: number;
  acks: AckedBooking[];
  reports: FaultReport[];
  cleanup: () => Promise<void>;
}

/** Three clusters per fault, sized so that about two thirds of the storm's demand fits. */
export async function faultClusters(f: FaultRun): Promise<string[]> {
  const demand = f.o.rate * f.o.duration * 290;
  const capacityPflops = Math.max(100, Math.round((demand * 0.66) / 3 / f.horizonHours));
  const { ids } = await registerClusters(f.targets[0], f.operators, {
    names: [0, 1, 2].map(() => `faults-${f.clusterSeq++}`),
    region: () => 'Zhuhai',
    capacityPflops,
    horizonStart: f.horizonStart,
    horizonHours: f.horizonHours,
    green: [
      { fromHour: 2, toHour: 14, megawatts: (capacityPflops * 10 * 1.2) / 1000 / 3, source: 'SOLAR', pricePerMwh: 40 },
    ],
    gridShare: 0.8,
  });
  return ids;
}

/** The invariant checker on the whole schema with every acknowledged booking so far. */
export function check(f: FaultRun): Promise<CheckResult[]> {
  return checkSchema(f.databaseUrl, f.schema, f.acks);
}

/**
 * A booking storm with every request recorded (target, key, outcome, latency), while
 * `inject` applies faults at offsets from the storm's start and returns their windows.
 */
export async function storm(
  f: FaultRun,
  name: string,
  seed: number,
  inject: (at: (s: number) => Promise<void>) => Promise<Window[]>,
) {
  const { o, targets, startups, orgByAuth, horizonStart, horizonHours, deadlineMs } = f;
  const clusterIds = await faultClusters(f);
  const sent: Sent[] = [];
  const stormAcks: AckedBooking[] = [];
  const spec = bookingStorm({
    name,
    targets,
    // 32 outstanding per process, like a client's connection pool: a stalled database
    // makes starts drop (counted) rather than piling hundreds of requests onto each process.
    executor: { type: 'constant-arrival-rate', rate: o.rate, durationS: o.duration, maxInFlight: 32 * targets.length },
    startups,
    clusterIds,
    horizonStart,
    horizonHours,
    acks: stormAcks,
    thresholds: [],
    seed,
  });
  // The engine calls classify and then onResult for one response with nothing in between, so
  // the status seen by classify belongs to the next onResult.
  let lastStatus = 0;
  const wrapped: ScenarioSpec = {
    ...spec,
    classify: (op, status, json) => {
      lastStatus = status;
      return spec.classify(op, status, json);
    },
    next: (i) => {
      const req = spec.next(i);
      const s: Sent = {
        target: i % targets.length,
        orgId: orgByAuth.get(req.headers.authorization) ?? '',
        key: JSON.parse(req.body).variables.idempotencyKey,
        body: req.body,
        headers: req.headers,
        start: performance.now(),
      };
      sent.push(s);
      return {
        ...req,
        onResult: (json, c) => {
          s.end = performance.now();
          s.outcome = c.outcome;
          s.code = c.code;
          s.status = json === undefined ? (c.code?.startsWith('HTTP_') ? Number(c.code.slice(5)) : 0) : lastStatus;
          s.id = json?.data?.bookCompute?.id;
          s.stack = STACK_RE.test(json === undefined ? String(c.detail ?? '') : JSON.stringify(json.errors ?? ''));
          req.onResult?.(json, c);
        },
      };
    },
  };
  const start = performance.now();
  const at = async (sec: number) => {
    const wait = start + sec * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
  };
  // A request the engine would wait on for minutes: stop the run instead (fail, "hung").
  const watchdog = setInterval(() => {
    const now = performance.now();
    const stuck = sent.filter((s) => s.end === undefined && now - s.start > deadlineMs + 30_000);
    if (stuck.length) {
      console.error(
        `FAIL: ${stuck.length} request(s) hung for more than ${Math.round((deadlineMs + 30_000) / 1000)} s during "${name}"`,
      );
      void f.cleanup().finally(() => process.exit(1));
    }
  }, 1000);
  let result: ScenarioResult;
  let windows: Window[];
  try {
    [result, windows] = await Promise.all([runScenario(wrapped), inject(at)]);
  } finally {
    clearInterval(watchdog);
  }
  return { result, windows, sent, stormAcks };
}

/** Retries every acknowledged request and every failed one with the same idempotency key. */
export async function retryAll(f: FaultRun, sent: Sent[]) {
  const { targets, deadlineMs, acks } = f;
  const byKey = new Map<string, Sent[]>();
  for (const s of sent) {
    const k = `${s.orgId}\u0000${s.key}`;
    let g = byKey.get(k);
    if (!g) byKey.set(k, (g = []));
    g.push(s);
  }
  const r = { acknowledged: 0, sameBooking: 0, failedRequests: 0, nowBooked: 0, cleanRefusal: 0 };
  const problems: string[] = [];
  const jobs = [...byKey.values()].filter((g) => g.some((s) => s.outcome === 'ok' || s.outcome === 'error'));
  let next = 0;
  let rr = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const g = jobs[next++];
      const acked = g.find((s) => s.outcome === 'ok' && s.id);
      const first = g[0];
      let json: any;
      try {
        // A client backs off on the retryable codes; a busy machine may still shed a retry.
        for (let attempt = 1; ; attempt++) {
          const res = await request(`${targets[rr++ % targets.length]}/graphql`, {
            method: 'POST',
            headers: first.headers,
            body: first.body,
            headersTimeout: deadlineMs,
            bodyTimeout: deadlineMs,
          });
          json = JSON.parse(await res.body.text());
          if (attempt >= 3 || !CLEAN_DB_CODES.has(json?.errors?.[0]?.extensions?.code)) break;
          await sleep(500 * attempt);
        }
      } catch (e) {
        problems.push(`retry of ${first.key} failed: ${(e as Error).message}`);
        continue;
      }
      const id: string | undefined = json?.data?.bookCompute?.id;
      const code: string | undefined = json?.errors?.[0]?.extensions?.code;
      if (acked) {
        r.acknowledged++;
        if (id === acked.id) r.sameBooking++;
        else problems.push(`acknowledged booking ${acked.id} (key ${first.key}) came back as ${id ?? code}`);
      } else {
        r.failedRequests++;
        if (id) {
          r.nowBooked++;
          acks.push({ id, idempotencyKey: first.key, orgId: first.orgId });
        } else if (code && REFUSAL_CODES.has(code)) r.cleanRefusal++;
        else
          problems.push(
            `retry of failed request (key ${first.key}) answered ${code ?? JSON.stringify(json).slice(0, 120)}`,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { r, problems };
}

/** One fresh booking on each API process: 'ok' (acknowledged, then checked) or the error code. */
export async function probe(f: FaultRun, seed: number): Promise<string[]> {
  const { targets, startups, horizonStart, horizonHours, deadlineMs, acks } = f;
  const clusterIds = await faultClusters(f);
  return Promise.all(
    targets.map(async (base, i) => {
      const org = startups[(seed * 7 + i) % startups.length];
      const key = `probe-${seed}-${i}-${randomBytes(4).toString('hex')}`;
      const request_ = {
        pflops: 5,
        hours: 1,
        earliestStart: new Date(horizonStart).toISOString(),
        deadline: new Date(horizonStart + horizonHours * H).toISOString(),
        clusterIds,
      };
      try {
        const res = await request(`${base}/graphql`, {
          method: 'POST',
          headers: authHeaders(org.apiKey),
          body: body(DOCS.bookCompute, { request: request_, objective: 'EARLIEST', idempotencyKey: key }),
          headersTimeout: deadlineMs,
          bodyTimeout: deadlineMs,
        });
        const json = JSON.parse(await res.body.text());
        const id: string | undefined = json?.data?.bookCompute?.id;
        if (id) {
          acks.push({ id, idempotencyKey: key, orgId: org.id });
          return 'ok';
        }
        return String(json?.errors?.[0]?.extensions?.code ?? `HTTP_${res.statusCode}`);
      } catch (e) {
        return `NETWORK (${(e as Error).message})`;
      }
    }),
  );
}

/** Runs one fault: storm + injection, then classification, retries and the invariant checker. */
export async function runFault(
  f: FaultRun,
  label: string,
  seed: number,
  did: string[],
  inject: Inject,
  healthNote?: () => string,
): Promise<void> {
  const { o, targets, apis, deadlineMs, acks } = f;
  log(`fault "${label}": storm ${o.rate}/s for ${o.duration} s over ${targets.length} API processes`);
  let stormStart = 0;
  const t = (ms = performance.now()) => `t=${((ms - stormStart) / 1000).toFixed(1)}s`;
  const { result, windows, sent, stormAcks } = await storm(f, label, seed, (at) => {
    stormStart = performance.now();
    return inject(at, t);
  });
  acks.push(...stormAcks);
  const problems: string[] = [];
  const errorsByCode: Record<string, number> = {};
  let maxLatency = 0;
  let maxInFault = 0;
  let inFlightAtFault = 0;
  let refusalsOutsideFault = 0;
  for (const s of sent) {
    if (s.end === undefined) continue;
    const ms = s.end - s.start;
    maxLatency = Math.max(maxLatency, ms);
    const during = windows.some((w) => s.start <= w.to && s.end! >= w.from);
    if (during) maxInFault = Math.max(maxInFault, ms);
    if (windows.some((w) => s.start < w.from && s.end! >= w.from && (w.target === undefined || w.target === s.target)))
      inFlightAtFault++;
    if (ms > deadlineMs) problems.push(`request ${s.key} took ${Math.round(ms)} ms (deadline ${deadlineMs} ms)`);
    if (s.stack) problems.push(`stack trace in the answer to ${s.key}`);
    if ((s.status ?? 0) >= 500) problems.push(`HTTP ${s.status} for ${s.key} (${s.code})`);
    if (s.outcome !== 'error') continue;
    errorsByCode[s.code ?? '?'] = (errorsByCode[s.code ?? '?'] ?? 0) + 1;
    const expected = windows.some(
      (w) =>
        w.codes.has(s.code ?? '') &&
        s.start <= w.to &&
        s.end! >= w.from &&
        (w.target === undefined || w.target === s.target),
    );
    if (!expected && CLEAN_DB_CODES.has(s.code ?? '')) refusalsOutsideFault++;
    else if (!expected) problems.push(`unexpected ${s.code} at ${t(s.start)} on ${targets[s.target]}`);
  }
  // Recovered by itself: bookings answered after the last fault ended, and on every process.
  const lastEnd = Math.max(...windows.map((w) => w.to));
  const okAfter = sent.filter((s) => s.outcome === 'ok' && s.start > lastEnd).length;
  const refusedAfter = sent.filter((s) => s.outcome === 'refused' && s.start > lastEnd).length;
  did.push(`${okAfter} storm bookings confirmed and ${refusedAfter} refused after the fault ended`);
  const probes = await probe(f, seed);
  did.push(`after the storm, one new booking per API process: ${probes.join(', ')}`);
  for (const [i, p] of probes.entries())
    if (p !== 'ok' && !REFUSAL_CODES.has(p))
      problems.push(`${targets[i]} answered a new booking after the fault with ${p}`);
  for (const a of apis) problems.push(...a.unexpectedExits.splice(0));
  const retry = await retryAll(f, sent);
  problems.push(...retry.problems);
  const invariants = await check(f);
  if (!invariants.every((c) => c.ok)) problems.push('invariant checker failed');
  const rep: FaultReport = {
    fault: label,
    did,
    requests: sent.length,
    acknowledged: stormAcks.length,
    dropped: result.dropped,
    inFlightAtFault,
    retried: retry.r,
    errorsByCode,
    refusalsOutsideFault,
    maxLatencyMs: Math.round(maxLatency),
    maxLatencyInFaultMs: Math.round(maxInFault),
    deadlineMs,
    health: healthNote?.(),
    problems,
    invariants,
  };
  f.reports.push(rep);
  log(
    `fault "${label}": ${problems.length ? `${problems.length} problem(s)` : 'ok'}; invariants ${invariants.every((c) => c.ok) ? 'PASS' : 'FAIL'}`,
  );
  for (const p of problems.slice(0, 5)) log(`  ${p}`);
}
