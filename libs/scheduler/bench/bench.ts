/**
 * Scheduler benchmark: `npm run bench:scheduler [-- --quick] [-- --grid-only] [-- --baseline <dir>] [-- --mip-seconds N]`.
 * `--grid-only` runs only the grid caps and tariffs section (`--mip-seconds`: its HiGHS time limit
 * per instance, default 3); `--baseline <dir>` (the `src` folder
 * of another checkout of the library, e.g. from `git archive`) adds that code's decisions/s on the
 * same mixes, in the same process. Prints markdown tables:
 * online decisions/s and latency per scenario, horizon scaling, accumulation, batch packing of
 * 100k requests, memory, heap growth over a million decisions, reference-placer speed-up and the
 * MIP gap table. Single-threaded; run it on an otherwise idle core for stable numbers.
 */
import { execSync } from 'node:child_process';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { packBatch } from '../src/batch';
import { Fleet, PlacementBuffer } from '../src/fleet';
import type { InstanceFile, JobRequest, Objective } from '../src/types';
import { referencePlace } from '../test/reference-placer';
import { largeInstance } from './instances';
import { gapRow, gapSummary, gapTable, type GapRow } from './mip';
import { gridSection } from './grid-section';
import { mixRow, mixTable, type MixRow } from './mixes';
import { smallInstance } from './instances';
import { LatencyHistogram } from './latency-histogram';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const quick = process.argv.includes('--quick');
const N = quick ? 20_000 : 100_000;
const SLOTS = 8760;

function fleetOf(inst: InstanceFile): Fleet {
  return Fleet.fromSpec({ slots: inst.slots, clusters: inst.clusters });
}

/** CPU time of this process in ms (user + system): robust to other processes sharing the cores. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const lat = new Float64Array(N);

interface OnlineRow {
  fleet: string;
  load: number;
  slack: string;
  objective: Objective;
  decisions: number;
  placed: number;
  perSec: number;
  p50: number;
  p99: number;
  max: number;
}

/** Online: each request placed then committed if it fits (what the API does per booking). */
function online(
  inst: InstanceFile,
  objective: Objective,
  timed: boolean,
): { perSec: number; placed: number; lat: Float64Array; fleet: Fleet; deciles: number[] } {
  const f = fleetOf(inst);
  const buf = new PlacementBuffer();
  const jobs = inst.jobs;
  const n = jobs.length;
  let placed = 0;
  const deciles: number[] = [];
  const t0 = cpuMs();
  let td = t0;
  for (let i = 0; i < n; i++) {
    const a = timed ? performance.now() : 0;
    if (f.placeInto(jobs[i], objective, buf) === null) {
      f.commitBuffer(buf);
      placed++;
    }
    if (timed) lat[i] = performance.now() - a;
    if ((i + 1) % (n / 10) === 0) {
      const now = cpuMs();
      deciles.push((n / 10 / (now - td)) * 1000);
      td = now;
    }
  }
  const ms = cpuMs() - t0;
  return { perSec: (n / ms) * 1000, placed, lat: lat.subarray(0, n), fleet: f, deciles };
}

