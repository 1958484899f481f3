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
import { readOptions, type OptionDef } from '../lib/cli';
import { ApiProcess, apiEnv, buildApi, dropSchema, freePorts, newRunId, PgCluster, startAll } from '../lib/processes';
import { table } from '../lib/report';
import { createOrganizations, horizonStartFromNow, issueVouchers } from '../lib/setup';
import { formatReport } from '../check-invariants';
import { log, type FaultRun, type Options } from './harness';
import { faultKill, faultLock, faultPg, faultRound } from './injections';

const ROOT = join(__dirname, '..', '..');
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

function parseOptions(argv: string[]): Options {
  const a = readOptions(
    argv,
    OPTIONS,
    'npm run faults [-- options]   (npm run faults:short: the CI size; FAULTS_PG_CLUSTER / FAULTS_PG_PORT choose the PostgreSQL cluster)',
  );
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

/** The PostgreSQL cluster of its own, the build and the API processes (not started yet). */
async function prepare(o: Options): Promise<FaultRun> {
  const runId = newRunId();
  const outDir = join(ROOT, 'load-tests', 'results', `faults-${runId}`);
  mkdirSync(outDir, { recursive: true });
  const pg = new PgCluster(
    process.env.FAULTS_PG_VERSION ?? '15',
    process.env.FAULTS_PG_CLUSTER ?? 'faults',
    Number(process.env.FAULTS_PG_PORT ?? 5440),
  );
  log(`PostgreSQL cluster ${pg.version}/${pg.name} on port ${pg.port} (its own: restarting it disturbs no other test)`);
  await pg.ensure();
  const databaseUrl = await pg.up(ROOT, 'pflex_faults');
  const schema = `faults_${runId.replace('-', '_')}`;
  const bureauKey = `faults-bureau-${randomBytes(16).toString('hex')}`;
  const mainJs = buildApi(ROOT, o.build, log);
  // storms drive a few keys far beyond a client's fair share; rate limiting has its own tests
  const env = apiEnv(
    { databaseUrl, schema, bureauKey },
    { DB_POOL_SIZE: '16', RATE_LIMIT_PER_MINUTE: '0', DB_STATEMENT_TIMEOUT_MS: String(o.dbTimeoutMs) },
  );
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
  const orgs = await createOrganizations(f.targets, f.bureauKey, 'faults', {
    operators: 2,
    startups: f.o.short ? 60 : 150,
  });
  f.operators = orgs.operators;
  f.startups = orgs.startups;
  f.orgByAuth = new Map(f.startups.map((s) => [`Bearer ${s.apiKey}`, s.id]));
  f.horizonStart = horizonStartFromNow();
  const vouchers = await issueVouchers(f.targets[0], f.bureauKey, f.startups, f.horizonStart);
  log(`setup: ${f.startups.length} startups, ${vouchers} vouchers`);
}
/** Prints what each fault did and the table; writes summary.json and acks.json; true when the run failed. */
function report(f: FaultRun): boolean {
  const { o, runId, outDir, schema, reports, acks } = f;
  const rows = [
    [
      'fault',
      'requests',
      'acknowledged',
      'in flight at fault',
      'retried: acked same id / failed -> booked, refused',
      'errors by code',
      'max latency ms (in fault)',
      'deadline ms',
      'invariants',
      'result',
    ],
  ];
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
  const out: string[] = [
    '',
    `pflex fault test ${runId} UTC (${o.short ? 'short' : 'long'}): ${o.replicas} API processes, storm ${o.rate}/s x ${o.duration} s per fault, DB_STATEMENT_TIMEOUT_MS=${o.dbTimeoutMs}`,
  ];
  for (const r of reports) {
    out.push(`\n${r.fault}:`);
    for (const d of r.did) out.push(`  ${d}`);
    if (r.health) out.push(`  ${r.health}`);
    if (r.refusalsOutsideFault)
      out.push(
        `  ${r.refusalsOutsideFault} SERVICE_UNAVAILABLE/TIMEOUT refusals outside the fault window (machine overloaded: pool wait or statement past the timeout); retried like the rest`,
      );
    if (r.dropped) out.push(`  ${r.dropped} storm starts dropped (client in-flight cap reached while requests waited)`);
    for (const p of r.problems.slice(0, 10)) out.push(`  PROBLEM: ${p}`);
    if (r.problems.length > 10) out.push(`  ... ${r.problems.length - 10} more problems`);
  }
  const last = reports[reports.length - 1];
  if (last) out.push('', 'invariant checker after the last fault (cumulative):', formatReport(last.invariants));
  out.push(
    '',
    table(
      rows,
      rows[0].map(() => 'left'),
    ),
  );
  const failed = reports.length < (o.only?.length ?? 4) || reports.some((r) => r.problems.length > 0);
  out.push(
    '',
    `${reports.length} faults, ${acks.length} acknowledged bookings checked, ${((performance.now() - t00) / 1000).toFixed(0)} s in all: ${failed ? 'FAIL' : 'PASS'}`,
    `results: ${outDir}`,
  );
  console.log(out.join('\n'));
  writeFileSync(
    join(outDir, 'summary.json'),
    JSON.stringify({ run: runId, options: o, schema, reports, acknowledged: acks.length }, null, 2),
  );
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
