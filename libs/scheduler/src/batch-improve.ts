import type { Fleet, PlacementBuffer } from './fleet';
import type { JobRequest, Objective, Placement, RefusalReason } from './types';
import { mulberry32 } from './rng';

// The ruin-and-recreate improvement pass of packBatch (batch.ts), on the winning greedy pass.

/** A greedy pass of packBatch on its own clone of the fleet. */
export interface Run {
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

/**
 * Ruin-and-recreate improvement on a finished run: pick a random cluster and time window,
 * release the bookings overlapping it, then re-insert them together with the unplaced jobs
 * whose windows overlap it, largest first (EARLIEST). A step is kept when PFLOPS-hours grow (or
 * stay equal with at least as much green, or fall within the annealing temperature), undone
 * exactly otherwise. At the end the run is the state with the most PFLOPS-hours seen, and
 * exactly the run it was given (named as before) when no step raised them. Deterministic for a
 * given seed and iteration count; stops early at the time budget. A generator: it yields after
 * each iteration, where its caller may pause (packBatchAsync); the result is the same either way.
 */
export function* improve(
  run: Run,
  jobs: JobRequest[],
  vol: Float64Array,
  t0: number,
  budget: number,
  buf: PlacementBuffer,
  iterations: number,
  seed: number,
): Generator<void, void, void> {
  const f = run.fleet;
  const n = jobs.length;
  const r = mulberry32(seed);
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
  // whether any move was kept: without a gain, the run is put back as it was
  let moved = false;
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
    // a point where an asynchronous caller may let its event loop run (packBatchAsync)
    yield;
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
      moved = true;
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
  // no gain: the run as it was (moves that kept its PFLOPS-hours would take jobs from where their
  // pass put them, by their own objective, for nothing); a gain: the best state seen
  if (!changed) {
    if (moved) rebuild(run, jobs, bestC, bestS, bestP, buf);
    return;
  }
  if (cur < best) rebuild(run, jobs, bestC, bestS, bestP, buf);
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
