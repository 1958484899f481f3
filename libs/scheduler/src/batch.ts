import { Fleet, PlacementBuffer } from './fleet';
import { tflopsToPflops, toTflops } from './domain/units';
import type { JobRequest, Objective, Placement, RefusalReason } from './types';
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

interface Run {
  name: string;
  /** each job placed with its own objective (the passes that honour objectives) */
  own: boolean;
  fleet: Fleet;
  handles: Int32Array;
  reasons: (RefusalReason | null)[];
  vol: number;
  green: number;
  startSum: number;
}

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
  const runPass = (s: BatchStrategy, stopAt: number): Run | null => {
    const f = fleet.clone();
    const order = orderOf(s.order);
    const handles = new Int32Array(n);
    const reasons = new Array<RefusalReason | null>(n).fill(null);
    let v = 0;
    let g = 0;
    let st = 0;
    for (let k = 0; k < n; k++) {
      if ((k & 1023) === 1023 && performance.now() > stopAt) return null;
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
  const online = runPass({ order: 'arrival', objective: 'own' }, Infinity) as Run;
  // committing the winner costs well under half a pass: keep that much of the budget for it
  const budget = budget0 - 0.4 * (performance.now() - tPass);
  const onlineVol = online.vol;
  let best = online;
  const strategies = opts.strategies ?? DEFAULT_STRATEGIES;
  for (const s of strategies) {
    if (performance.now() - t0 > budget) break;
    if (s.order === 'arrival' && s.objective === 'own') continue;
    // a pass that would overrun the budget is abandoned midway
    const r = runPass(s, t0 + budget);
    if (r === null) break;
    if (better(r, best)) best = r;
  }
  if (opts.improve !== false)
    improve(
      best,
      jobs,
      vol,
      t0,
      budget,
      buf,
      opts.iterations ?? Math.min(20000, Math.ceil(4e6 / Math.max(1, n))),
      opts.seed ?? 1,
    );

  const { placements, unplaced, placedVol } = commitWinner(fleet, jobs, best, vol, buf);
  return {
    placements,
    unplaced,
    strategy: best.name,
    pflopsHours: tflopsToPflops(placedVol),
    onlinePflopsHours: tflopsToPflops(onlineVol),
  };
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

/** Restores a remembered assignment: minGreenShare jobs with their exact green first, then the rest at their (cluster, start). */
function rebuild(
  run: Run,
  jobs: JobRequest[],
  bestC: Int32Array,
  bestS: Int32Array,
  bestP: (Placement | null)[],
  buf: PlacementBuffer,
): void {
  const f = run.fleet;
  const n = jobs.length;
  for (let i = 0; i < n; i++) {
    if (run.handles[i] !== 0) f.release(run.handles[i]);
    run.handles[i] = 0;
  }
  for (let i = 0; i < n; i++) {
    const p = bestP[i];
    if (p) {
      run.handles[i] = f.commit(p);
      run.reasons[i] = null;
    }
  }
  for (let i = 0; i < n; i++) {
    if (bestC[i] < 0 || bestP[i]) {
      if (bestC[i] < 0 && run.reasons[i] === null) run.reasons[i] = 'NO_CAPACITY';
      continue;
    }
    const j = jobs[i];
    const fixed: JobRequest = {
      pflops: j.pflops,
      hours: j.hours,
      earliest: bestS[i],
      deadline: bestS[i] + j.hours,
      clusters: [f.clusterIds[bestC[i]]],
    };
    if (f.placeInto(fixed, 'EARLIEST', buf) !== null) throw new Error(`batch rebuild: job ${i} no longer fits`);
    run.handles[i] = f.commitBuffer(buf);
    run.reasons[i] = null;
  }
}

/** mulberry32: deterministic randomness for the improvement pass. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ruin-and-recreate improvement on a finished run: pick a random cluster and time window,
 * release the bookings overlapping it, then re-insert them together with the unplaced jobs
 * whose windows overlap it, largest first (EARLIEST). Kept when PFLOPS-hours grow (or stay
 * equal with at least as much green), undone exactly otherwise. Deterministic for a given
 * seed and iteration count; stops early at the time budget.
 */
function improve(
  run: Run,
  jobs: JobRequest[],
  vol: Float64Array,
  t0: number,
  budget: number,
  buf: PlacementBuffer,
  iterations: number,
  seed: number,
): void {
  const f = run.fleet;
  const n = jobs.length;
  const r = rng(seed);
  const nc = f.clusterIds.length;
  const caps = f.hasGridCaps();
  let maxH = 1;
  for (let i = 0; i < n; i++) if (jobs[i].hours > maxH) maxH = jobs[i].hours;
  // allowed[i * nc + c] = 1 when job i may run on cluster c
  const allowed = new Uint8Array(n * nc);
  for (let i = 0; i < n; i++) {
    const cl = jobs[i].clusters;
    if (!cl) allowed.fill(1, i * nc, i * nc + nc);
    else for (const id of cl) allowed[i * nc + f.clusterIndex(id)] = 1;
  }
  // unplaced jobs that could ever fit somewhere
  let un: number[] = [];
  for (let i = 0; i < n; i++) if (run.handles[i] === 0 && run.reasons[i] !== 'OUTSIDE_HORIZON') un.push(i);
  // placed jobs per cluster
  const onCluster: Set<number>[] = Array.from({ length: nc }, () => new Set<number>());
  for (let i = 0; i < n; i++) if (run.handles[i] !== 0) onCluster[f.bookingCluster(run.handles[i])].add(i);
  const saved: Placement[] = [];
  const removed: number[] = [];
  const cand: number[] = [];
  const inserted: number[] = [];
  const key = new Float64Array(n);
  let changed = false;
  // simulated annealing on PFLOPS-hours with the best state remembered as (cluster, start) per
  // job, plus exact green for jobs with a minGreenShare (so a rebuild can honour it)
  let cur = run.vol;
  let best = run.vol;
  const bestC = new Int32Array(n);
  const bestS = new Int32Array(n);
  const bestP = new Array<Placement | null>(n).fill(null);
  const snapshot = (): void => {
    for (let i = 0; i < n; i++) {
      const h = run.handles[i];
      bestC[i] = h === 0 ? -1 : f.bookingCluster(h);
      bestS[i] = h === 0 ? -1 : f.bookingStart(h);
      bestP[i] = h !== 0 && (jobs[i].minGreenShare ?? 0) > 0 ? f.placementOf(h, jobs[i].id) : null;
    }
  };
  snapshot();
  let meanVol = 0;
  for (let i = 0; i < n; i++) meanVol += vol[i] / n;
  const t0Temp = 0.05 * meanVol;
  for (let it = 0; it < iterations && un.length > 0; it++) {
    if ((it & 15) === 0 && performance.now() - t0 > budget) break;
    // ruin one cluster (c >= 0) or every cluster (c = -1) over [a, a + w)
    const c = r() < 0.5 ? -1 : Math.floor(r() * nc);
    const w = 1 + Math.floor(r() * 2 * maxH);
    const a = Math.floor(r() * f.slots);
    const b = a + w;
    removed.length = 0;
    saved.length = 0;
    cand.length = 0;
    inserted.length = 0;
    for (let q = c < 0 ? 0 : c; q < (c < 0 ? nc : c + 1); q++) {
      for (const i of onCluster[q]) {
        const s = f.bookingStart(run.handles[i]);
        if (s < b && s + jobs[i].hours > a) removed.push(i);
      }
    }
    for (const i of un) {
      const j = jobs[i];
      if ((c < 0 || allowed[i * nc + c] === 1) && j.earliest < b && j.deadline > a) cand.push(i);
    }
    if (cand.length === 0) continue;
    let lost = 0;
    let lostGreen = 0;
    for (const i of removed) {
      const h = run.handles[i];
      saved.push(f.placementOf(h, jobs[i].id));
      lostGreen += f.bookingGreenWh(h);
      onCluster[f.bookingCluster(h)].delete(i);
      f.release(h);
      run.handles[i] = 0;
      lost += vol[i];
    }
    for (const i of removed) cand.push(i);
    // largest first with random noise (sometimes a lot) so repeated windows explore other orders
    const noise = r() < 0.7 ? r() * 0.3 : 4;
    for (const i of cand) key[i] = vol[i] * (1 + noise * r());
    cand.sort((x, y) => key[y] - key[x]);
    // behind grid caps green lowers the grid a job draws, so GREENEST re-inserts too
    const q = r();
    const obj: Objective = q < (caps ? 0.6 : 0.8) ? 'EARLIEST' : q < 0.8 ? 'GREENEST' : 'CHEAPEST';
    let gained = 0;
    let gainedGreen = 0;
    for (const i of cand) {
      if (f.placeInto(jobs[i], obj, buf) !== null) continue;
      const h = f.commitBuffer(buf);
      run.handles[i] = h;
      inserted.push(i);
      gained += vol[i];
      gainedGreen += buf.greenWh;
    }
    const temp = t0Temp * (1 - it / iterations);
    const delta = gained - lost;
    if (
      delta > 0 ||
      (delta === 0 && gainedGreen >= lostGreen && inserted.length > 0) ||
      (delta < 0 && temp > 0 && r() < Math.exp(delta / temp))
    ) {
      cur += delta;
      for (const i of inserted) {
        onCluster[f.bookingCluster(run.handles[i])].add(i);
        run.reasons[i] = null;
      }
      for (const i of removed) if (run.handles[i] === 0) run.reasons[i] = 'NO_CAPACITY';
      if (cur > best) {
        best = cur;
        changed = true;
        snapshot();
      }
      un = [];
      for (let i = 0; i < n; i++) if (run.handles[i] === 0 && run.reasons[i] !== 'OUTSIDE_HORIZON') un.push(i);
    } else {
      for (const i of inserted) {
        f.release(run.handles[i]);
        run.handles[i] = 0;
      }
      for (let k = 0; k < removed.length; k++) {
        const i = removed[k];
        run.handles[i] = f.commit(saved[k]);
        onCluster[saved[k].clusterIndex].add(i);
      }
    }
  }
  if (cur < best || (!changed && cur !== run.vol)) rebuild(run, jobs, bestC, bestS, bestP, buf);
  else if (!changed) return;
  let v = 0;
  let g = 0;
  let st = 0;
  for (let i = 0; i < n; i++) {
    const h = run.handles[i];
    if (h === 0) continue;
    v += vol[i];
    g += f.bookingGreenWh(h);
    st += f.bookingStart(h);
  }
  run.vol = v;
  run.green = g;
  run.startSum = st;
  run.name += '+improve';
}
