// npm run load [-- --replicas N] [--short] [--rate R] [--duration S] [--only trivial,storm,max,hotspot,mix,quotes,round,kpis] [--round-size N] [--no-build] [--keep]   (--help lists all)
//
// Starts PostgreSQL (scripts/pg-up.sh, database pflex_load) unless DATABASE_URL is given, builds
// the API, starts N API processes on ports 3001.. (each on its own fresh PostgreSQL schema shared
// by all N), creates organizations, clusters and green windows through the API, runs the
// scenarios with requests spread round-robin over the processes, runs the invariant checker and
// prints one table. Exits 1 when the invariant checker fails or any request errors; speed
// thresholds are reported, never fatal. Results: load-tests/results/<run>/ (gitignored).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { runScenario, type ScenarioSpec, type Threshold } from './lib/engine';
import { parseOptions, type Options } from './lib/load-options';
import { report, type Phase, type Run } from './lib/load-report';
import { ApiProcess, apiEnv, buildApi, dropSchema, freePorts, newRunId, pgUp, startAll } from './lib/processes';
import { rssBytes, since, usage } from './lib/resources';
import { createOrganizations, horizonStartFromNow, issueVouchers, registerClusters } from './lib/setup';
import { checkSchema, type AckedBooking, type CheckResult } from './check-invariants';
import { bookingStorm } from './scenarios/booking-storm';
import { marketplaceMix } from './scenarios/marketplace-mix';
import { trivialQuery } from './scenarios/trivial';
import { openSubscribers, type SubscriberResult } from './scenarios/operator-subscribers';
import { runRound } from './scenarios/round';
import { DOCS, gql } from './lib/api';
import { Client } from 'pg';

const ROOT = join(__dirname, '..');
const H = 3600_000;

