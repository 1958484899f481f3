import { Fleet, PlacementBuffer } from './fleet';
import { tflopsToPflops, toTflops } from './domain/units';
import type { JobRequest, Objective, Placement, RefusalReason } from './types';
import { improve, type Run } from './batch-improve';
import { fail } from './validate';

/** One greedy pass: an ordering of the jobs and the objective each job is placed with. */
export interface BatchStrategy {
  /** arrival = input order; size = PFLOPS-hours desc; tight = least slack first; deadline = earliest deadline first */
  order: 'arrival' | 'size' | 'tight' | 'deadline';
  /** 'own' = each job's objective (default EARLIEST); otherwise that objective for every job */
  objective: 'own' | Objective;
}

export interface BatchOptions {
  /** greedy passes to try (arrival/own, the online order, is always tried first) */
  strategies?: BatchStrategy[];
  /**
   * wall-clock budget for the whole call, ms (default 1500): extra passes and the improvement
   * pass stop early enough to leave room for committing the result; the online pass always runs
   */
  timeBudgetMs?: number;
  /** run the ruin-and-recreate improvement pass (default true) */
  improve?: boolean;
  /** improvement iterations (default min(20000, 4e6 / jobs)); the time budget may stop it earlier */
  iterations?: number;
  /** seed of the improvement pass (default 1) */
  seed?: number;
}

export interface BatchResult {
  /** committed placements, in commit order */
  placements: Placement[];
  unplaced: { job: string; reason: RefusalReason }[];
  /** which pass won, e.g. "size/EARLIEST+improve" */
  strategy: string;
  /** PFLOPS-hours placed by the result and by the online (arrival order) pass */
  pflopsHours: number;
  onlinePflopsHours: number;
}

export const DEFAULT_STRATEGIES: readonly BatchStrategy[] = [
  { order: 'size', objective: 'EARLIEST' },
  { order: 'tight', objective: 'EARLIEST' },
  { order: 'size', objective: 'own' },
  { order: 'arrival', objective: 'EARLIEST' },
  { order: 'deadline', objective: 'EARLIEST' },
  { order: 'tight', objective: 'own' },
];

/**
 * Whether pass `a` beats `b`: more PFLOPS-hours; at equal PFLOPS-hours a pass that places each job
 * with its own objective (a CHEAPEST job where it is cheapest), so that a job lands elsewhere than
 * its objective puts it only when that places more; then more green MWh, then earlier starts.
 */
function better(a: Run, b: Run): boolean {
  if (a.vol !== b.vol) return a.vol > b.vol;
  if (a.own !== b.own) return a.own;
  if (a.green !== b.green) return a.green > b.green;
  return a.startSum < b.startSum;
}

function jobName(j: JobRequest, i: number): string {
  return j.id !== undefined ? j.id : `#${i}`;
}

/**
 * Batch packing: maximises PFLOPS-hours placed; among packings that place as much, one that
 * places each job with its own objective, then green MWh, then earliness (sum of starts). Tries the online order first (so the result is never worse than online placement),
 * then other greedy orderings on clones of the fleet while the time budget lasts, keeps the best,
 * then runs a ruin-and-recreate pass (release the bookings in a random cluster window, re-insert
 * them with the unplaced jobs largest first, keep if PFLOPS-hours grow). The winner is committed
 * onto `fleet`.
 * All jobs are validated first; an invalid job throws SchedulerInputError before anything changes.
 * Complexity: O(passes x jobs x placement cost) + the bounded improvement pass.
 */
export function packBatch(fleet: Fleet, jobs: JobRequest[], opts: BatchOptions = {}): BatchResult {
  const g = packing(fleet, jobs, opts);
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/**
 * `packBatch` for a caller that must keep its event loop turning (an API process clearing a round
 * of thousands of requests): the same packing, same result, paused every `sliceMs` of work for one
 * turn of the event loop (setImmediate), so that other requests are answered meanwhile. A time
 * budget counts wall time, pauses included; without one (iterations only) the result is
 * identical to `packBatch`'s.
 */
export async function packBatchAsync(
  fleet: Fleet,
  jobs: JobRequest[],
  opts: BatchOptions = {},
  sliceMs = 20,
): Promise<BatchResult> {
  const g = packing(fleet, jobs, opts);
  let slice = performance.now();
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    if (performance.now() - slice >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      slice = performance.now();
    }
  }
}

