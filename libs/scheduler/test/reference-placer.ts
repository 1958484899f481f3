/**
 * Plain reference placer used as the oracle in property tests and timed in the bench: for each
 * allowed cluster and each start in the window, check every slot and sum green and price
 * directly. O(clusters x window x hours). Same tie rules as the fast placer.
 *
 * The grid rule is written here from its statement, not from the Fleet's code: in each slot the
 * run takes g = min(draw, green still free) and draws draw - g from the grid, and that plus what
 * the site's bookings already draw must stay within the site's cap (none when GRID_UNLIMITED).
 * Grid energy is priced slot by slot at the cluster's grid price in that slot.
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
  // some start meets capacity and the green share: it would be placed without the grid caps
  let greenFit = false;
  for (const id of ids) {
    const ci = fleet.clusterIndex(id);
    if (seen.has(ci)) continue;
    seen.add(ci);
    const tl = fleet.timeline(ci);
    const draw = drawWatts(job.pflops, fleet.kwPerPflops[ci], fleet.pue[ci]);
    const req = requiredGreenWh(job.minGreenShare ?? 0, draw, h);
    // the hour's grid price: the tariff's array, or the flat price when the cluster has none
    const prices = tl.gridPrice ?? new Float64Array(fleet.slots).fill(fleet.gridPricePerMwh[ci]);
    const site = fleet.siteTimeline(fleet.siteOfCluster(ci));
    for (let s = job.earliest; s + h <= end; s++) {
      let fits = true;
      for (let t = s; t < s + h; t++) if (tl.freeTflops[t] < tf) fits = false;
      if (!fits) continue;
      capFit = true;
      let g = 0;
      let greenCost = 0;
      for (let t = s; t < s + h; t++) {
        const gt = Math.min(draw, tl.greenFreeW[t]);
        g += gt;
        if (gt > 0) greenCost += (gt * tl.greenPriceWeight[t]) / tl.greenSupplyW[t] / 1e6;
      }
      if (g < req) continue;
      greenFit = true;
      let gridOk = true;
      let gridCost = 0;
      for (let t = s; t < s + h; t++) {
        const gridW = draw - Math.min(draw, tl.greenFreeW[t]);
        if (site.capW[t] !== 2147483647 && site.usedW[t] + gridW > site.capW[t]) gridOk = false;
        gridCost += (gridW * prices[t]) / 1e6;
      }
      if (!gridOk) continue;
      const total = job.pflops * h * fleet.pricePerPflopsHour[ci] + greenCost + gridCost;
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
  return !capFit ? 'NO_CAPACITY' : greenFit ? 'GRID_LIMIT' : 'GREEN_SHORTFALL';
}
