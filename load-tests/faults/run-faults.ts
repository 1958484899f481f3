// npm run faults:short   (CI: 2 API processes, one fault of each kind, about a minute and a half)
// npm run faults         (on demand: 3 API processes, 3 kills, 2 PostgreSQL restarts, 2 lock stalls, a killed clearing)
// Options: --replicas N, --rate R (storm requests/s), --duration S (per fault), --port-base P (3201),
//          --db-timeout MS (the API's DB_STATEMENT_TIMEOUT_MS, 5000), --only kill,pg,lock,round, --no-build,
//          --keep (keep the schema); --help lists them.
//
// Faults injected during a booking storm (load-tests/scenarios/booking-storm.ts) against N API
// processes on one PostgreSQL: kill -9 of an API process then restart, a PostgreSQL restart, and
// a lock held by another session; and, without a storm, kill -9 of the process clearing a round
// (load-tests/faults/round-fault.ts: the round untouched or fully cleared, then cleared once). After each: every acknowledged booking and every request that
// failed during the fault is retried with its idempotency key, and the invariant checker
// (load-tests/check-invariants.ts) runs. PostgreSQL is a cluster of its own ("faults" on port 5440,
// created if missing; FAULTS_PG_CLUSTER / FAULTS_PG_PORT to change), so restarting it disturbs no
// other test on the machine. Exit 1 on any lost or duplicated booking, invariant failure, HTTP 5xx
// or stack trace, error outside the fault's documented codes, or request slower than the deadline.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { request } from 'undici';
import { authHeaders, body, DOCS, REFUSAL_CODES, type Org } from '../lib/api';
import { readOptions, type OptionDef } from '../lib/cli';
import { runScenario, type ScenarioResult, type ScenarioSpec } from '../lib/engine';
import { ApiProcess, apiEnv, buildApi, dropSchema, freePorts, health, newRunId, PgCluster, startAll } from '../lib/processes';
import { table } from '../lib/report';
import { createOrganizations, horizonStartFromNow, issueVouchers, registerClusters } from '../lib/setup';
import { checkSchema, formatReport, type AckedBooking, type CheckResult } from '../check-invariants';
import { bookingStorm } from '../scenarios/booking-storm';
import { killDuringClearing } from './round-fault';

const ROOT = join(__dirname, '..', '..');
const H = 3600_000;

const OPTIONS = {
  short: { kind: 'flag', help: 'CI size: 2 API processes, one fault of each kind, 10 s storms' },
  replicas: { kind: 'integer', min: 2, arg: 'N', help: 'API processes (default 3; 2 with --short)' },
  rate: { kind: 'number', min: 1, arg: 'R', help: 'storm requests/s (default 50; 80 with --short)' },
  duration: { kind: 'number', min: 5, arg: 'S', help: 'seconds of storm per fault (default 40; 10 with --short)' },
  'port-base': { kind: 'integer', min: 1024, arg: 'P', help: 'first port to try (default 3201)' },
  'db-timeout': { kind: 'integer', min: 100, arg: 'MS', help: "the API's DB_STATEMENT_TIMEOUT_MS (default 5000)" },
  only: { kind: 'list', arg: 'a,b', help: 'a subset of the faults: kill, pg, lock, round' },
  'no-build': { kind: 'flag', help: 'reuse dist/ instead of npm run build' },
  keep: { kind: 'flag', help: 'keep the schema' },
} satisfies Record<string, OptionDef>;

