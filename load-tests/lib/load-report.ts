// The load runner's state of one run and its report: the phase and cost tables, the ratios to the
// trivial query, the round's outcome, summary.json and the exit code.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Org } from './api';
import type { ScenarioResult } from './engine';
import type { ApiProcess } from './processes';
import { fmt, table } from './report';
import type { Usage } from './resources';
import type { Options } from './load-options';
import { formatReport, type AckedBooking, type CheckResult } from '../check-invariants';
import type { SubscriberResult } from '../scenarios/operator-subscribers';
import type { RoundRun } from '../scenarios/round';

export interface Phase {
  result: ScenarioResult;
  kind: 'trivial' | 'booking' | 'mix' | 'quotes' | 'hotspot' | 'soak';
  /** CPU of the API processes and of PostgreSQL, and database round trips, during the phase */
  used?: Usage;
}

/** The processes of one run and what the phases share. */
export interface Run {
  o: Options;
  runId: string;
  outDir: string;
  databaseUrl: string;
  schema: string;
  bureauKey: string;
  apis: ApiProcess[];
  targets: string[];
  apiPids: number[];
  /** exits of API processes nobody asked for */
  exits: string[];
  operators: Org[];
  startups: Org[];
  horizonStart: number;
  acks: AckedBooking[];
  phases: Phase[];
  subs?: SubscriberResult;
  round?: RoundRun;
  soak?: { rss: number[][]; growth: number[] };
  kpis?: KpisRun;
}

/** The kpis phase: the bureau's `kpis` over windows of several lengths, on everything the run booked. */
export interface KpisRun {
  clusters: number;
  bookings: number;
  /** per window: client-measured milliseconds of each call (HTTP and GraphQL included) */
  windows: { days: number; ms: number[] }[];
}

function kpisReport(k: KpisRun): string {
  const rows = [['kpis window', 'calls', 'p50 ms', 'max ms']];
  for (const w of k.windows) {
    const ms = [...w.ms].sort((a, b) => a - b);
    rows.push([`${w.days} days`, fmt(ms.length), fmt(ms[Math.floor(ms.length / 2)], 1), fmt(ms[ms.length - 1], 1)]);
  }
  return [
    `kpis (bureau, whole fleet) over ${fmt(k.clusters)} clusters and ${fmt(k.bookings)} bookings, one call at a time:`,
    table(rows),
  ].join('\n');
}

/** The round phase's table: the clearing against the first-come baseline, and its cost. */
function roundReport(r: RoundRun): string {
  const x = r.outcome;
  const rows = [
    ['round of ' + fmt(r.requests), 'placed', 'refused', 'PFLOPS-hours', 'green share'],
    [
      'cleared (packBatch)',
      fmt(x.placed),
      fmt(x.refused),
      fmt(x.pflopsHours, 1),
      (x.greenShare * 100).toFixed(1) + ' %',
    ],
    [
      'first-come baseline',
      fmt(x.firstCome.placed),
      fmt(x.requests - x.firstCome.placed),
      fmt(x.firstCome.pflopsHours, 1),
      (x.firstCome.greenShare * 100).toFixed(1) + ' %',
    ],
  ];
  return [
    'clearing round (storm mix, 10 clusters):',
    table(rows),
    `PFLOPS-hours placed / first-come: ${x.gain?.toFixed(3) ?? '-'} (target >= 1.15: ${x.gain !== null && x.gain >= 1.15 ? 'met' : 'MISSED'}); winning pass ${x.strategy}`,
    `clearing (read + pack + write, one transaction): ${fmt(x.clearingMs)} ms in the API (packing ${fmt(x.packingMs)} ms), closeRound answered in ${fmt(r.clearSeconds * 1000)} ms; ` +
      `CPU: API ${fmt(r.used.apiCpuMs)} ms, PostgreSQL ${fmt(r.used.pgCpuMs)} ms; submitted at ${fmt(r.requests / r.submitSeconds)} requests/s`,
  ].join('\n');
}

