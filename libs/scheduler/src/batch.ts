import { Fleet, PlacementBuffer } from './fleet';
import type { JobRequest, Objective, Placement, RefusalReason } from './types';

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
  /** wall-clock budget for extra passes and the improvement pass, ms (default 1500); the online pass always runs */
  timeBudgetMs?: number;
  /** run the ejection improvement pass (default true) */
  improve?: boolean;
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
  fleet: Fleet;
  handles: Int32Array;
  reasons: (RefusalReason | null)[];
  vol: number;
  green: number;
  startSum: number;
}

function better(a: Run, b: Run): boolean {
  if (a.vol !== b.vol) return a.vol > b.vol;
  if (a.green !== b.green) return a.green > b.green;
  return a.startSum < b.startSum;
}

function jobName(j: JobRequest, i: number): string {
  return j.id !== undefined ? j.id : `#${i}`;
}

/**
 * Batch packing: maximises PFLOPS-hours placed, then green MWh, then earliness (sum of
 * starts). Tries the online order first (so the result is never worse than online placement),
 * then other greedy orderings on clones of the fleet while the time budget lasts, keeps the best,
 * then runs an ejection pass (swap a smaller booking out for a bigger unplaced job when the
 * smaller one can be re-placed or the swap gains volume). The winner is committed onto `fleet`.
 * All jobs are validated first; an invalid job throws SchedulerInputError before anything changes.
 * Complexity: O(passes x jobs x placement cost) + the bounded improvement pass.
 */
export function packBatch(fleet: Fleet, jobs: JobRequest[], opts: BatchOptions = {}): BatchResult {
  for (let i = 0; i < jobs.length; i++) fleet.checkJob(jobs[i]);
  const t0 = performance.now();
  const budget = opts.timeBudgetMs ?? 1500;
  const n = jobs.length;
  const tf = new Float64Array(n);
  const vol = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    tf[i] = Math.round(jobs[i].pflops * 1000);
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
  const runPass = (s: BatchStrategy): Run => {
    const f = fleet.clone();
    const order = orderOf(s.order);
    const handles = new Int32Array(n);
    const reasons: (RefusalReason | null)[] = new Array(n).fill(null);
    let v = 0;
    let g = 0;
    let st = 0;
    for (let k = 0; k < n; k++) {
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
    return { name: `${s.order}/${s.objective}`, fleet: f, handles, reasons, vol: v, green: g, startSum: st };
  };

  const online = runPass({ order: 'arrival', objective: 'own' });
  const onlineVol = online.vol;
  let best = online;
  const strategies = opts.strategies ?? DEFAULT_STRATEGIES;
  for (const s of strategies) {
    if (performance.now() - t0 > budget) break;
    if (s.order === 'arrival' && s.objective === 'own') continue;
    const r = runPass(s);
    if (better(r, best)) best = r;
  }
  if (opts.improve !== false) improve(best, jobs, vol, t0, budget, buf);

  // commit the winner onto the caller's fleet; the set fits since the clone's final state is valid
  const placements: Placement[] = [];
  const unplaced: { job: string; reason: RefusalReason }[] = [];
  const order = orderOf('arrival');
  let placedVol = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const h = best.handles[i];
    if (h === 0) {
      unplaced.push({ job: jobName(jobs[i], i), reason: best.reasons[i] ?? 'NO_CAPACITY' });
      continue;
    }
    const p = best.fleet.placementOf(h, jobs[i].id);
    fleet.commit(p);
    placements.push(p);
    placedVol += vol[i];
  }
  // commit in start order so that the listed order also replays cleanly
  placements.sort((a, b) => a.start - b.start || a.clusterIndex - b.clusterIndex);
  return {
    placements,
    unplaced,
    strategy: best.name,
    pflopsHours: placedVol / 1000,
    onlinePflopsHours: onlineVol / 1000,
  };
}

/**
 * Ejection pass on a finished run: for each unplaced job (largest first), try releasing one
 * smaller booking that overlaps its window on an allowed cluster, placing the job (EARLIEST),
 * then re-placing the ejected one. Kept when PFLOPS-hours grow, undone otherwise.
 */
function improve(run: Run, jobs: JobRequest[], vol: Float64Array, t0: number, budget: number, buf: PlacementBuffer): void {
  const f = run.fleet;
  const n = jobs.length;
  const un: number[] = [];
  for (let i = 0; i < n; i++) if (run.handles[i] === 0 && run.reasons[i] !== 'OUTSIDE_HORIZON') un.push(i);
  if (un.length === 0) return;
  un.sort((a, b) => vol[b] - vol[a] || a - b);
  const placed: number[] = [];
  for (let i = 0; i < n; i++) if (run.handles[i] !== 0) placed.push(i);
  placed.sort((a, b) => vol[a] - vol[b] || a - b);
  const maxTries = 64;
  let changed = false;
  for (const u of un) {
    if (performance.now() - t0 > budget) break;
    if (run.handles[u] !== 0) continue;
    const ju = jobs[u];
    let tries = 0;
    for (const v of placed) {
      if (vol[v] >= vol[u] || tries >= maxTries) break;
      const hv = run.handles[v];
      if (hv === 0) continue;
      const cv = f.bookingCluster(hv);
      const sv = f.bookingStart(hv);
      if (ju.clusters && !ju.clusters.includes(f.clusterIds[cv])) continue;
      if (sv + jobs[v].hours <= ju.earliest || sv >= ju.deadline) continue;
      tries++;
      const saved = f.placementOf(hv, jobs[v].id);
      f.release(hv);
      run.handles[v] = 0;
      const r = f.placeInto(ju, 'EARLIEST', buf);
      if (r !== null) {
        run.handles[v] = f.commit(saved);
        continue;
      }
      const hu = f.commitBuffer(buf);
      const rv = f.placeInto(jobs[v], 'EARLIEST', buf);
      if (rv === null) {
        run.handles[v] = f.commitBuffer(buf);
      } else {
        run.reasons[v] = rv;
      }
      run.handles[u] = hu;
      run.reasons[u] = null;
      changed = true;
      break;
    }
  }
  if (!changed) return;
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
