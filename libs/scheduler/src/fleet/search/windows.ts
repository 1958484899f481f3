import { WH_PER_MWH } from '../../domain/units';
import type { Timeline } from '../timeline';
import type { BestOption } from './best-option';
import * as earliest from './earliest';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { earliestStart } = earliest;

/**
 * Sliding windows over one cluster's [from, end): a window of `hours` slots is filled once after
 * each restart (at the next start where capacity fits, found by the EARLIEST scan), then each
 * step adds slot s + hours and drops slot s. A slot without capacity restarts the window after it.
 * In each slot an option takes min(draw, green still free): its green take.
 *
 * slideGreen and slideCheapest are the loops for a cluster without a grid cap and with a flat
 * grid price; windows-grid.ts has the copies that add the site's grid cap and a time-of-use
 * tariff, so that the common case pays nothing for them.
 */

// module constants read once (imported bindings are property reads under CommonJS)
const PER_MWH = WH_PER_MWH;

/**
 * GREENEST, and EARLIEST with a minimum green share (`first`: the first start reaching `req`
 * wins): the option with the most green Wh (at least `req`), ties to the earlier start, then the
 * earlier list position. The dropped slot is re-read instead of kept in a ring.
 */
export function slideGreen(
  tl: Timeline,
  best: BestOption,
  ci: number,
  listPos: number,
  first: boolean,
  tf: number,
  hours: number,
  from: number,
  end: number,
  draw: number,
  req: number,
): void {
  const free = tl.freeTf;
  const gfree = tl.greenFreeW;
  const full = draw * hours;
  let bestGreen = best.greenWh;
  let bestStart = best.start;
  const bestPos = best.listPos;
  let better = false;
  let ws = earliestStart(tl, tf, hours, from, end);
  if (ws >= 0) best.capacityFits = true;
  outer: while (ws >= 0) {
    let gsum = 0;
    const we = ws + hours;
    for (let t = ws; t < we; t++) {
      const av = gfree[t];
      gsum += av < draw ? av : draw;
    }
    let s = ws;
    for (;;) {
      if (gsum >= req && gsum >= bestGreen) {
        if (first) {
          bestStart = s;
          better = true;
          break outer;
        }
        if (gsum > bestGreen || s < bestStart || (s === bestStart && listPos < bestPos)) {
          bestGreen = gsum;
          bestStart = s;
          better = true;
        }
        // all green: no later start can take more
        if (gsum === full) break outer;
      }
      const t = s + hours;
      if (t >= end) break outer;
      if (free[t] < tf) {
        ws = earliestStart(tl, tf, hours, t + 1, end);
        continue outer;
      }
      const av = gfree[t];
      const ao = gfree[s];
      gsum += (av < draw ? av : draw) - (ao < draw ? ao : draw);
      s++;
    }
  }
  if (better) {
    best.cluster = ci;
    best.listPos = listPos;
    best.start = bestStart;
    best.greenWh = bestGreen;
  }
}

/**
 * CHEAPEST: the option with the lowest total (`base`, the price without green, plus a running
 * sum of g x (green price - grid price) per slot), at least `req` green Wh, ties within a 1e-9
 * relative tolerance to the earlier start, then the earlier list position. `ring` keeps the
 * terms of the window so that a dropped slot's term is not recomputed.
 */
export function slideCheapest(
  tl: Timeline,
  best: BestOption,
  ring: Float64Array,
  ci: number,
  listPos: number,
  tf: number,
  hours: number,
  from: number,
  end: number,
  draw: number,
  req: number,
  base: number,
  grid: number,
): void {
  const free = tl.freeTf;
  const supply = tl.greenSupplyW;
  const gfree = tl.greenFreeW;
  const weight = tl.greenPriceWeight;
  let bestStart = best.start;
  const bestPos = best.listPos;
  let bestCost = best.cost;
  // csum above cThr cannot come within the tie tolerance of bestCost (a conservative pre-test;
  // the exact comparison below decides)
  let cThr = cheapThreshold(bestCost, base);
  let better = false;
  let ws = earliestStart(tl, tf, hours, from, end);
  if (ws >= 0) best.capacityFits = true;
  outer: while (ws >= 0) {
    let gsum = 0;
    let csum = 0;
    const we = ws + hours;
    for (let t = ws; t < we; t++) {
      const av = gfree[t];
      const g = av < draw ? av : draw;
      gsum += g;
      const term = g > 0 ? g * (weight[t] / supply[t] - grid) : 0;
      ring[t - ws] = term;
      csum += term;
    }
    // ring[r] holds the term of slot s, the next one to drop
    let r = 0;
    let s = ws;
    for (;;) {
      if (csum <= cThr && gsum >= req) {
        const total = base + csum / PER_MWH;
        const eps = 1e-9 * (total < 0 ? -total : total) + 1e-9;
        if (
          total < bestCost - eps ||
          (total <= bestCost + eps && (s < bestStart || (s === bestStart && listPos < bestPos)))
        ) {
          bestCost = total;
          bestStart = s;
          better = true;
          cThr = cheapThreshold(bestCost, base);
        }
      }
      const t = s + hours;
      if (t >= end) break outer;
      if (free[t] < tf) {
        ws = earliestStart(tl, tf, hours, t + 1, end);
        continue outer;
      }
      const ao = gfree[s];
      const go = ao < draw ? ao : draw;
      const av = gfree[t];
      const g = av < draw ? av : draw;
      gsum += g - go;
      csum -= ring[r];
      const term = g > 0 ? g * (weight[t] / supply[t] - grid) : 0;
      ring[r] = term;
      csum += term;
      if (++r === hours) r = 0;
      s++;
    }
  }
  if (better) {
    best.cluster = ci;
    best.listPos = listPos;
    best.start = bestStart;
    best.cost = bestCost;
  }
}

/**
 * Largest running cost delta (sum of g x (greenPrice - grid), W x price) whose total
 * base + csum / 1e6 can still be within the 1e-9 relative tie tolerance of bestCost. It errs
 * high: the margin (1e-9 relative) is far above the float rounding of the total.
 */
export function cheapThreshold(bestCost: number, base: number): number {
  const a = bestCost < 0 ? -bestCost : bestCost;
  const t = bestCost + 1.1e-9 * (a + 1);
  const m = 1e-9 * ((t < 0 ? -t : t) + (base < 0 ? -base : base) + 1);
  return (t + m - base) * PER_MWH;
}