interface Options {
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

function parseOptions(argv: string[]): Options {
  const a = readOptions(argv, OPTIONS, 'npm run faults [-- options]   (npm run faults:short: the CI size; FAULTS_PG_CLUSTER / FAULTS_PG_PORT choose the PostgreSQL cluster)');
  const short = a.short ?? false;
  return {
    short,
    replicas: a.replicas ?? (short ? 2 : 3),
    rate: a.rate ?? (short ? 80 : 50),
    duration: a.duration ?? (short ? 10 : 40),
    portBase: a['port-base'] ?? 3201,
    build: !a['no-build'],
    keep: a.keep ?? false,
    dbTimeoutMs: a['db-timeout'] ?? 5000,
    ...(a.only !== undefined && { only: a.only }),
  };
}

const t00 = performance.now();
const log = (m: string) => process.stderr.write(`[faults ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** One bookCompute request as the clients sent it, and what came back. */
interface Sent {
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
interface Window {
  kind: 'kill' | 'pg' | 'lock';
  target?: number;
  from: number;
  to: number;
  codes: Set<string>;
}

interface FaultReport {
  fault: string;
  did: string[];
  requests: number;
  acknowledged: number;
  dropped: number;
  inFlightAtFault: number;
  retried: { acknowledged: number; sameBooking: number; failedRequests: number; nowBooked: number; cleanRefusal: number };
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
const CLEAN_DB_CODES = new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']);

const STACK_RE = /\bat [^\n]+\([^)]*:\d+:\d+\)|stacktrace|node_modules/;


/** Applies a fault's injections at offsets from the storm's start (`at`), logging with `t`; returns their windows. */
type Inject = (at: (s: number) => Promise<void>, t: (ms?: number) => string) => Promise<Window[]>;

/** One fault run: its PostgreSQL cluster, API processes, marketplace and results so far. */
interface FaultRun {
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

/** The PostgreSQL cluster of its own, the build and the API processes (not started yet). */
async function prepare(o: Options): Promise<FaultRun> {
  const runId = newRunId();
  const outDir = join(ROOT, 'load-tests', 'results', `faults-${runId}`);
  mkdirSync(outDir, { recursive: true });
  const pg = new PgCluster(process.env.FAULTS_PG_VERSION ?? '15', process.env.FAULTS_PG_CLUSTER ?? 'faults', Number(process.env.FAULTS_PG_PORT ?? 5440));
  log(`PostgreSQL cluster ${pg.version}/${pg.name} on port ${pg.port} (its own: restarting it disturbs no other test)`);
  await pg.ensure();
  const databaseUrl = await pg.up(ROOT, 'pflex_faults');
  const schema = `faults_${runId.replace('-', '_')}`;
  const bureauKey = `faults-bureau-${randomBytes(16).toString('hex')}`;
  const mainJs = buildApi(ROOT, o.build, log);
  // storms drive a few keys far beyond a client's fair share; rate limiting has its own tests
  const env = apiEnv({ databaseUrl, schema, bureauKey }, { DB_POOL_SIZE: '16', RATE_LIMIT_PER_MINUTE: '0', DB_STATEMENT_TIMEOUT_MS: String(o.dbTimeoutMs) });
  const ports = await freePorts(o.portBase, o.replicas);
  const apis = ports.map((p) => new ApiProcess(p, mainJs, env, join(outDir, `api-${p}.log`), ROOT));
  const f: FaultRun = {
    o,
    runId,
    outDir,
    deadlineMs: 4 * o.dbTimeoutMs,
    pg,
    pgStopped: false,
    databaseUrl,
    schema,
    bureauKey,
    apis,
    targets: apis.map((a) => a.base),
    operators: [],
    startups: [],
    orgByAuth: new Map(),
    horizonStart: 0,
    horizonHours: 72,
    clusterSeq: 0,
    acks: [],
    reports: [],
    cleanup: async () => {
      if (f.pgStopped) await pg.start().catch(() => undefined);
      await Promise.all(apis.map((a) => a.stop()));
    },
  };
  return f;
}

/** Operators, startups and vouchers through the API. */
async function setupMarketplace(f: FaultRun): Promise<void> {
  const orgs = await createOrganizations(f.targets, f.bureauKey, 'faults', { operators: 2, startups: f.o.short ? 60 : 150 });
  f.operators = orgs.operators;
  f.startups = orgs.startups;
  f.orgByAuth = new Map(f.startups.map((s) => [`Bearer ${s.apiKey}`, s.id]));
  f.horizonStart = horizonStartFromNow();
  const vouchers = await issueVouchers(f.targets[0], f.bureauKey, f.startups, f.horizonStart);
  log(`setup: ${f.startups.length} startups, ${vouchers} vouchers`);
}

/** Three clusters per fault, sized so that about two thirds of the storm's demand fits. */
async function faultClusters(f: FaultRun): Promise<string[]> {
  const demand = f.o.rate * f.o.duration * 290;
  const capacityPflops = Math.max(100, Math.round((demand * 0.66) / 3 / f.horizonHours));
  const { ids } = await registerClusters(f.targets[0], f.operators, {
    names: [0, 1, 2].map(() => `faults-${f.clusterSeq++}`),
    region: () => 'Zhuhai',
    capacityPflops,
    horizonStart: f.horizonStart,
    horizonHours: f.horizonHours,
    green: [{ fromHour: 2, toHour: 14, megawatts: (capacityPflops * 10 * 1.2) / 1000 / 3, source: 'SOLAR', pricePerMwh: 40 }],
  });
  return ids;
}

/** The invariant checker on the whole schema with every acknowledged booking so far. */
function check(f: FaultRun): Promise<CheckResult[]> {
  return checkSchema(f.databaseUrl, f.schema, f.acks);
}

/**
 * A booking storm with every request recorded (target, key, outcome, latency), while
 * `inject` applies faults at offsets from the storm's start and returns their windows.
 */
async function storm(f: FaultRun, name: string, seed: number, inject: (at: (s: number) => Promise<void>) => Promise<Window[]>) {
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
      const s: Sent = { target: i % targets.length, orgId: orgByAuth.get(req.headers.authorization) ?? '', key: JSON.parse(req.body).variables.idempotencyKey, body: req.body, headers: req.headers, start: performance.now() };
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
      console.error(`FAIL: ${stuck.length} request(s) hung for more than ${Math.round((deadlineMs + 30_000) / 1000)} s during "${name}"`);
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
async function retryAll(f: FaultRun, sent: Sent[]) {
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
          const res = await request(`${targets[rr++ % targets.length]}/graphql`, { method: 'POST', headers: first.headers, body: first.body, headersTimeout: deadlineMs, bodyTimeout: deadlineMs });
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
        else problems.push(`retry of failed request (key ${first.key}) answered ${code ?? JSON.stringify(json).slice(0, 120)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { r, problems };
}

/** One fresh booking on each API process: 'ok' (acknowledged, then checked) or the error code. */
async function probe(f: FaultRun, seed: number): Promise<string[]> {
  const { targets, startups, horizonStart, horizonHours, deadlineMs, acks } = f;
  const clusterIds = await faultClusters(f);
  return Promise.all(
    targets.map(async (base, i) => {
      const org = startups[(seed * 7 + i) % startups.length];
      const key = `probe-${seed}-${i}-${randomBytes(4).toString('hex')}`;
      const request_ = { pflops: 5, hours: 1, earliestStart: new Date(horizonStart).toISOString(), deadline: new Date(horizonStart + horizonHours * H).toISOString(), clusterIds };
      try {
        const res = await request(`${base}/graphql`, { method: 'POST', headers: authHeaders(org.apiKey), body: body(DOCS.bookCompute, { request: request_, objective: 'EARLIEST', idempotencyKey: key }), headersTimeout: deadlineMs, bodyTimeout: deadlineMs });
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
async function runFault(f: FaultRun, label: string, seed: number, did: string[], inject: Inject, healthNote?: () => string): Promise<void> {
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
    if (windows.some((w) => s.start < w.from && s.end! >= w.from && (w.target === undefined || w.target === s.target))) inFlightAtFault++;
    if (ms > deadlineMs) problems.push(`request ${s.key} took ${Math.round(ms)} ms (deadline ${deadlineMs} ms)`);
    if (s.stack) problems.push(`stack trace in the answer to ${s.key}`);
    if ((s.status ?? 0) >= 500) problems.push(`HTTP ${s.status} for ${s.key} (${s.code})`);
    if (s.outcome !== 'error') continue;
    errorsByCode[s.code ?? '?'] = (errorsByCode[s.code ?? '?'] ?? 0) + 1;
    const expected = windows.some((w) => w.codes.has(s.code ?? '') && s.start <= w.to && s.end! >= w.from && (w.target === undefined || w.target === s.target));
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
  for (const [i, p] of probes.entries()) if (p !== 'ok' && !REFUSAL_CODES.has(p)) problems.push(`${targets[i]} answered a new booking after the fault with ${p}`);
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
  log(`fault "${label}": ${problems.length ? `${problems.length} problem(s)` : 'ok'}; invariants ${invariants.every((c) => c.ok) ? 'PASS' : 'FAIL'}`);
  for (const p of problems.slice(0, 5)) log(`  ${p}`);
}

/** 1. kill -9 API processes mid-storm, restart them. */
async function faultKill(f: FaultRun): Promise<void> {
  const { o, apis } = f;
  const kills = o.short ? [0.3] : [0.15, 0.45, 0.75];
  const downMs = o.short ? 1000 : 3000;
  const killDid: string[] = [];
  await runFault(f, `kill -9 API x${kills.length}`, 11, killDid, async (at, t) => {
    const windows: Window[] = [];
    for (let k = 0; k < kills.length; k++) {
      await at(kills[k] * o.duration);
      const victim = (k + 1) % apis.length;
      const a = apis[victim];
      const from = performance.now();
      const pid = a.pid;
      await a.kill9();
      killDid.push(`${t(from)} kill -9 pid ${pid} (port ${a.port})`);
      await sleep(downMs);
      const r0 = performance.now();
      await a.start();
      killDid.push(`${t(r0)} restarted on port ${a.port} (pid ${a.pid}), /health 200 after ${((performance.now() - r0) / 1000).toFixed(1)} s`);
      // Requests to the dead process fail to connect: the client's network error, nothing else.
      windows.push({ kind: 'kill', target: victim, from, to: performance.now() + 500, codes: new Set(['NETWORK']) });
    }
    return windows;
  });
}

/** 2. PostgreSQL restart mid-storm; every process must answer /health 503 while it is down, 200 after. */
async function faultPg(f: FaultRun): Promise<void> {
  const { o, pg, targets, deadlineMs } = f;
  const outages = o.short ? [{ at: 0.3, ms: 3000 }] : [{ at: 0.2, ms: 10_000 }, { at: 0.7, ms: 3000 }];
  const pgDid: string[] = [];
  const healthSeen = { polls: 0, s503: 0, other: 0, maxMs: 0, noAnswer: 0, recoveredMs: [] as number[] };
  const missing503: string[] = [];
  await runFault(f, `PostgreSQL restart x${outages.length}`, 12, pgDid, async (at, t) => {
    const windows: Window[] = [];
    for (const out of outages) {
      await at(out.at * o.duration);
      const from = performance.now();
      f.pgStopped = true;
      await pg.stop();
      pgDid.push(`${t(from)} pg_ctlcluster ${pg.version} ${pg.name} stop -m fast (done in ${((performance.now() - from) / 1000).toFixed(1)} s)`);
      // While the database is down, every process must answer /health with 503, promptly.
      const seen503 = new Set<number>();
      let polling = true;
      const poller = (async () => {
        while (polling) {
          await Promise.all(
            targets.map(async (b, i) => {
              const h = await health(b, deadlineMs);
              healthSeen.polls++;
              healthSeen.maxMs = Math.max(healthSeen.maxMs, h.ms);
              if (h.status === 503) {
                healthSeen.s503++;
                seen503.add(i);
              } else if (h.status === 0) healthSeen.noAnswer++;
              else if (h.status !== 200) healthSeen.other++;
            }),
          );
          await sleep(200);
        }
      })();
      await sleep(out.ms);
      const s0 = performance.now();
      await pg.start();
      f.pgStopped = false;
      polling = false;
      await poller;
      for (let i = 0; i < targets.length; i++) if (!seen503.has(i)) missing503.push(`${targets[i]} never answered /health 503 while PostgreSQL was down`);
      pgDid.push(`${t(s0)} pg_ctlcluster start after ${(out.ms / 1000).toFixed(0)} s down`);
      // Reconnected by itself: every process answers /health 200 again without being touched.
      let recovered = 0;
      while (!recovered && performance.now() - s0 < 30_000) {
        const hs = await Promise.all(targets.map((b) => health(b, 2000)));
        if (hs.every((h) => h.status === 200)) recovered = performance.now();
        else await sleep(100);
      }
      if (!recovered) missing503.push('an API process did not report ready within 30 s of PostgreSQL being back');
      healthSeen.recoveredMs.push(Math.round((recovered || performance.now()) - s0));
      pgDid.push(`${t(recovered || undefined)} all ${targets.length} API processes /health 200 again (${((recovered - s0) / 1000).toFixed(1)} s after start)`);
      windows.push({ kind: 'pg', from, to: (recovered || performance.now()) + 1000, codes: new Set(['SERVICE_UNAVAILABLE', 'TIMEOUT']) });
    }
    return windows;
  }, () => `/health while down: ${healthSeen.s503}/${healthSeen.polls} polls 503, ${healthSeen.other} other, ${healthSeen.noAnswer} unanswered, max ${healthSeen.maxMs} ms; ready again ${healthSeen.recoveredMs.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')} after start`);
  {
    f.reports[f.reports.length - 1].problems.push(...missing503);
    if (healthSeen.noAnswer + healthSeen.other > 0) f.reports[f.reports.length - 1].problems.push(`/health unanswered or not 200/503 ${healthSeen.noAnswer + healthSeen.other} times`);
  }
}

/**
 * 3. a slow database: locks held by another session, past the API's statement/lock timeout, so
 * that waiting requests must time out.
 */
async function faultLock(f: FaultRun): Promise<void> {
  const { o, databaseUrl, schema, deadlineMs } = f;
  const lockMs = o.dbTimeoutMs + 3000;
  const locks = o.short ? ['table'] : ['table', 'rows'];
  const lockDid: string[] = [];
  await runFault(f, `lock held ${lockMs / 1000} s x${locks.length}`, 13, lockDid, async (at, t) => {
    const windows: Window[] = [];
    for (let k = 0; k < locks.length; k++) {
      await at(((k + 1) / (locks.length + 1) - 0.1) * o.duration);
      const c = new Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
      await c.connect();
      const sql =
        locks[k] === 'table' ? 'LOCK TABLE cluster_hours IN ACCESS EXCLUSIVE MODE' : 'SELECT count(*) FROM (SELECT 1 FROM cluster_hours FOR UPDATE) x';
      // Taking the lock mid-storm can lose a deadlock against a booking: try again.
      for (let attempt = 1; ; attempt++) {
        await c.query('BEGIN');
        try {
          await c.query(sql);
          break;
        } catch (e) {
          await c.query('ROLLBACK');
          if (attempt >= 10) throw e;
        }
      }
      const from = performance.now();
      lockDid.push(`${t(from)} another session: BEGIN; ${sql}`);
      await sleep(lockMs);
      await c.query('COMMIT');
      await c.end();
      const to = performance.now();
      lockDid.push(`${t(to)} COMMIT (lock held ${((to - from) / 1000).toFixed(1)} s)`);
      windows.push({ kind: 'lock', from, to: to + deadlineMs, codes: new Set(['TIMEOUT', 'SERVICE_UNAVAILABLE']) });
    }
    return windows;
  });
}

/** 4. kill -9 the process clearing a round, mid-clearing; restart; cleared exactly once. */
async function faultRound(f: FaultRun): Promise<void> {
  const { o, apis, bureauKey, startups, horizonStart, horizonHours, databaseUrl, schema, acks, deadlineMs } = f;
  const label = 'kill -9 during a round clearing';
  log(`fault "${label}"`);
  const clusterIds = await faultClusters(f);
  const r = await killDuringClearing({ apis, bureauKey, startups, clusterIds, horizonStart, horizonHours, requests: o.short ? 3000 : 20000, databaseUrl, schema, log });
  acks.push(...r.acks);
  for (const a of apis) r.problems.push(...a.unexpectedExits.splice(0));
  const invariants = await check(f);
  if (!invariants.every((c) => c.ok)) r.problems.push('invariant checker failed');
  f.reports.push({
    fault: label,
    did: r.did,
    requests: r.requests,
    acknowledged: r.acks.length,
    dropped: 0,
    inFlightAtFault: 1,
    retried: { acknowledged: 0, sameBooking: 0, failedRequests: 0, nowBooked: 0, cleanRefusal: 0 },
    errorsByCode: {},
    refusalsOutsideFault: 0,
    maxLatencyMs: 0,
    maxLatencyInFaultMs: 0,
    deadlineMs,
    problems: r.problems,
    invariants,
  });
  log(`fault "${label}": ${r.problems.length ? `${r.problems.length} problem(s)` : 'ok'}; invariants ${invariants.every((c) => c.ok) ? 'PASS' : 'FAIL'}`);
}

/** Prints what each fault did and the table; writes summary.json and acks.json; true when the run failed. */
function report(f: FaultRun): boolean {
  const { o, runId, outDir, schema, reports, acks } = f;
  const rows = [['fault', 'requests', 'acknowledged', 'in flight at fault', 'retried: acked same id / failed -> booked, refused', 'errors by code', 'max latency ms (in fault)', 'deadline ms', 'invariants', 'result']];
  for (const r of reports) {
    rows.push([
      r.fault,
      String(r.requests),
      String(r.acknowledged),
      String(r.inFlightAtFault),
      `${r.retried.sameBooking}/${r.retried.acknowledged} / ${r.retried.failedRequests} -> ${r.retried.nowBooked}, ${r.retried.cleanRefusal}`,
      Object.entries(r.errorsByCode)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || '-',
      `${r.maxLatencyMs} (${r.maxLatencyInFaultMs})`,
      String(r.deadlineMs),
      r.invariants.every((c) => c.ok) ? 'PASS' : 'FAIL',
      r.problems.length ? 'FAIL' : 'ok',
    ]);
  }
  const out: string[] = ['', `pflex fault test ${runId} UTC (${o.short ? 'short' : 'long'}): ${o.replicas} API processes, storm ${o.rate}/s x ${o.duration} s per fault, DB_STATEMENT_TIMEOUT_MS=${o.dbTimeoutMs}`];
  for (const r of reports) {
    out.push(`\n${r.fault}:`);
    for (const d of r.did) out.push(`  ${d}`);
    if (r.health) out.push(`  ${r.health}`);
    if (r.refusalsOutsideFault) out.push(`  ${r.refusalsOutsideFault} SERVICE_UNAVAILABLE/TIMEOUT refusals outside the fault window (machine overloaded: pool wait or statement past the timeout); retried like the rest`);
    if (r.dropped) out.push(`  ${r.dropped} storm starts dropped (client in-flight cap reached while requests waited)`);
    for (const p of r.problems.slice(0, 10)) out.push(`  PROBLEM: ${p}`);
    if (r.problems.length > 10) out.push(`  ... ${r.problems.length - 10} more problems`);
  }
  const last = reports[reports.length - 1];
  if (last) out.push('', 'invariant checker after the last fault (cumulative):', formatReport(last.invariants));
  out.push('', table(rows, rows[0].map(() => 'left')));
  const failed = reports.length < (o.only?.length ?? 4) || reports.some((r) => r.problems.length > 0);
  out.push('', `${reports.length} faults, ${acks.length} acknowledged bookings checked, ${((performance.now() - t00) / 1000).toFixed(0)} s in all: ${failed ? 'FAIL' : 'PASS'}`, `results: ${outDir}`);
  console.log(out.join('\n'));
  writeFileSync(join(outDir, 'summary.json'), JSON.stringify({ run: runId, options: o, schema, reports, acknowledged: acks.length }, null, 2));
  writeFileSync(join(outDir, 'acks.json'), JSON.stringify({ run: runId, schema, bookings: acks }));
  return failed;
}


async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const f = await prepare(o);
  process.on('SIGINT', () => {
    void f.cleanup().finally(() => process.exit(130));
  });
  const want = (fault: string) => !o.only || o.only.includes(fault);
  try {
    await startAll(f.apis);
    log(`${f.apis.length} API processes ready: ${f.apis.map((a) => `${a.port} (pid ${a.pid})`).join(', ')}`);
    await setupMarketplace(f);
    if (want('kill')) await faultKill(f);
    if (want('pg')) await faultPg(f);
    if (want('lock')) await faultLock(f);
    if (want('round')) await faultRound(f);
  } finally {
    await f.cleanup();
  }
  const failed = report(f);
  if (!o.keep) await dropSchema(f.databaseUrl, f.schema);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(`fault test failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
