import { toTflops, type Decision, type JobRequest, type Objective, type Placement } from '@pflex/scheduler';
import { WEEK_HOURS, type QuotasService, type StartUsage } from '../../quotas/quotas.service';
import { jobOf, type ValidRequest } from './fleet-window';

/**
 * The start hours in [fromH, lastH] as ascending inclusive [first, last, used] runs: `used` is the
 * TFLOPS-hours of the startup's starts in the busiest 7-day window holding a start of the run
 * (the same for every start of it). Complexity: O(usage x log usage + lastH - fromH + 7 days):
 * the sums of starts in each window by one sliding pass, their maximum over the windows holding
 * each start by a monotone deque.
 */
function weeklyRuns(usage: readonly StartUsage[], fromH: number, lastH: number): [number, number, number][] {
  if (lastH < fromH) return [];
  const t0 = fromH - WEEK_HOURS + 1;
  const n = lastH - t0 + 1;
  // sum[k]: TFLOPS-hours of the starts in the window [t0 + k, t0 + k + 7 days)
  const sorted = usage.filter((u) => u.h >= t0 && u.h < lastH + WEEK_HOURS).sort((a, b) => a.h - b.h);
  const sum = new Float64Array(n);
  let lo = 0;
  let hi = 0;
  let s = 0;
  for (let k = 0; k < n; k++) {
    const t = t0 + k;
    while (hi < sorted.length && sorted[hi].h < t + WEEK_HOURS) s += sorted[hi++].tflopsHours;
    while (lo < hi && sorted[lo].h < t) s -= sorted[lo++].tflopsHours;
    sum[k] = s;
  }
  // the worst window holding start H is the max of sum over [H - 7 days + 1, H]
  const out: [number, number, number][] = [];
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let k = 0; k < n; k++) {
    while (tail > head && sum[dq[tail - 1]] <= sum[k]) tail--;
    dq[tail++] = k;
    const h = t0 + k;
    if (h < fromH) continue;
    while (dq[head] < k - WEEK_HOURS + 1) head++;
    const used = sum[dq[head]];
    const last = out[out.length - 1];
    if (last && last[2] === used) last[1] = h;
    else out.push([h, h, used]);
  }
  return out;
}

/**
 * The start hours in [fromH, lastH] at which a booking of `tflopsHours` keeps the 7-day rule
 * (every 7-day window holding its start stays within `limitTflopsHours` with it), as ascending
 * inclusive [first, last] ranges. Complexity: as weeklyRuns.
 */
export function weeklyRoom(
  limitTflopsHours: number,
  usage: readonly StartUsage[],
  fromH: number,
  lastH: number,
  tflopsHours: number,
): [number, number][] {
  const out: [number, number][] = [];
  for (const [first, last, used] of weeklyRuns(usage, fromH, lastH)) {
    if (used + tflopsHours > limitTflopsHours + 1e-6) continue;
    const prev = out[out.length - 1];
    if (prev && prev[1] === first - 1) prev[1] = last;
    else out.push([first, last]);
  }
  return out;
}

/**
 * Whether `p` beats `best` for the objective, with the scheduler's ties: GREENEST the most green
 * MWh, CHEAPEST the lowest price (within 1e-9 relative); equal ones stay with `best` (found at
 * an earlier start). EARLIEST never replaces an earlier option.
 */
function beats(objective: Objective, p: Placement, best: Placement): boolean {
  if (objective === 'GREENEST') return p.greenMwh > best.greenMwh;
  if (objective === 'CHEAPEST') return p.price.total < best.price.total - 1e-9 * Math.abs(best.price.total) - 1e-9;
  return false;
}

/**
 * The request placed where the 7-day rule allows it to start: the best option (by its
 * objective) among the scheduler's answers for each range of allowed starts, taken in order
 * (EARLIEST stops at the first). `place` runs the scheduler on the fleet whose slot 0 is epoch
 * hour `slot0`; null when no allowed start fits.
 * Complexity: weeklyRoom + one placement per range of allowed starts.
 */
export function placeWithinWeek(
  slot0: number,
  v: ValidRequest,
  objective: Objective,
  limitPflopsHours: number,
  starts: readonly StartUsage[],
  place: (job: JobRequest) => Decision,
): Placement | null {
  const room = weeklyRoom(
    limitPflopsHours * 1000,
    starts,
    v.earliestH,
    v.deadlineH - v.hours,
    toTflops(v.pflops) * v.hours,
  );
  let best: Placement | null = null;
  for (const [first, last] of room) {
    const d = place(jobOf({ ...v, earliestH: first, deadlineH: Math.min(v.deadlineH, last + v.hours) }, slot0));
    if (!d.ok) continue;
    if (best === null) best = d.placement;
    else if (beats(objective, d.placement, best)) best = d.placement;
    if (objective === 'EARLIEST') break;
  }
  return best;
}

/**
 * For a request no start of which keeps the 7-day rule: the epoch hour of a start where it fits
 * otherwise and the rule is exceeded by the least (its QUOTA_EXCEEDED names that excess, as the
 * cluster share names its smallest); null when it fits nowhere. Complexity: weeklyRuns + one
 * placement per run of starts, tried from the smallest excess up.
 */
export function leastWeeklyExcessStart(
  slot0: number,
  v: ValidRequest,
  starts: readonly StartUsage[],
  place: (job: JobRequest) => Decision,
): number | null {
  const runs = weeklyRuns(starts, v.earliestH, v.deadlineH - v.hours).sort((a, b) => a[2] - b[2] || a[0] - b[0]);
  for (const [first, last] of runs) {
    const d = place(jobOf({ ...v, earliestH: first, deadlineH: Math.min(v.deadlineH, last + v.hours) }, slot0));
    if (d.ok) return slot0 + d.placement.start;
  }
  return null;
}

/**
 * The 7-day rule applied to placement `pl` of request `v` (slot 0 = epoch hour `slot0`), as
 * bookCompute and quotes apply it: `pl` when it keeps the rule; else the best start for the
 * objective among those that keep it (placeWithinWeek); else QUOTA_EXCEEDED naming the start the
 * rule blocks least (leastWeeklyExcessStart). `place` runs the scheduler on the same timelines.
 */
export function keepWeek(
  quotas: QuotasService,
  slot0: number,
  v: ValidRequest,
  objective: Objective,
  limitPflopsHours: number,
  starts: readonly StartUsage[],
  pl: Placement,
  place: (job: JobRequest) => Decision,
): Placement | Error {
  const over = quotas.weeklyExcess(limitPflopsHours, starts, slot0 + pl.start, pl.tflops, pl.hours);
  if (!over) return pl;
  const within = placeWithinWeek(slot0, v, objective, limitPflopsHours, starts, place);
  if (within) return within;
  const at = leastWeeklyExcessStart(slot0, v, starts, place);
  return (at !== null ? quotas.weeklyExcess(limitPflopsHours, starts, at, pl.tflops, pl.hours) : null) ?? over;
}