function fmt(x: number, d = 0): string {
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

function machine(): string {
  let model = cpus()[0]?.model ?? '?';
  try {
    model = execSync("lscpu | grep 'Model name'", { encoding: 'utf8' })
      .replace(/Model name:\s*/, '')
      .trim();
  } catch {
    /* lscpu missing */
  }
  let nproc = String(cpus().length);
  try {
    nproc = execSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    /* nproc missing */
  }
  return `nproc ${nproc}; CPU ${model}; node ${process.version}; ${new Date().toISOString()}${quick ? '; --quick' : ''}`;
}

async function main(): Promise<void> {
  console.log(
    `# pflex scheduler bench\n\n${machine()}; load average ${execSync('cat /proc/loadavg', { encoding: 'utf8' }).trim()}\n\nThroughput is per CPU-second of the bench process (process.cpuUsage), so that other processes on the shared cores do not count against it.\n`,
  );
  if (process.argv.includes('--grid-only')) return gridSection(quick, fmt);

  // 1. online scenarios --------------------------------------------------------------------
  console.log(
    `## Online placement (${fmt(N)} requests each, ${fmt(SLOTS)} slots, place + commit; decisions per CPU-second of this process; latency = wall clock per decision, includes preemption by other processes)\n`,
  );
  console.log('| fleet | load | slack | objective | placed | decisions/s | p50 µs | p99 µs | max µs |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  const rows: OnlineRow[] = [];
  // steady state: every placement and commit path is compiled by the JIT before the first timed row
  for (const clusters of [1, 10])
    for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as Objective[])
      online(
        largeInstance({ clusters, slots: SLOTS, jobs: 20_000, load: 1, maxSlack: 168, objective: obj, seed: 7 }),
        obj,
        false,
      );
  const fleets = [
    { name: '1 x 2,100 PF', clusters: 1 },
    { name: '10 clusters', clusters: 10 },
  ];
  const slacks = [
    { name: '0-6 h', max: 6 },
    { name: '0-168 h', max: 168 },
  ];
  for (const fl of fleets)
    for (const load of [0.8, 1.0, 1.2])
      for (const sl of slacks)
        for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as Objective[]) {
          const inst = largeInstance({
            clusters: fl.clusters,
            slots: SLOTS,
            jobs: N,
            load,
            maxSlack: sl.max,
            objective: obj,
            seed: 11,
          });
          online(inst, obj, false); // warm-up (JIT)
          const untimed = online(inst, obj, false);
          const timed = online(inst, obj, true);
          const h = new LatencyHistogram(1e6); // ns: a decision takes microseconds
          for (let i = 0; i < timed.lat.length; i++) h.record(timed.lat[i]);
          const r: OnlineRow = {
            fleet: fl.name,
            load,
            slack: sl.name,
            objective: obj,
            decisions: N,
            placed: untimed.placed / N,
            perSec: untimed.perSec,
            p50: h.percentile(0.5) * 1000,
            p99: h.percentile(0.99) * 1000,
            max: h.max * 1000,
          };
          rows.push(r);
          console.log(
            `| ${r.fleet} | ${load} | ${sl.name} | ${obj} | ${(r.placed * 100).toFixed(1)}% | ${fmt(r.perSec)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(0)} |`,
          );
        }

  // 1b. minGreenShare
  {
    const inst = largeInstance({
      clusters: 10,
      slots: SLOTS,
      jobs: N,
      load: 1.0,
      maxSlack: 168,
      objective: 'EARLIEST',
      minGreenShare: 0.3,
      seed: 12,
    });
    online(inst, 'EARLIEST', false);
    const r = online(inst, 'EARLIEST', false);
    console.log(
      `\nEARLIEST with minGreenShare 0.3, 10 clusters, load 1.0, slack 0-168 h: ${fmt(r.perSec)} decisions/s, placed ${((r.placed / N) * 100).toFixed(1)}%`,
    );
  }

  // 1c. booking-shaped mixes: warm rate, and the one-shot CLI beside the plain placer ---------
  {
    console.log(
      '\n## Booking-shaped mixes (jobs 1-24 h, windows 1-4 days, objectives evenly mixed, a third with minGreenShare 0.1-0.5, a quarter on 1-3 named clusters; online, place + commit)\n',
    );
    console.log(
      'Warm = decisions per CPU-second, best of at least 3 runs in this process (more for small instances, so that the code is compiled). One-shot = the seconds each program reports itself in a fresh process (`stats.seconds` of the CLI; the plain O(clusters x window x hours) placer of bench/plain-placer.ts counted the same way: from the parsed JSON to the finished result, JIT warm-up included), best of ' +
        (quick ? 1 : 3) +
        ' runs. Same answers = identical (job, cluster, start) lists.\n',
    );
    const cfg: [number, number, number][] = quick
      ? [
          [1, 720, 1.15],
          [10, 720, 1.15],
          [10, 8760, 1.15],
        ]
      : [1, 3, 10].flatMap((c) =>
          [720, 8760].flatMap((s) => [1.0, 1.3].map((l): [number, number, number] => [c, s, l])),
        );
    const mr: MixRow[] = cfg.map(([c, s, l]) => mixRow(c, s, l, 100 + c * 10 + s + Math.round(l * 10), quick ? 1 : 3));
    console.log(mixTable(mr, fmt));
  }

  // 2. accumulation ------------------------------------------------------------------------
  {
    const inst = largeInstance({
      clusters: 1,
      slots: SLOTS,
      jobs: N,
      load: 1.2,
      maxSlack: 168,
      objective: 'EARLIEST',
      seed: 13,
    });
    online(inst, 'EARLIEST', false);
    const a = online(inst, 'EARLIEST', false);
    const inst2 = largeInstance({
      clusters: 10,
      slots: SLOTS,
      jobs: N,
      load: 1.2,
      maxSlack: 168,
      objective: 'GREENEST',
      seed: 13,
    });
    online(inst2, 'GREENEST', false);
    const b = online(inst2, 'GREENEST', false);
    console.log('\n## As bookings accumulate (decisions/s per tenth of the run, load 1.2, slack 0-168 h)\n');
    console.log(`| run | ${a.deciles.map((_, i) => `${i * 10}-${i * 10 + 10}%`).join(' | ')} |`);
    console.log(`|---|${a.deciles.map(() => '---').join('|')}|`);
    console.log(`| 1 cluster EARLIEST | ${a.deciles.map((x) => fmt(x)).join(' | ')} |`);
    console.log(`| 10 clusters GREENEST | ${b.deciles.map((x) => fmt(x)).join(' | ')} |`);
  }

  // 3. horizon scaling: place-only on a timeline filled to ~70% ------------------------------
  console.log(
    '\n## Per-placement cost as the horizon grows (place only, timeline pre-filled to ~0.7 load, 1 cluster, 20k queries, slack 0-168 h)\n',
  );
  console.log('| slots | EARLIEST µs | GREENEST µs | CHEAPEST µs | bytes / cluster-slot |');
  console.log('|---|---|---|---|---|');
  for (const slots of [1_000, 10_000, 100_000]) {
    const fillJobs = Math.round((slots / SLOTS) * (quick ? 20_000 : 100_000));
    const fill = largeInstance({
      clusters: 1,
      slots,
      jobs: Math.max(100, fillJobs),
      load: 0.7,
      maxSlack: 168,
      objective: 'EARLIEST',
      seed: 21,
    });
    const { fleet } = online(fill, 'EARLIEST', false);
    const queries = largeInstance({
      clusters: 1,
      slots,
      jobs: 20_000,
      load: 0.7 * (fillJobs / 20_000),
      maxSlack: 168,
      seed: 22,
    }).jobs;
    const buf = new PlacementBuffer();
    const cost: string[] = [];
    for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as Objective[]) {
      for (let w = 0; w < 2; w++) for (const q of queries) fleet.placeInto(q, obj, buf);
      const t0 = cpuMs();
      for (let rep = 0; rep < 3; rep++) for (const q of queries) fleet.placeInto(q, obj, buf);
      cost.push((((cpuMs() - t0) / (3 * queries.length)) * 1000).toFixed(2));
    }
    console.log(`| ${fmt(slots)} | ${cost.join(' | ')} | ${fleet.bytesPerClusterSlot().toFixed(2)} |`);
  }

  // 4. reference placer speed-up ------------------------------------------------------------
  console.log('\n## Fast placer vs plain reference placer (same state, same requests, place only)\n');
  console.log('| fleet | objective | requests | fast µs | reference µs | speed-up | same answer |');
  console.log('|---|---|---|---|---|---|---|');
  for (const fl of fleets) {
    const fill = largeInstance({
      clusters: fl.clusters,
      slots: SLOTS,
      jobs: N,
      load: 0.8,
      maxSlack: 168,
      objective: 'EARLIEST',
      seed: 31,
    });
    const { fleet } = online(fill, 'EARLIEST', false);
    const qs = largeInstance({
      clusters: fl.clusters,
      slots: SLOTS,
      jobs: quick ? 300 : 2000,
      load: 0.01,
      maxSlack: 168,
      seed: 32,
    }).jobs;
    for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as Objective[]) {
      const buf = new PlacementBuffer();
      for (const q of qs) fleet.placeInto(q, obj, buf);
      const t0 = cpuMs();
      for (let rep = 0; rep < 5; rep++) for (const q of qs) fleet.placeInto(q, obj, buf);
      const fast = (cpuMs() - t0) / (5 * qs.length);
      let same = 0;
      const t1 = cpuMs();
      const refs = qs.map((q) => referencePlace(fleet, q, obj));
      const ref = (cpuMs() - t1) / qs.length;
      qs.forEach((q, i) => {
        const d = fleet.place(q, obj);
        const r = refs[i];
        if (
          typeof r === 'string'
            ? !d.ok && d.reason === r
            : d.ok &&
              (obj === 'CHEAPEST'
                ? Math.abs(d.placement.price.total - r.total) <= 1e-6 * r.total
                : d.placement.start === r.start && d.placement.clusterIndex === r.clusterIndex)
        )
          same++;
      });
      console.log(
        `| ${fl.name} | ${obj} | ${qs.length} | ${(fast * 1000).toFixed(2)} | ${(ref * 1000).toFixed(1)} | ${fmt(ref / fast, 0)}x | ${same}/${qs.length} |`,
      );
    }
  }

  // 5. batch packing ------------------------------------------------------------------------
  console.log(
    `\n## Batch packing (${fmt(N)} requests, 10 clusters, ${fmt(SLOTS)} slots, mixed objectives, slack 0-168 h)\n`,
  );
  console.log('| load | time | PF-h placed (batch) | PF-h placed (online) | batch / online | winner |');
  console.log('|---|---|---|---|---|---|');
  for (const load of [1.0, 1.2]) {
    const inst = largeInstance({
      clusters: 10,
      slots: SLOTS,
      jobs: N,
      load,
      maxSlack: 168,
      objective: 'mixed',
      seed: 41,
    });
    const f = fleetOf(inst);
    const t0 = performance.now();
    const c0 = cpuMs();
    const res = packBatch(f, inst.jobs, { timeBudgetMs: 1500 });
    const s = (performance.now() - t0) / 1000;
    const cs = (cpuMs() - c0) / 1000;
    console.log(
      `| ${load} | ${s.toFixed(2)} wall / ${cs.toFixed(2)} CPU | ${fmt(res.pflopsHours)} | ${fmt(res.onlinePflopsHours)} | ${(res.pflopsHours / res.onlinePflopsHours).toFixed(4)} | ${res.strategy} |`,
    );
  }

  // 6. memory -------------------------------------------------------------------------------
  {
    gc();
    const before = process.memoryUsage();
    const inst = largeInstance({ clusters: 10, slots: SLOTS, jobs: 10, load: 0.5, maxSlack: 24, seed: 51 });
    const f = fleetOf(inst);
    gc();
    const after = process.memoryUsage();
    void before;
    void after;
    console.log('\n## Memory\n');
    console.log(
      `- typed arrays: ${f.bytesPerClusterSlot().toFixed(2)} bytes per cluster-slot (10 clusters x 8,760 slots)`,
    );
    console.log(`- process peak RSS so far: ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`);
  }

  // 7. heap growth over a million decisions (placeInto on a fixed state: the zero-garbage path)
  {
    const inst = largeInstance({
      clusters: 10,
      slots: SLOTS,
      jobs: N,
      load: 0.8,
      maxSlack: 168,
      objective: 'EARLIEST',
      seed: 61,
    });
    const { fleet } = online(inst, 'EARLIEST', false);
    const qs = largeInstance({ clusters: 10, slots: SLOTS, jobs: 1000, load: 0.01, maxSlack: 168, seed: 62 })
      .jobs as JobRequest[];
    const buf = new PlacementBuffer();
    const M = quick ? 200_000 : 1_000_000;
    const objs: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];
    for (let i = 0; i < 30_000; i++) fleet.placeInto(qs[i % 1000], objs[i % 3], buf);
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const minorBefore = 0;
    const t0 = cpuMs();
    for (let i = 0; i < M; i++) fleet.placeInto(qs[i % 1000], objs[i % 3], buf);
    const ms = cpuMs() - t0;
    const h1 = process.memoryUsage().heapUsed;
    gc();
    const h2 = process.memoryUsage().heapUsed;
    void minorBefore;
    console.log(`\n## Heap over ${fmt(M)} decisions (placeInto, objectives rotating, 10 clusters)\n`);
    console.log(
      `- heap before ${fmt(h0 / 1024)} KiB, after (no GC) ${fmt(h1 / 1024)} KiB (+${fmt((h1 - h0) / 1024)} KiB, ${((h1 - h0) / M).toFixed(3)} bytes/decision), after GC ${fmt(h2 / 1024)} KiB; ${fmt((M / ms) * 1000)} decisions/s`,
    );
  }

  // 8. MIP gap ------------------------------------------------------------------------------
  {
    const count = quick ? 5 : 30;
    const limit = quick ? 0.4 : 3;
    console.log(
      `\n## Batch vs MIP optimum (${count} small seeded instances, HiGHS time limit ${limit} s, warm start from batch)\n`,
    );
    const gr: GapRow[] = [];
    for (let seed = 1; seed <= count; seed++) gr.push(await gapRow(seed, smallInstance(seed), limit));
    console.log('```');
    console.log(gapTable(gr));
    console.log('```');
    const s = gapSummary(gr);
    void s;
  }

  await gridSection(quick, fmt);

  // summary vs targets ------------------------------------------------------------------------
  const get = (fl: string, obj: Objective, load: number, slack: string): OnlineRow | undefined =>
    rows.find((r) => r.fleet === fl && r.objective === obj && r.load === load && r.slack === slack);
  const e1 = rows.filter((r) => r.fleet === fleets[0].name && r.objective === 'EARLIEST');
  const g10 = rows.filter((r) => r.fleet === fleets[1].name && r.objective === 'GREENEST');
  console.log('\n## Targets\n');
  console.log(
    `- EARLIEST, 1 cluster: ${e1.map((r) => fmt(r.perSec)).join(' / ')} decisions/s across the 6 load x slack cases (target >= 1,000,000)`,
  );
  console.log(`- GREENEST, 10 clusters: ${g10.map((r) => fmt(r.perSec)).join(' / ')} decisions/s (target >= 250,000)`);
  console.log(`- worst p99 over all scenarios: ${Math.max(...rows.map((r) => r.p99)).toFixed(1)} µs (target < 50 µs)`);
  void get;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
