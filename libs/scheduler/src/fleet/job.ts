import * as limits from '../domain/limits';
import * as units from '../domain/units';
import type { JobRequest, RefusalReason } from '../types';
import { fail } from '../validate';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { hasAtMost3Decimals, toTflops } = units;
const { MAX_PFLOPS, MAX_SLOTS } = limits;

/** A request, checked and normalised for the search (reused from one request to the next). */
export class JobScratch {
  pflops = 0;
  tflops = 0;
  hours = 0;
  earliest = 0;
  /** exclusive end of the window: the deadline clipped to the horizon */
  end = 0;
  minGreenShare = 0;
  /** the allowed cluster indices, in tie-break order, without duplicates: [0, count) of `allowed` */
  count = 0;
  readonly allowed: Int32Array;

  constructor(clusters: number) {
    this.allowed = new Int32Array(clusters);
  }
}

export function jobLabel(job: JobRequest): string {
  return job && job.id !== undefined ? `job ${job.id}: ` : 'job: ';
}

/** Checks a request (throws SchedulerInputError naming the field) and normalises it into `out`. Complexity: O(clusters listed^2). */
export function readJob(
  job: JobRequest,
  index: ReadonlyMap<string, number>,
  clusterIds: readonly string[],
  slots: number,
  out: JobScratch,
): void {
  if (typeof job !== 'object' || job === null) fail('', 'job', 'an object', job);
  const pf = job.pflops;
  if (typeof pf !== 'number' || !(pf > 0) || pf > MAX_PFLOPS || !hasAtMost3Decimals(pf))
    fail(jobLabel(job), 'pflops', `a positive number with at most 3 decimals (at most ${MAX_PFLOPS})`, pf);
  const h = job.hours;
  if (typeof h !== 'number' || !Number.isInteger(h) || h < 1 || h > MAX_SLOTS)
    fail(jobLabel(job), 'hours', `an integer in [1, ${MAX_SLOTS}]`, h);
  const e = job.earliest;
  if (typeof e !== 'number' || !Number.isInteger(e) || e < 0 || e > 1e9)
    fail(jobLabel(job), 'earliest', 'an integer slot in [0, 1000000000]', e);
  const d = job.deadline;
  if (typeof d !== 'number' || !Number.isInteger(d) || d > 2e9)
    fail(jobLabel(job), 'deadline', 'an integer slot of at most 2000000000', d);
  if (d < e + h) fail(jobLabel(job), 'deadline', `>= earliest + hours (${e + h})`, d);
  const m = job.minGreenShare;
  if (m !== undefined && (typeof m !== 'number' || !(m >= 0 && m <= 1)))
    fail(jobLabel(job), 'minGreenShare', 'a number in [0, 1]', m);
  const o = job.objective;
  if (o !== undefined && o !== 'EARLIEST' && o !== 'GREENEST' && o !== 'CHEAPEST')
    fail(jobLabel(job), 'objective', 'EARLIEST, GREENEST or CHEAPEST', o);
  const cl = job.clusters;
  const allowed = out.allowed;
  let n = 0;
  if (cl === undefined || cl === null) {
    n = clusterIds.length;
    for (let i = 0; i < n; i++) allowed[i] = i;
  } else {
    if (!Array.isArray(cl) || cl.length === 0) fail(jobLabel(job), 'clusters', 'a non-empty array of cluster ids', cl);
    for (let k = 0; k < cl.length; k++) {
      const i = index.get(cl[k]);
      if (i === undefined)
        fail(jobLabel(job), `clusters[${k}]`, `a known cluster id (${clusterIds.join(', ')})`, cl[k]);
      let dup = false;
      for (let q = 0; q < n; q++) if (allowed[q] === i) dup = true;
      if (!dup) allowed[n++] = i;
    }
  }
  out.count = n;
  out.pflops = pf;
  out.tflops = toTflops(pf);
  out.hours = h;
  out.earliest = e;
  out.end = d < slots ? d : slots;
  out.minGreenShare = m === undefined ? 0 : m;
}

/** The message of a refusal of `job` for reason `r` on a horizon of `slots` slots (Decision.message). */
export function refusalMessage(job: JobRequest, r: RefusalReason, slots: number): string {
  const who = job.id !== undefined ? `job ${job.id}` : 'job';
  const win = `[${job.earliest}, ${job.deadline})`;
  if (r === 'OUTSIDE_HORIZON')
    return `${who}: no start of ${job.hours} h inside ${win} and the horizon of ${slots} slots`;
  if (r === 'NO_CAPACITY')
    return `${who}: no ${job.hours} h run with ${job.pflops} PFLOPS free in ${win} on the allowed clusters`;
  if (r === 'GRID_LIMIT')
    return `${who}: ${job.minGreenShare ? 'capacity and minGreenShare exist' : 'capacity exists'} in ${win}, but every such run would draw more grid power than its site has reserved`;
  return `${who}: capacity exists in ${win} but no start reaches minGreenShare ${job.minGreenShare}`;
}
