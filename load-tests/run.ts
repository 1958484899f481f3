// npm run load [-- --replicas N] [--short] [--rate R] [--duration S] [--only trivial,storm,max,hotspot,mix,quotes,round] [--round-size N] [--no-build] [--keep]
//
// Starts PostgreSQL (scripts/pg-up.sh, database pflex_load) unless DATABASE_URL is given, builds
// the API, starts N API processes on ports 3001.. (each on its own fresh PostgreSQL schema shared
// by all N), creates organizations, clusters and green windows through the API, runs the
// scenarios with requests spread round-robin over the processes, runs the invariant checker and
// prints one table. Exits 1 when the invariant checker fails or any request errors; speed
// thresholds are reported, never fatal. Results: load-tests/results/<run>/ (gitignored).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { request } from 'undici';
import { registerCluster, createOrganization, addGreenWindow, issueVoucher, type Org } from './lib/api';
import { runScenario, type ScenarioResult, type Threshold } from './lib/engine';
import { checkInvariants, formatReport, type AckedBooking, type CheckResult } from './check-invariants';
import { bookingStorm } from './scenarios/booking-storm';
import { marketplaceMix } from './scenarios/marketplace-mix';
import { trivialQuery } from './scenarios/trivial';
import { openSubscribers, type SubscriberResult } from './scenarios/operator-subscribers';
import { runRound, type RoundRun } from './scenarios/round';
import { rssBytes, since, usage, type Usage } from './lib/resources';

const ROOT = join(__dirname, '..');
const H = 3600_000;

interface Options {
  replicas: number;
  short: boolean;
  rate: number;
  duration: number;
  build: boolean;
  keep: boolean;
  portBase: number;
  startups: number;
  subscribers: number;
  /** Closed-loop virtual users per API process (default 32; 8 with --short). */
  vusPerProcess?: number;
  only?: string[];
  /** seconds of the soak phase (0: none) */
  soak: number;
  /** requests in the clearing-round phase (default 10,000; 1,000 with --short) */
  roundSize?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { replicas: 2, short: false, rate: 0, duration: 0, build: true, keep: false, portBase: 3001, startups: 200, subscribers: 50, soak: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min = 1) => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < min) throw new Error(`${a} needs a number >= ${min}`);
      return v;
    };
    if (a === '--replicas') o.replicas = Math.floor(num());
    else if (a === '--short') o.short = true;
    else if (a === '--rate') o.rate = num(0.1);
    else if (a === '--duration') o.duration = num(0.1);
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--port-base') o.portBase = Math.floor(num());
    else if (a === '--startups') o.startups = Math.floor(num());
    else if (a === '--subscribers') o.subscribers = Math.floor(num(0));
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--vus') o.vusPerProcess = Math.floor(num());
    else if (a === '--soak') o.soak = Math.floor(num());
    else if (a === '--round-size') o.roundSize = Math.floor(num());
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const log = (m: string) => process.stderr.write(`[load ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function waitHealthy(base: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`API process on ${base} exited with ${proc.exitCode}`);
    try {
      const r = await request(`${base}/health`);
      await r.body.dump();
      if (r.statusCode === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${base}/health not ready after ${timeoutMs} ms`);
}

interface Phase {
  result: ScenarioResult;
  kind: 'trivial' | 'booking' | 'mix' | 'quotes' | 'hotspot' | 'soak';
  /** CPU of the API processes and of PostgreSQL, and database round trips, during the phase */
  used?: Usage;
}