/** Per phase: throughput, latency, errors, thresholds. */
function phaseTable(phases: Phase[]): string {
  const rows = [
    [
      'scenario',
      'req/s',
      'bookings/s confirmed',
      'refusals/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'errors',
      'dropped',
      'load gen cores',
      'thresholds',
    ],
  ];
  for (const { result: r, kind } of phases) {
    const b = r.ops.bookCompute;
    const lat =
      kind === 'trivial' || kind === 'quotes'
        ? r.total.latencyMs
        : kind === 'mix'
          ? (r.ops.quotes ?? r.total).latencyMs
          : (b ?? r.total).latencyMs;
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
  return table(rows);
}

/** Per phase: CPU and round trips per confirmed booking, quote or request. */
function costTable(phases: Phase[]): string {
  const costs = [
    [
      'scenario',
      'per',
      'ops',
      'Node CPU ms/op',
      'PostgreSQL CPU ms/op',
      'DB round trips/op',
      'API cores',
      'PostgreSQL cores',
    ],
  ];
  for (const { result: r, kind, used } of phases) {
    if (!used) continue;
    const b = r.ops.bookCompute;
    const per = b && kind !== 'mix' && kind !== 'soak' ? 'confirmed booking' : kind === 'quotes' ? 'quote' : 'request';
    const n = per === 'confirmed booking' ? b.ok : per === 'quote' ? (r.ops.quotes?.ok ?? 0) : r.total.requests;
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
  return table(costs);
}

/** Requests that errored anywhere: phases, subscribers, round submissions, and API processes that exited. */
function errorCount(run: Run): number {
  return (
    run.phases.reduce((a, p) => a + p.result.total.errors, 0) +
    (run.subs?.errors ?? 0) +
    run.exits.length +
    (run.round?.submitErrors ?? 0) +
    (run.round?.problems.length ?? 0)
  );
}

/** Prints the checker's report, the tables and ratios; writes summary.json; sets the exit code. */
export function report(run: Run, checks: CheckResult[], loadBefore: string): void {
  const { o, phases, subs, round, soak, kpis } = run;
  const invariantsOk = checks.every((c) => c.ok);
  const trivial = phases.find((p) => p.kind === 'trivial')?.result.total.perSecond.requests;
  const maxBook = phases.find((p) => p.result.executor.type === 'constant-vus' && p.kind === 'booking')?.result.ops
    .bookCompute?.perSecond.ok;
  const hotBook = phases.find((p) => p.kind === 'hotspot')?.result.ops.bookCompute?.perSecond.ok;
  const mix = phases.find((p) => p.kind === 'mix')?.result;
  const quotes = phases.find((p) => p.kind === 'quotes')?.result;
  const errors = errorCount(run);
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average before the run ${loadBefore}`;
  const lines = [
    '',
    `pflex load test ${run.runId} UTC: ${o.replicas} API process(es), ${machine}, PostgreSQL and load generator on the same box`,
    phaseTable(phases),
    '',
    'cost per operation (CPU from /proc: the API processes, and every PostgreSQL process; round trips counted by the API):',
    costTable(phases),
    '',
    trivial && maxBook
      ? `booking throughput / trivial-query throughput: ${fmt(maxBook)} / ${fmt(trivial)} = ${(maxBook / trivial).toFixed(3)}`
      : '',
    trivial && quotes
      ? `quote throughput / trivial-query throughput: ${fmt(quotes.total.perSecond.ok)} / ${fmt(trivial)} = ${(quotes.total.perSecond.ok / trivial).toFixed(3)}`
      : '',
    maxBook && hotBook
      ? `hot spot / roomy confirmed bookings: ${fmt(hotBook)} / ${fmt(maxBook)} = ${(hotBook / maxBook).toFixed(3)}`
      : '',
    soak
      ? `soak: API RSS ${soak.rss.map((r) => `${fmt(r[Math.min(r.length - 1, 6)] / 2 ** 20)} -> ${fmt(r[r.length - 1] / 2 ** 20)} MiB`).join(', ')} after the first minute (growth ${soak.growth.map((g) => (g * 100).toFixed(1) + ' %').join(', ')})`
      : '',
    quotes ? `quotes/s (quotes only, closed loop): ${fmt(quotes.total.perSecond.ok)}` : '',
    mix
      ? `quotes/s in the mix: ${fmt(mix.ops.quotes?.perSecond.requests ?? 0)} (of ${fmt(mix.total.perSecond.requests)} req/s)`
      : '',
    ...(round ? ['', roundReport(round)] : []),
    ...(kpis ? ['', kpisReport(kpis)] : []),
    subs
      ? `operator subscribers: ${subs.acknowledged}/${subs.connections} connected, ${subs.subscribed} subscribed, ${subs.events} utilizationChanged events, ${subs.errors} errors${subs.errorSamples.length ? ` (${subs.errorSamples[0]})` : ''}`
      : '',
    ...run.exits,
    ...(round?.problems ?? []).slice(0, 10),
    `errors: ${errors}   invariants: ${invariantsOk ? 'PASS' : 'FAIL'}`,
  ].filter(Boolean);
  const summary = {
    run: run.runId,
    options: o,
    machine,
    schema: run.schema,
    targets: run.targets,
    phases: phases.map((p) => ({ ...p.result, used: p.used })),
    round,
    subscribers: subs,
    invariants: checks,
    acknowledgedBookings: run.acks.length,
    soak,
    kpis,
  };
  writeFileSync(join(run.outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  console.log(formatReport(checks));
  console.log(lines.join('\n'));
  for (const p of phases)
    for (const [op, s] of Object.entries(p.result.ops))
      if (s.errorSamples.length) console.log(`  ${p.result.scenario} ${op} errors e.g.: ${s.errorSamples.join(' | ')}`);
  console.log(`results: ${run.outDir}`);
  process.exitCode = invariantsOk && errors === 0 && phases.every((p) => p.result.pass) ? 0 : 1;
}