/** The packing as a generator: it yields where a caller may pause (every 1,024 jobs of a pass, every improvement iteration, every 256 jobs of a settling sweep). */
function* packing(fleet: Fleet, jobs: JobRequest[], opts: BatchOptions): Generator<void, BatchResult, void> {
  const t0 = performance.now();
  if (!Array.isArray(jobs)) fail('', 'jobs', 'an array of jobs', jobs);
  for (let i = 0; i < jobs.length; i++) fleet.checkJob(jobs[i]);
  const budget0 = opts.timeBudgetMs ?? 1500;
  const n = jobs.length;
  const tf = new Float64Array(n);
  const vol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tf[i] = toTflops(jobs[i].pflops);
    vol[i] = tf[i] * jobs[i].hours;
  }
  const orders = new Map<string, Int32Array>();
  const orderOf = (o: BatchStrategy['order']): Int32Array => {
    let a = orders.get(o);
    if (a) return a;
    const idx = Array.from({ length: n }, (_, i) => i);
    if (o === 'size') idx.sort((x, y) => vol[y] - vol[x] || x - y);
    else if (o === 'tight') {
      const slack = (j: JobRequest): number => j.deadline - j.earliest - j.hours;
      idx.sort((x, y) => slack(jobs[x]) - slack(jobs[y]) || vol[y] - vol[x] || x - y);
    } else if (o === 'deadline') idx.sort((x, y) => jobs[x].deadline - jobs[y].deadline || vol[y] - vol[x] || x - y);
    a = Int32Array.from(idx);
    orders.set(o, a);
    return a;
  };

  const buf = new PlacementBuffer();
  /** One greedy pass on a clone; null when it passes the `stopAt` deadline (performance.now() ms) midway. */
  const runPass = function* (s: BatchStrategy, stopAt: number): Generator<void, Run | null, void> {
    const f = fleet.clone();
    const order = orderOf(s.order);
    const handles = new Int32Array(n);
    const reasons = new Array<RefusalReason | null>(n).fill(null);
    let v = 0;
    let g = 0;
    let st = 0;
    for (let k = 0; k < n; k++) {
      if ((k & 1023) === 1023) {
        if (performance.now() > stopAt) return null;
        yield;
      }
      const i = order[k];
      const j = jobs[i];
      const obj: Objective = s.objective === 'own' ? (j.objective ?? 'EARLIEST') : s.objective;
      const r = f.placeInto(j, obj, buf);
      if (r !== null) {
        reasons[i] = r;
        continue;
      }
      handles[i] = f.commitBuffer(buf);
      v += vol[i];
      g += buf.greenWh;
      st += buf.start;
    }
    return {
      name: `${s.order}/${s.objective}`,
      own: s.objective === 'own',
      fleet: f,
      handles,
      reasons,
      vol: v,
      green: g,
      startSum: st,
    };
  };

  const tPass = performance.now();
  const online = (yield* runPass({ order: 'arrival', objective: 'own' }, Infinity)) as Run;
  const passMs = performance.now() - tPass;
  // committing the winner costs well under half a pass: keep that much of the budget for it
  const budget = budget0 - 0.4 * passMs;
  const onlineVol = online.vol;
  let best = online;
  const strategies = opts.strategies ?? DEFAULT_STRATEGIES;
  for (const s of strategies) {
    if (performance.now() - t0 > budget) break;
    if (s.order === 'arrival' && s.objective === 'own') continue;
    // a pass that would overrun the budget is abandoned midway
    const r = yield* runPass(s, t0 + budget);
    if (r === null) break;
    if (better(r, best)) best = r;
  }
  if (opts.improve !== false)
    yield* improve(
      best,
      jobs,
      vol,
      t0,
      // a sweep of settleOwn costs about a pass: keep one for it
      budget - passMs,
      buf,
      opts.iterations ?? Math.min(20000, Math.ceil(4e6 / Math.max(1, n))),
      opts.seed ?? 1,
    );

  yield* settleOwn(best, jobs, buf, t0 + budget);

  const { placements, unplaced, placedVol } = commitWinner(fleet, jobs, best, vol, buf);
  return {
    placements,
    unplaced,
    strategy: best.name,
    pflopsHours: tflopsToPflops(placedVol),
    onlinePflopsHours: tflopsToPflops(onlineVol),
  };
}

/** Most sweeps of `settleOwn`. */
const SETTLE_SWEEPS = 4;

/**
 * Puts each placed job where its own objective puts it with every other job where it is: a pass
 * with another objective, or the improvement, may have left a job elsewhere although its own
 * place was free (a CHEAPEST job at the earliest start). In job order: release the job, place it
 * again by its objective, and keep the new place if it differs (its old place is still a
 * candidate, so by its objective it is never worse; PFLOPS-hours do not change). Sweeps until
 * one moves nothing (at most SETTLE_SWEEPS), or until `stopAt` (performance.now() ms).
 */
