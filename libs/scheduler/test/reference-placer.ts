/**
 * Plain reference placer used as the oracle in property tests and timed in the bench: for each
 * allowed cluster and each start in the window, check every slot and sum green and price
 * directly. O(clusters x window x hours). Same tie rules as the fast placer.
 */
import type { Fleet } from '../src/fleet';
import { drawWatts, requiredGreenWh } from '../src/domain';
import type { JobRequest, Objective, RefusalReason } from '../src/types';

export interface RefOption {
  clusterIndex: number;
  start: number;
  greenWh: number;
  total: number;
}

export function referencePlace(fleet: Fleet, job: JobRequest, objective: Objective): RefOption | RefusalReason {
  const h = job.hours;
  const end = Math.min(job.deadline, fleet.slots);
  if (job.earliest + h > end) return 'OUTSIDE_HORIZON';
  const tf = Math.round(job.pflops * 1000);
  const ids = job.clusters ?? fleet.clusterIds;
  const seen = new Set<number>();
  let best: RefOption | null = null;
  let capFit = false;
  for (const id of ids) {
    const ci = fleet.clusterIndex(id);
    if (seen.has(ci)) continue;
    seen.add(ci);
    const tl = fleet.timeline(ci);
    const draw = drawWatts(job.pflops, fleet.kwPerPflops[ci], fleet.pue[ci]);
    const req = requiredGreenWh(job.minGreenShare ?? 0, draw, h);
    const grid = fleet.gridPricePerMwh[ci];
    for (let s = job.earliest; s + h <= end; s++) {
      let fits = true;
      for (let t = s; t < s + h; t++) if (tl.capacityTflops[t] - tl.bookedTflops[t] < tf) fits = false;
      if (!fits) continue;
      capFit = true;
      let g = 0;
      let greenCost = 0;
      for (let t = s; t < s + h; t++) {
        const gt = Math.min(draw, tl.greenSupplyW[t] - tl.greenAllocW[t]);
        g += gt;
        if (gt > 0) greenCost += (gt * tl.greenPriceWeight[t]) / tl.greenSupplyW[t] / 1e6;
      }
      if (g < req) continue;
      const total = job.pflops * h * fleet.pricePerPflopsHour[ci] + greenCost + ((draw * h - g) * grid) / 1e6;
      const o: RefOption = { clusterIndex: ci, start: s, greenWh: g, total };
      if (best === null) best = o;
      else if (objective === 'EARLIEST') {
        if (s < best.start) best = o;
      } else if (objective === 'GREENEST') {
        if (g > best.greenWh || (g === best.greenWh && s < best.start)) best = o;
      } else {
        const eps = 1e-9 * Math.abs(total) + 1e-9;
        if (total < best.total - eps || (total <= best.total + eps && s < best.start)) best = o;
      }
      if (objective === 'EARLIEST') break;
    }
  }
  if (best) return best;
  return capFit ? 'GREEN_SHORTFALL' : 'NO_CAPACITY';
}