const log = (m: string) => process.stderr.write(`[load ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// ---- start-up ----

async function database(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  log('starting PostgreSQL (scripts/pg-up.sh, database pflex_load)');
  return pgUp(ROOT, { DB_NAME: 'pflex_load' });
}

/** Builds the API, applies the migrations, starts N processes on free ports; each must answer /health. */
async function startApis(
  r: Omit<Run, 'apis' | 'targets' | 'apiPids' | 'operators' | 'startups' | 'horizonStart'>,
): Promise<ApiProcess[]> {
  const { o } = r;
  const main = buildApi(ROOT, o.build, log);
  const env = apiEnv(r);
  const migrate = join(ROOT, 'dist', 'apps', 'api', 'src', 'migrate.js');
  if (existsSync(migrate)) {
    log('migrations (dist/apps/api/src/migrate.js)');
    execFileSync('node', [migrate], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  // started as in production (npm start, the Dockerfile): a bounded V8 heap; API_NODE_ARGS: extra
  // node flags for the API processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  const nodeArgs = ['--max-old-space-size=512', ...(process.env.API_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const ports = await freePorts(o.portBase, o.replicas);
  const onExit = (m: string) => {
    r.exits.push(m);
    log(m);
  };
  const apis = ports.map((p) => new ApiProcess(p, main, env, join(r.outDir, `api-${p}.log`), ROOT, nodeArgs, onExit));
  return apis;
}

/** Operators, startups and vouchers through the API. */
async function setupMarketplace(run: Run): Promise<void> {
  log(`setup: ${run.o.startups} startups, 2 operators, clusters and green windows`);
  const orgs = await createOrganizations(run.targets, run.bureauKey, 'load', {
    operators: 2,
    startups: run.o.startups,
  });
  run.operators = orgs.operators;
  run.startups = orgs.startups;
  log(`setup: ${await issueVouchers(run.targets[0], run.bureauKey, run.startups, run.horizonStart)} vouchers issued`);
}

/**
 * n clusters `${tag}-i` with a solar-like day window and a wind window every day; with
 * `gridShare`, each operator's clusters share a grid connection reserved for that share of their
 * full draw.
 */
function clusters(
  run: Run,
  tag: string,
  n: number,
  capacityPflops: number,
  horizonHours: number,
  greenMw: number,
  gridShare?: number,
) {
  return registerClusters(run.targets[0], run.operators, {
    names: Array.from({ length: n }, (_, i) => `${tag}-${i}`),
    region: (i) => (i % 2 ? 'Zhuhai' : 'Guangzhou'),
    capacityPflops,
    horizonStart: run.horizonStart,
    horizonHours,
    green: [
      { fromHour: 2, toHour: 10, megawatts: greenMw, source: 'SOLAR', pricePerMwh: 40 },
      { fromHour: 6, toHour: 20, megawatts: greenMw / 2, source: 'WIND', pricePerMwh: 55 },
    ],
    ...(gridShare !== undefined ? { gridShare } : {}),
  });
}

// ---- the phases ----

const errorsZero: Threshold[] = [{ metric: 'error_rate', max: 0 }];
const speed = (op: string, p99: number): Threshold[] => [
  { metric: 'p95', op, max: p99 / 2, abortOnFail: false },
  { metric: 'p99', op, max: p99, abortOnFail: false },
];
/** a phase's seconds: --duration, else its full or short default */
const dur = (o: Options, full: number, short: number) => o.duration || (o.short ? short : full);
/**
 * Closed-loop virtual users over all processes. --short stays well inside what one busy 2-core
 * machine serves: CI fails on errors, and an overloaded server answers with timeouts
 * (DB_STATEMENT_TIMEOUT_MS), which are errors.
 */
const vusOf = (run: Run) => (run.o.vusPerProcess ?? (run.o.short ? 8 : 32)) * run.targets.length;

/** What every booking and mix scenario is given: the processes, the startups, the clusters and the run's acks. */
function market(run: Run, clusterIds: string[], horizonHours: number) {
  return {
    targets: run.targets,
    startups: run.startups,
    clusterIds,
    horizonStart: run.horizonStart,
    horizonHours,
    acks: run.acks,
  };
}

/** Runs a phase with CPU (API, PostgreSQL) and round trips measured around it. */
async function measured(run: Run, kind: Phase['kind'], spec: ScenarioSpec): Promise<Phase> {
  const before = await usage(run.apiPids, run.targets);
  const result = await runScenario(spec);
  const phase: Phase = { kind, result, used: since(before, await usage(run.apiPids, run.targets)) };
  run.phases.push(phase);
  return phase;
}

/** 1. trivial query, closed loop: the yardstick. */
async function phaseTrivial(run: Run): Promise<void> {
  log('phase trivial');
  await measured(
    run,
    'trivial',
    trivialQuery('trivial (closed loop)', run.targets, {
      type: 'constant-vus',
      vus: vusOf(run),
      durationS: dur(run.o, 10, 3),
    }),
  );
}

/** 2. booking storm at a fixed arrival rate onto small clusters that fill up; operators subscribed. */
async function phaseStorm(run: Run): Promise<void> {
  const { o } = run;
  const S = o.short;
  const vus = vusOf(run);
  const rate = o.rate || (S ? 40 : 500);
  const seconds = dur(o, 30, 8);
  // Size the clusters so that about half the storm's demand fits: they fill up mid-run.
  const horizonHours = 72;
  const demandPflopsH = rate * seconds * 60 * 4.5;
  const capacity = Math.max(100, Math.round(demandPflopsH / 2 / 3 / horizonHours));
  // the storm's clusters share grid connections reserved for 70 % of their full draw: GRID_LIMIT under load
  const { ids, owners } = await clusters(
    run,
    'storm',
    3,
    capacity,
    horizonHours,
    (capacity * 10 * 1.2) / 1000 / 3,
    0.7,
  );
  let stop: (() => Promise<SubscriberResult>) | undefined;
  if (o.subscribers > 0)
    stop = await openSubscribers({
      targets: run.targets,
      clusterIds: ids,
      clusterOwners: owners,
      connections: S ? 10 : o.subscribers,
    });
  log(`phase storm: ${rate}/s for ${seconds} s, 3 clusters of ${capacity} PFLOPS over ${horizonHours} h`);
  await measured(
    run,
    'booking',
    bookingStorm({
      name: `booking storm (${rate}/s)`,
      ...market(run, ids, horizonHours),
      executor: { type: 'constant-arrival-rate', rate, durationS: seconds, maxInFlight: S ? vus : 4 * vus },
      thresholds: [
        ...errorsZero,
        ...speed('bookCompute', 100),
        { metric: 'dropped_rate', max: 0.01, abortOnFail: false },
      ],
    }),
  );
  if (stop) run.subs = await stop();
}

/**
 * Bookings, closed loop, 1 % replays, on four roomy clusters of their own (20,000 PFLOPS, 30
 * days); for the hot spot, 80 % of them go to one large cluster within the same 24 hours.
 */
async function closedLoopBookings(run: Run, kind: 'booking' | 'hotspot', name: string, seed: number): Promise<void> {
  const horizonHours = 24 * 30;
  const { ids } = await clusters(run, kind === 'hotspot' ? 'hot' : 'max', 4, 20_000, horizonHours, 50);
  const hot = kind === 'hotspot' ? (await clusters(run, 'hotspot', 1, 400_000, 48, 400)).ids[0] : undefined;
  log(hot ? 'phase hot spot (closed loop, 80 % on one cluster and 24 hours)' : 'phase bookings max (closed loop)');
  await measured(
    run,
    kind,
    bookingStorm({
      name,
      ...market(run, ids, horizonHours),
      executor: { type: 'constant-vus', vus: vusOf(run), durationS: dur(run.o, 20, 5) },
      thresholds: errorsZero,
      replayShare: 0.01,
      seed,
      ...(hot && { hotspot: { cluster: hot, start: run.horizonStart + 12 * H, share: 0.8 } }),
    }),
  );
}

/** 3. bookings, closed loop, on roomy clusters: the sustained confirmed-booking throughput. */
async function phaseMax(run: Run): Promise<void> {
  await closedLoopBookings(run, 'booking', 'bookings (closed loop)', 7);
}

/**
 * 3b. hot spot: 80 % of the bookings on one cluster and the same 24 hours (contention on the
 * same ledger rows and green supply from every process), closed loop.
 */
async function phaseHotspot(run: Run): Promise<void> {
  await closedLoopBookings(run, 'hotspot', 'hot spot (closed loop)', 11);
}

/**
 * The marketplace mix's scenario, closed loop, on four clusters of its own (5,000 PFLOPS, 14 days
 * of green): `weights` of quotes, utilization, bookings, cancellations (default: the mix's).
 */
async function closedLoopMix(
  run: Run,
  kind: 'mix' | 'quotes',
  name: string,
  seconds: number,
  weights?: [number, number, number, number],
): Promise<void> {
  const horizonHours = 24 * 14;
  const { ids, owners } = await clusters(run, kind, 4, 5_000, horizonHours, 20);
  log(`phase ${kind === 'mix' ? 'marketplace mix' : 'quotes'} (closed loop)`);
  await measured(
    run,
    kind,
    marketplaceMix({
      name,
      ...market(run, ids, horizonHours),
      executor: { type: 'constant-vus', vus: vusOf(run), durationS: seconds },
      clusterOwners: owners,
      ...(weights && { weights }),
      thresholds: [...errorsZero, ...speed('quotes', 100)],
    }),
  );
}

/** 4. marketplace mix, closed loop: quotes and utilization mostly. */
async function phaseMix(run: Run): Promise<void> {
  await closedLoopMix(run, 'mix', 'marketplace mix (closed loop)', dur(run.o, 20, 5));
}

/** 5. quotes only, closed loop, on clusters like the mix's: the quote throughput. */
async function phaseQuotes(run: Run): Promise<void> {
  await closedLoopMix(run, 'quotes', 'quotes (closed loop)', dur(run.o, 15, 3), [1, 0, 0, 0]);
}

/** 6. a clearing round: the storm's mix submitted to one round over 10 clusters, then cleared at once. */
async function phaseRound(run: Run): Promise<void> {
  const n = run.o.roundSize ?? (run.o.short ? 1_000 : 10_000);
  const horizonHours = 72;
  // offered load 1.0: the mix's demand (65 PFLOPS x 4.5 h on average) equals the capacity; at 2x
  // (the storm's sizing) first-come already fills ~93 % of it and no packing can gain 15 %
  const capacity = Math.max(100, Math.round((n * 65 * 4.5) / 10 / horizonHours));
  const { ids } = await clusters(run, 'round', 10, capacity, horizonHours, (capacity * 10 * 1.2) / 1000 / 3);
  log(`phase round: ${n} requests (storm mix) to one round over 10 clusters of ${capacity} PFLOPS, then closed`);
  run.round = await runRound({
    targets: run.targets,
    apiPids: run.apiPids,
    bureauKey: run.bureauKey,
    startups: run.startups,
    clusterIds: ids,
    horizonStart: run.horizonStart,
    horizonHours,
    requests: n,
    acks: run.acks,
  });
}

/** 7. soak: the marketplace mix for --soak seconds; the API's memory must stay flat. */
async function phaseSoak(run: Run): Promise<void> {
  const { o, apiPids } = run;
  const horizonHours = 24 * 60;
  const { ids, owners } = await clusters(run, 'soak', 4, 100_000, horizonHours, 50);
  log(`phase soak (${o.soak} s, marketplace mix, RSS sampled every 10 s)`);
  const rss: number[][] = apiPids.map(() => []);
  const sampler = setInterval(() => apiPids.forEach((p, i) => rss[i].push(rssBytes(p))), 10_000);
  try {
    await measured(
      run,
      'soak',
      marketplaceMix({
        name: `soak (${o.soak} s)`,
        ...market(run, ids, horizonHours),
        executor: { type: 'constant-vus', vus: Math.max(4, Math.floor(vusOf(run) / 2)), durationS: o.soak },
        clusterOwners: owners,
        weights: [50, 10, 35, 5],
        thresholds: errorsZero,
      }),
    );
  } finally {
    clearInterval(sampler);
  }
  // growth after the first minute (JIT, caches and pools warm up), per process
  const growth = rss.map((r) => {
    const warm = r[Math.min(r.length - 1, 6)];
    const last = r[r.length - 1];
    return warm > 0 ? (last - warm) / warm : 0;
  });
  run.soak = { rss, growth };
}

/**
 * 8. kpis: the bureau's `kpis` over 7, 30 and 366 days from the run's first hour, 10 calls each,
 * one at a time, on every cluster and booking the run made (the cost grows with the bookings in
 * the window and the cluster-hours of the ledger).
 */
async function phaseKpis(run: Run): Promise<void> {
  const db = new Client({ connectionString: run.databaseUrl, options: `-c search_path=${run.schema}` });
  await db.connect();
  let counts: { clusters: number; bookings: number };
  try {
    counts = (
      await db.query(
        `SELECT (SELECT count(*) FROM clusters)::int AS clusters, (SELECT count(*) FROM bookings)::int AS bookings`,
      )
    ).rows[0];
  } finally {
    await db.end();
  }
  log(`phase kpis: ${counts.clusters} clusters, ${counts.bookings} bookings`);
  const windows: { days: number; ms: number[] }[] = [];
  for (const days of [7, 30, 366]) {
    const ms: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await gql(run.targets[i % run.targets.length], run.bureauKey, DOCS.kpis, {
        from: new Date(run.horizonStart).toISOString(),
        to: new Date(run.horizonStart + days * 24 * H).toISOString(),
      });
      ms.push(performance.now() - t0);
    }
    windows.push({ days, ms });
  }
  run.kpis = { ...counts, windows };
}

/** The phases in their order; soak only with --soak. */
async function runPhases(run: Run): Promise<void> {
  const want = (name: string) => !run.o.only || run.o.only.includes(name);
  if (want('trivial')) await phaseTrivial(run);
  if (want('storm')) await phaseStorm(run);
  if (want('max')) await phaseMax(run);
  if (want('hotspot')) await phaseHotspot(run);
  if (want('mix')) await phaseMix(run);
  if (want('quotes')) await phaseQuotes(run);
  if (want('round')) await phaseRound(run);
  if (want('kpis')) await phaseKpis(run);
  if (run.o.soak > 0) await phaseSoak(run);
}

// ---- invariants and the report ----

/** The invariant checker on the run's schema with the run's acknowledged bookings (saved to acks.json). */
async function checkRun(run: Run): Promise<CheckResult[]> {
  writeFileSync(
    join(run.outDir, 'acks.json'),
    JSON.stringify({ run: run.runId, schema: run.schema, bookings: run.acks }),
  );
  log(`invariant checker on schema ${run.schema} (${run.acks.length} acknowledged bookings)`);
  return checkSchema(run.databaseUrl, run.schema, run.acks);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const runId = newRunId();
  const outDir = join(ROOT, 'load-tests', 'results', runId);
  mkdirSync(outDir, { recursive: true });
  let apis: ApiProcess[] = [];
  const stopAll = () => Promise.all(apis.map((a) => a.stop()));
  process.on('SIGINT', () => {
    void stopAll().finally(() => process.exit(130));
  });
  const databaseUrl = await database();
  // A fresh schema per run: the checker sees exactly this run's data, and nothing else is touched.
  const schema = `load_${runId.replace('-', '_')}`;
  const bureauKey = `load-bureau-${randomBytes(16).toString('hex')}`;
  const base = {
    o,
    runId,
    outDir,
    databaseUrl,
    schema,
    bureauKey,
    exits: [] as string[],
    acks: [] as AckedBooking[],
    phases: [] as Phase[],
  };
  apis = await startApis(base);
  try {
    await startAll(apis);
    apis.forEach((a, i) => log(`API process ${i + 1}/${o.replicas} ready on ${a.base} (pid ${a.pid})`));
    const run: Run = {
      ...base,
      apis,
      targets: apis.map((a) => a.base),
      apiPids: apis.map((a) => a.pid!),
      operators: [],
      startups: [],
      horizonStart: horizonStartFromNow(),
    };
    await setupMarketplace(run);
    await runPhases(run);
    const checks = await checkRun(run);
    report(run, checks, loadBefore);
    if (!o.keep) await dropSchema(databaseUrl, schema);
  } catch (e) {
    // A process that died mid-run shows up first as a refused connection: give its exit a moment.
    await new Promise((r) => setTimeout(r, 500));
    for (const x of base.exits) console.error(x);
    throw e;
  } finally {
    await stopAll();
  }
}

main().catch((e) => {
  console.error(`load test failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