function* settleOwn(run: Run, jobs: JobRequest[], buf: PlacementBuffer, stopAt: number): Generator<void, void, void> {
  const f = run.fleet;
  const n = jobs.length;
  for (let sweep = 0; sweep < SETTLE_SWEEPS; sweep++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      const h = run.handles[i];
      if (h === 0) continue;
      if ((i & 255) === 255) {
        if (performance.now() > stopAt) return;
        yield;
      }
      const j = jobs[i];
      const c = f.bookingCluster(h);
      const s = f.bookingStart(h);
      const was = f.placementOf(h, j.id);
      f.release(h);
      if (f.placeInto(j, j.objective ?? 'EARLIEST', buf) !== null || (buf.clusterIndex === c && buf.start === s)) {
        run.handles[i] = f.commit(was);
        continue;
      }
      run.handles[i] = f.commitBuffer(buf);
      moved = true;
    }
    if (!moved) return;
  }
}

/**
 * Commits the winning set onto the caller's fleet, each placement at its (cluster, start) taking
 * its green greedily (min(draw, green still free) per slot), and lists the placements in that
 * commit order: replaying the list in order reproduces every figure (the clone's per-slot green
 * came from another order, with releases in between, so it is not reused). Jobs with a
 * minGreenShare go first, so that they get their green: in the clone's commit order, or the
 * reordering (up to 8 trials on a copy) that leaves fewest of them short; one that would still
 * fall short is placed again at the end with its own objective, or reported unplaced.
 */
function commitWinner(
  fleet: Fleet,
  jobs: JobRequest[],
  best: Run,
  vol: Float64Array,
  buf: PlacementBuffer,
): { placements: Placement[]; unplaced: { job: string; reason: RefusalReason }[]; placedVol: number } {
  const n = jobs.length;
  const f = best.fleet;
  const placements: Placement[] = [];
  const unplaced: { job: string; reason: RefusalReason }[] = [];
  const green: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < n; i++) {
    if (best.handles[i] === 0) continue;
    if ((jobs[i].minGreenShare ?? 0) > 0) green.push(i);
    else rest.push(i);
  }
  const byHandle = (x: number, y: number): number => best.handles[x] - best.handles[y];
  green.sort(byHandle);
  rest.sort(byHandle);
  const retry: number[] = [];
  let placedVol = 0;
  const fixedJob = (i: number): JobRequest => {
    const j = jobs[i];
    const h = best.handles[i];
    const s = f.bookingStart(h);
    return {
      pflops: j.pflops,
      hours: j.hours,
      earliest: s,
      deadline: s + j.hours,
      clusters: [f.clusterIds[f.bookingCluster(h)]],
      minGreenShare: j.minGreenShare,
    };
  };
  const commitAt = (i: number): boolean => {
    if (fleet.placeInto(fixedJob(i), 'EARLIEST', buf) !== null) return false;
    placements.push(fleet.placementOf(fleet.commitBuffer(buf), jobs[i].id));
    placedVol += vol[i];
    return true;
  };
  // an earlier job may take green a later one counted on: try a few orders on a copy, each time
  // moving the jobs that fell short to the front, and commit the order with the fewest misses
  let order = green;
  if (green.length > 0) {
    let bestMiss = Infinity;
    let cur = green;
    for (let round = 0; round < 8; round++) {
      const trial = fleet.clone();
      const miss: number[] = [];
      const hit: number[] = [];
      for (const i of cur) {
        if (trial.placeInto(fixedJob(i), 'EARLIEST', buf) === null) {
          trial.commitBuffer(buf);
          hit.push(i);
        } else miss.push(i);
      }
      if (miss.length < bestMiss) {
        bestMiss = miss.length;
        order = cur;
      }
      if (miss.length === 0) break;
      cur = miss.concat(hit);
    }
  }
  for (const i of order) if (!commitAt(i)) retry.push(i);
  for (const i of rest)
    if (!commitAt(i)) throw new Error(`batch: job ${jobName(jobs[i], i)} no longer fits at its place`);
  const why = new Map<number, RefusalReason>();
  for (const i of retry) {
    const j = jobs[i];
    const r = fleet.placeInto(j, j.objective ?? 'EARLIEST', buf);
    if (r !== null) {
      why.set(i, r);
      continue;
    }
    placements.push(fleet.placementOf(fleet.commitBuffer(buf), j.id));
    placedVol += vol[i];
  }
  for (let i = 0; i < n; i++) {
    if (best.handles[i] !== 0 && !why.has(i)) continue;
    let reason = why.get(i) ?? best.reasons[i] ?? 'NO_CAPACITY';
    if (!why.has(i) && reason !== 'OUTSIDE_HORIZON' && reason !== 'INVALID') {
      // the reason is the final state's (a pass's NO_CAPACITY may really be GRID_LIMIT or
      // GREEN_SHORTFALL now); a job that fits there after all is placed
      const j = jobs[i];
      const r = fleet.placeInto(j, j.objective ?? 'EARLIEST', buf);
      if (r === null) {
        placements.push(fleet.placementOf(fleet.commitBuffer(buf), j.id));
        placedVol += vol[i];
        continue;
      }
      reason = r;
    }
    unplaced.push({ job: jobName(jobs[i], i), reason });
  }
  return { placements, unplaced, placedVol };
}