/** The round phase's table: the clearing against the first-come baseline, and its cost. */
function roundReport(r: RoundRun): string {
  const x = r.outcome;
  const rows = [
    ['round of ' + fmt(r.requests), 'placed', 'refused', 'PFLOPS-hours', 'green share'],
    ['cleared (packBatch)', fmt(x.placed), fmt(x.refused), fmt(x.pflopsHours, 1), (x.greenShare * 100).toFixed(1) + ' %'],
    ['first-come baseline', fmt(x.firstCome.placed), fmt(x.requests - x.firstCome.placed), fmt(x.firstCome.pflopsHours, 1), (x.firstCome.greenShare * 100).toFixed(1) + ' %'],
  ];
  return [
    'clearing round (storm mix, 10 clusters):',
    table(rows),
    `PFLOPS-hours placed / first-come: ${x.gain?.toFixed(3) ?? '-'} (target >= 1.15: ${x.gain !== null && x.gain >= 1.15 ? 'met' : 'MISSED'}); winning pass ${x.strategy}`,
    `clearing (read + pack + write, one transaction): ${fmt(x.clearingMs)} ms in the API (packing ${fmt(x.packingMs)} ms), closeRound answered in ${fmt(r.clearSeconds * 1000)} ms; ` +
      `CPU: API ${fmt(r.used.apiCpuMs)} ms, PostgreSQL ${fmt(r.used.pgCpuMs)} ms; submitted at ${fmt(r.requests / r.submitSeconds)} requests/s`,
  ].join('\n');
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function table(rows: string[][]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  return [line(rows[0]), '|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 1) + '-' : '-'.repeat(x + 1) + ':')).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const loadBefore = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const outDir = join(ROOT, 'load-tests', 'results', runId);
  mkdirSync(outDir, { recursive: true });
  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = () => {
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  };
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    log('starting PostgreSQL (scripts/pg-up.sh, database pflex_load)');
    databaseUrl = execFileSync(join(ROOT, 'scripts', 'pg-up.sh'), { env: { ...process.env, DB_NAME: 'pflex_load' }, stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim();
  }
  // A fresh schema per run: the checker sees exactly this run's data, and nothing else is touched.
  const schema = `load_${runId.replace('-', '_')}`;
  const bureauKey = `load-bureau-${randomBytes(16).toString('hex')}`;

  if (o.build) {
    log('npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const main = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} does not exist: the API is not built`);

  const env = {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    DB_POOL_SIZE: process.env.DB_POOL_SIZE ?? '16',
    // the load generator drives a few keys far beyond a client's fair share; rate limiting has its own tests
    RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '0',
    BUREAU_API_KEY: bureauKey,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const migrate = join(ROOT, 'dist', 'apps', 'api', 'src', 'migrate.js');
  if (existsSync(migrate)) {
    log('migrations (dist/apps/api/src/migrate.js)');
    execFileSync('node', [migrate], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  const targets: string[] = [];
  const apiPids: number[] = [];
  const exits: string[] = [];
  // Ports from --port-base on, skipping any that something else already listens on (otherwise
  // /health could be answered by another program and the run would measure it).
  const ports: number[] = [];
  for (let p = o.portBase; ports.length < o.replicas && p < o.portBase + 100; p++) if (await portFree(p)) ports.push(p);
  if (ports.length < o.replicas) throw new Error(`no ${o.replicas} free ports from ${o.portBase}`);
  const start = async (i: number) => {
    const port = ports[i];
    const base = `http://127.0.0.1:${port}`;
    const logFd = openSync(join(outDir, `api-${port}.log`), 'w');
    // API_NODE_ARGS: extra node flags for the API processes (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
    // started as in production (npm start, the Dockerfile): a bounded V8 heap
    const nodeArgs = ['--max-old-space-size=512', ...(process.env.API_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    const child = spawn('node', [...nodeArgs, main], { cwd: ROOT, env: { ...env, PORT: String(port) }, stdio: ['ignore', logFd, logFd] });
    children.push(child);
    child.on('exit', (code, signal) => {
      if (!stopping) {
        exits.push(`API on port ${port} (pid ${child.pid}) exited during the run (code ${code}, signal ${signal}); its log: ${join(outDir, `api-${port}.log`)}`);
        log(exits[exits.length - 1]);
      }
    });
    await waitHealthy(base, child, 60_000);
    targets.push(base);
    apiPids.push(child.pid!);
    log(`API process ${i + 1}/${o.replicas} ready on ${base} (pid ${child.pid})`);
  };
  try {
    // The first process alone runs the migrations at start-up; the others then find them done.
    await start(0);
    await Promise.all(Array.from({ length: o.replicas - 1 }, (_, i) => start(i + 1)));
    targets.sort();

    // ---- setup through the API: operators, startups, clusters, green windows ----
    const api = targets[0];
    log(`setup: ${o.startups} startups, 2 operators, clusters and green windows`);
    const operators: Org[] = [];
    for (let i = 0; i < 2; i++) operators.push(await createOrganization(api, bureauKey, `load-operator-${i}`, 'OPERATOR'));
    const startups: Org[] = [];
    for (let i = 0; i < o.startups; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, o.startups - i) }, (_, j) => createOrganization(targets[(i + j) % targets.length], bureauKey, `load-startup-${i + j}`, 'STARTUP')),
      );
      startups.push(...batch);
    }
    const horizonStart = Math.ceil(Date.now() / H) * H + 2 * H;
    // Vouchers for every third startup, small enough to run out mid-run: concurrent draws on one
    // voucher are what the checker's voucher balances test.
    let vouchers = 0;
    for (let i = 0; i < startups.length; i += 3) {
      await issueVoucher(api, bureauKey, {
        organizationId: startups[i].id,
        cap: 5_000,
        percentCovered: 50,
        validFrom: new Date(horizonStart - 2 * H).toISOString(),
        validUntil: new Date(horizonStart + 40 * 24 * H).toISOString(),
      });
      vouchers++;
    }
    log(`setup: ${vouchers} vouchers issued`);
    const mkClusters = async (tag: string, n: number, capacityPflops: number, horizonHours: number, greenMw: number) => {
      const ids: string[] = [];
      const owners: Org[] = [];
      for (let i = 0; i < n; i++) {
        const op = operators[i % operators.length];
        const id = await registerCluster(api, op.apiKey, {
          name: `${tag}-${i}`,
          region: i % 2 ? 'Zhuhai' : 'Guangzhou',
          accelerator: 'GPU',
          capacityPflops,
          kwPerPflops: 8 + i,
          pue: 1.2,
          pricePerPflopsHour: 8 + i,
          gridPricePerMwh: 90,
        });
        // Green supply over part of the horizon: a solar-like day window and a wind window.
        for (let d = 0; d * 24 < horizonHours; d++) {
          const day = horizonStart + d * 24 * H;
          await addGreenWindow(api, op.apiKey, {
            clusterId: id,
            startsAt: new Date(day + 2 * H).toISOString(),
            endsAt: new Date(day + 10 * H).toISOString(),
            megawatts: greenMw,
            source: 'SOLAR',
            pricePerMwh: 40,
          });
          await addGreenWindow(api, op.apiKey, {
            clusterId: id,
            startsAt: new Date(day + 6 * H).toISOString(),
            endsAt: new Date(day + 20 * H).toISOString(),
            megawatts: greenMw / 2,
            source: 'WIND',
            pricePerMwh: 55,
          });
        }
        ids.push(id);
        owners.push(op);
      }
      return { ids, owners };
    };

    const acks: AckedBooking[] = [];
    const phases: Phase[] = [];
    const S = o.short;
    const dur = (full: number, short: number) => o.duration || (S ? short : full);
    const errorsZero: Threshold[] = [{ metric: 'error_rate', max: 0 }];
    const speed = (op: string, p99: number): Threshold[] => [
      { metric: 'p95', op, max: p99 / 2, abortOnFail: false },
      { metric: 'p99', op, max: p99, abortOnFail: false },
    ];
    const want = (name: string) => !o.only || o.only.includes(name);
    /** Runs a phase with CPU (API, PostgreSQL) and round trips measured around it. */
    const measured = async (kind: Phase['kind'], spec: Parameters<typeof runScenario>[0]): Promise<Phase> => {
      const before = await usage(apiPids, targets);
      const result = await runScenario(spec);
      const phase: Phase = { kind, result, used: since(before, await usage(apiPids, targets)) };
      phases.push(phase);
      return phase;
    };
    // --short stays well inside what one busy 2-core machine serves: CI fails on errors, and an
    // overloaded server answers with timeouts (DB_STATEMENT_TIMEOUT_MS), which are errors.
    const vus = (o.vusPerProcess ?? (S ? 8 : 32)) * targets.length;

    // 1. trivial query, closed loop: the yardstick.
    if (want('trivial')) {
      log('phase trivial');
      await measured('trivial', trivialQuery('trivial (closed loop)', targets, { type: 'constant-vus', vus, durationS: dur(10, 3) }));
    }

    // 2. booking storm at a fixed arrival rate onto small clusters that fill up; operators subscribed.
    let subs: SubscriberResult | undefined;
    if (want('storm')) {
      const rate = o.rate || (S ? 40 : 500);
      const seconds = dur(30, 8);
      // Size the clusters so that about half the storm's demand fits: they fill up mid-run.
      const horizonHours = 72;
      const demandPflopsH = rate * seconds * 60 * 4.5;
      const capacity = Math.max(100, Math.round(demandPflopsH / 2 / 3 / horizonHours));
      const { ids, owners } = await mkClusters('storm', 3, capacity, horizonHours, (capacity * 10 * 1.2) / 1000 / 3);
      let stop: (() => Promise<SubscriberResult>) | undefined;
      if (o.subscribers > 0) stop = await openSubscribers({ targets, clusterIds: ids, clusterOwners: owners, connections: S ? 10 : o.subscribers });
      log(`phase storm: ${rate}/s for ${seconds} s, 3 clusters of ${capacity} PFLOPS over ${horizonHours} h`);
      await measured(
        'booking',
        bookingStorm({
          name: `booking storm (${rate}/s)`,
          targets,
          executor: { type: 'constant-arrival-rate', rate, durationS: seconds, maxInFlight: S ? vus : 4 * vus },
          startups,
          clusterIds: ids,
          horizonStart,
          horizonHours,
          acks,
          thresholds: [...errorsZero, ...speed('bookCompute', 100), { metric: 'dropped_rate', max: 0.01, abortOnFail: false }],
        }),
      );
      if (stop) subs = await stop();
    }

    // 3. bookings, closed loop, on roomy clusters: the sustained confirmed-booking throughput.
    if (want('max')) {
      const horizonHours = 24 * 30;
      const { ids } = await mkClusters('max', 4, 20_000, horizonHours, 50);
      log('phase bookings max (closed loop)');
      await measured(
        'booking',
        bookingStorm({
          name: 'bookings (closed loop)',
          targets,
          executor: { type: 'constant-vus', vus, durationS: dur(20, 5) },
          startups,
          clusterIds: ids,
          horizonStart,
          horizonHours,
          acks,
          thresholds: errorsZero,
          replayShare: 0.01,
          seed: 7,
        }),
      );
    }

    // 3b. hot spot: 80 % of the bookings on one cluster and the same 24 hours (contention on the
    // same ledger rows and green supply from every process), closed loop.
    if (want('hotspot')) {
      const horizonHours = 24 * 30;
      const { ids } = await mkClusters('hot', 4, 20_000, horizonHours, 50);
      const hot = await mkClusters('hotspot', 1, 400_000, 48, 400);
      log('phase hot spot (closed loop, 80 % on one cluster and 24 hours)');
      await measured(
        'hotspot',
        bookingStorm({
          name: 'hot spot (closed loop)',
          targets,
          executor: { type: 'constant-vus', vus, durationS: dur(20, 5) },
          startups,
          clusterIds: ids,
          horizonStart,
          horizonHours,
          acks,
          thresholds: errorsZero,
          replayShare: 0.01,
          seed: 11,
          hotspot: { cluster: hot.ids[0], start: horizonStart + 12 * H, share: 0.8 },
        }),
      );
    }

    // 4. marketplace mix, closed loop: quotes and utilization mostly.
    if (want('mix')) {
      const horizonHours = 24 * 14;
      const { ids, owners } = await mkClusters('mix', 4, 5_000, horizonHours, 20);
      log('phase marketplace mix (closed loop)');
      await measured(
        'mix',
        marketplaceMix({
            name: 'marketplace mix (closed loop)',
            targets,
            executor: { type: 'constant-vus', vus, durationS: dur(20, 5) },
            startups,
            clusterIds: ids,
            clusterOwners: owners,
            horizonStart,
            horizonHours,
            acks,
            thresholds: [...errorsZero, ...speed('quotes', 100)],
          }),
      );
    }

    // 5. quotes only, closed loop, on the mix's clusters: the quote throughput.
    if (want('quotes')) {
      const horizonHours = 24 * 14;
      const { ids, owners } = await mkClusters('quotes', 4, 5_000, horizonHours, 20);
      log('phase quotes (closed loop)');
      await measured(
        'quotes',
        marketplaceMix({
            name: 'quotes (closed loop)',
            targets,
            executor: { type: 'constant-vus', vus, durationS: dur(15, 3) },
            startups,
            clusterIds: ids,
            clusterOwners: owners,
            horizonStart,
            horizonHours,
            acks,
            weights: [1, 0, 0, 0],
            thresholds: [...errorsZero, ...speed('quotes', 100)],
          }),
      );
    }

    // 6. a clearing round: the storm's mix submitted to one round over 10 clusters, then cleared at once
    let round: RoundRun | undefined;
    if (want('round')) {
      const n = o.roundSize ?? (S ? 1_000 : 10_000);
      const horizonHours = 72;
      // offered load 1.0: the mix's demand (65 PFLOPS x 4.5 h on average) equals the capacity; at 2x
      // (the storm's sizing) first-come already fills ~93 % of it and no packing can gain 15 %
      const capacity = Math.max(100, Math.round((n * 65 * 4.5) / 10 / horizonHours));
      const { ids } = await mkClusters('round', 10, capacity, horizonHours, (capacity * 10 * 1.2) / 1000 / 3);
      log(`phase round: ${n} requests (storm mix) to one round over 10 clusters of ${capacity} PFLOPS, then closed`);
      round = await runRound({ targets, apiPids, bureauKey, startups, clusterIds: ids, horizonStart, horizonHours, requests: n, acks });
    }

    // 7. soak: the marketplace mix for --soak seconds; the API's memory must stay flat.
    let soak: { rss: number[][]; growth: number[] } | undefined;
    if (o.soak > 0) {
      const horizonHours = 24 * 60;
      const { ids, owners } = await mkClusters('soak', 4, 100_000, horizonHours, 50);
      log(`phase soak (${o.soak} s, marketplace mix, RSS sampled every 10 s)`);
      const rss: number[][] = apiPids.map(() => []);
      const sampler = setInterval(() => apiPids.forEach((p, i) => rss[i].push(rssBytes(p))), 10_000);
      try {
        await measured(
          'soak',
          marketplaceMix({
            name: `soak (${o.soak} s)`,
            targets,
            executor: { type: 'constant-vus', vus: Math.max(4, Math.floor(vus / 2)), durationS: o.soak },
            startups,
            clusterIds: ids,
            clusterOwners: owners,
            horizonStart,
            horizonHours,
            acks,
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
      soak = { rss, growth };
    }

    // ---- invariants, straight against PostgreSQL ----
    writeFileSync(join(outDir, 'acks.json'), JSON.stringify({ run: runId, schema, bookings: acks }));
    log(`invariant checker on schema ${schema} (${acks.length} acknowledged bookings)`);
    const db = new Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
    await db.connect();
    let checks: CheckResult[];
    try {
      await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      checks = await checkInvariants(db, acks);
      await db.query('COMMIT');
    } finally {
      await db.end();
    }
    const invariantsOk = checks.every((c) => c.ok);

    // ---- one table ----
    const rows = [['scenario', 'req/s', 'bookings/s confirmed', 'refusals/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'dropped', 'load gen cores', 'thresholds']];
    const costs = [['scenario', 'per', 'ops', 'Node CPU ms/op', 'PostgreSQL CPU ms/op', 'DB round trips/op', 'API cores', 'PostgreSQL cores']];
    for (const { result: r, kind, used } of phases) {
      if (!used) continue;
      const b = r.ops.bookCompute;
      const per = b && kind !== 'mix' && kind !== 'soak' ? 'confirmed booking' : kind === 'quotes' ? 'quote' : 'request';
      const n = per === 'confirmed booking' ? b!.ok : per === 'quote' ? (r.ops.quotes?.ok ?? 0) : r.total.requests;
      const secs = r.total.requests / Math.max(1e-9, r.total.perSecond.requests);
      costs.push([
        r.scenario,
        per,
        fmt(n),
        n ? fmt(used.apiCpuMs / n, 3) : '-',
        n ? fmt(used.pgCpuMs / n, 3) : '-',
        n ? fmt(used.roundTrips / n, 3) : '-',
        fmt(used.apiCpuMs / 1000 / secs, 2),
        fmt(used.pgCpuMs / 1000 / secs, 2),
      ]);
    }
    for (const { result: r, kind } of phases) {
      const b = r.ops.bookCompute;
      const lat = kind === 'trivial' || kind === 'quotes' ? r.total.latencyMs : kind === 'mix' ? (r.ops.quotes ?? r.total).latencyMs : (b ?? r.total).latencyMs;
      rows.push([
        r.scenario + (kind === 'mix' ? ' [latency: quotes]' : ''),
        fmt(r.total.perSecond.requests),
        b ? fmt(b.perSecond.ok) : '-',
        b ? fmt(b.perSecond.refused) : '-',
        fmt(lat.p50, 1),
        fmt(lat.p95, 1),
        fmt(lat.p99, 1),
        fmt(r.total.errors),
        r.executor.type === 'constant-arrival-rate' ? fmt(r.dropped) : '-',
        fmt(r.generatorCores, 2),
        r.thresholds.every((t) => t.pass) ? 'pass' : r.pass ? 'slow' : 'FAIL',
      ]);
    }
    const trivial = phases.find((p) => p.kind === 'trivial')?.result.total.perSecond.requests;
    const maxBook = phases.find((p) => p.result.executor.type === 'constant-vus' && p.kind === 'booking')?.result.ops.bookCompute?.perSecond.ok;
    const hotBook = phases.find((p) => p.kind === 'hotspot')?.result.ops.bookCompute?.perSecond.ok;
    const mix = phases.find((p) => p.kind === 'mix')?.result;
    const quotes = phases.find((p) => p.kind === 'quotes')?.result;
    const errors = phases.reduce((a, p) => a + p.result.total.errors, 0) + (subs?.errors ?? 0) + exits.length + (round?.submitErrors ?? 0);
    const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average before the run ${loadBefore}`;
    const lines = [
      '',
      `pflex load test ${runId} UTC: ${o.replicas} API process(es), ${machine}, PostgreSQL and load generator on the same box`,
      table(rows),
      '',
      'cost per operation (CPU from /proc: the API processes, and every PostgreSQL process; round trips counted by the API):',
      table(costs),
      '',
      trivial && maxBook ? `booking throughput / trivial-query throughput: ${fmt(maxBook)} / ${fmt(trivial)} = ${(maxBook / trivial).toFixed(3)}` : '',
      trivial && quotes ? `quote throughput / trivial-query throughput: ${fmt(quotes.total.perSecond.ok)} / ${fmt(trivial)} = ${(quotes.total.perSecond.ok / trivial).toFixed(3)}` : '',
      maxBook && hotBook ? `hot spot / roomy confirmed bookings: ${fmt(hotBook)} / ${fmt(maxBook)} = ${(hotBook / maxBook).toFixed(3)}` : '',
      soak ? `soak: API RSS ${soak.rss.map((r) => `${fmt(r[Math.min(r.length - 1, 6)] / 2 ** 20)} -> ${fmt(r[r.length - 1] / 2 ** 20)} MiB`).join(', ')} after the first minute (growth ${soak.growth.map((g) => (g * 100).toFixed(1) + ' %').join(', ')})` : '',
      quotes ? `quotes/s (quotes only, closed loop): ${fmt(quotes.total.perSecond.ok)}` : '',
      mix ? `quotes/s in the mix: ${fmt(mix.ops.quotes?.perSecond.requests ?? 0)} (of ${fmt(mix.total.perSecond.requests)} req/s)` : '',
      ...(round ? ['', roundReport(round)] : []),
      subs ? `operator subscribers: ${subs.acknowledged}/${subs.connections} connected, ${subs.subscribed} subscribed, ${subs.events} utilizationChanged events, ${subs.errors} errors${subs.errorSamples.length ? ` (${subs.errorSamples[0]})` : ''}` : '',
      ...exits,
      `errors: ${errors}   invariants: ${invariantsOk ? 'PASS' : 'FAIL'}`,
    ].filter(Boolean);
    const summary = { run: runId, options: o, machine, schema, targets, phases: phases.map((p) => ({ ...p.result, used: p.used })), round, subscribers: subs, invariants: checks, acknowledgedBookings: acks.length, soak };
    writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
    console.log(formatReport(checks));
    console.log(lines.join('\n'));
    for (const p of phases) for (const [op, s] of Object.entries(p.result.ops)) if (s.errorSamples.length) console.log(`  ${p.result.scenario} ${op} errors e.g.: ${s.errorSamples.join(' | ')}`);
    console.log(`results: ${outDir}`);
    process.exitCode = invariantsOk && errors === 0 && phases.every((p) => p.result.pass) ? 0 : 1;
    if (!o.keep) {
      const c = new Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  } catch (e) {
    // A process that died mid-run shows up first as a refused connection: give its exit a moment.
    await new Promise((r) => setTimeout(r, 500));
    for (const x of exits) console.error(x);
    throw e;
  } finally {
    stopAll();
  }
}

main().catch((e) => {
  console.error(`load test failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
