import { WH_PER_MWH } from '../../domain/units';
import type { Site } from '../site';
import type { Timeline } from '../timeline';
import type { BestOption } from './best-option';
import * as earliest from './earliest';
import * as windows from './windows';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { earliestStart, earliestStartGrid } = earliest;
const { cheapThreshold } = windows;

/**
 * The sliding windows of windows.ts for a cluster whose grid price varies by hour (a time-of-use
 * tariff or posted prices) or whose site has a grid cap: a slot where the run would exceed the
 * site's free grid (free grid + free green < draw, domain/grid.ts) blocks like a slot without
 * capacity, and each slot's grid draw is priced at that slot's price. They are deliberate copies
 * of the flat loops, one per combination, so that each hot loop carries only the reads it needs.
 */

// module constants read once (imported bindings are property reads under CommonJS)
const PER_MWH = WH_PER_MWH;

/**
 * The last slot of [from, to) where the site's grid turns down a run drawing `draw` on a cluster
 * with free green `gfree` (free grid + free green < draw, domain/grid.ts; a 64-slot block whose
 * min free grid covers the draw is not looked at), else `gb`: the capped slides' check of a window
 * they would take, each slot at most once per restart.
 */
function lastGridBlocked(site: Site, gfree: Int32Array, draw: number, from: number, to: number, gb: number): number {
  const gf = site.freeW;
  const gmin = site.freeMin64;
  for (let t = from; t < to; t++) if (gmin[t >> 6] < draw && gf[t] + gfree[t] < draw) gb = t;
  return gb;
}

/**
 * slideCheapest on a cluster with a time-of-use tariff and no grid cap: `base` is the compute
 * price and each slot's term is draw x grid_t + g x (green price - grid_t), grid_t = gridPrice[t].
 *
 * CHEAPEST: the option with the lowest total (`base`, the price without green, plus a running
 * sum of g x (green price - grid price) per slot), at least `req` green Wh, ties within a 1e-9
 * relative tolerance to the earlier start, then the earlier list position. `ring` keeps the
 * terms of the window so that a dropped slot's term is not recomputed.
 */
export function slideCheapestTariff(
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
  gridPrice: Float64Array,
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
      const p = gridPrice[t];
      const term = draw * p + (g > 0 ? g * (weight[t] / supply[t] - p) : 0);
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
      const p = gridPrice[t];
      const term = draw * p + (g > 0 ? g * (weight[t] / supply[t] - p) : 0);
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
 * CHEAPEST on a cluster with a time-of-use tariff and no free green anywhere in the window: a
 * start's total is `base` (the compute price) plus draw x the sum of its slots' grid prices, so
 * only prices are summed (the ring keeps each slot's draw x price). `site` as in slideCheapestGrid
 * (null without a cap that can bind; with no green the grid fits where free grid >= draw), whose
 * grid is checked the same way: only for a window that would be taken, one it turns down setting
 * `best.greenFit` (the request has no green share here).
 */
export function slideTariff(
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
  base: number,
  gridPrice: Float64Array,
  site: Site | null,
): void {
  const free = tl.freeTf;
  const gfree = tl.greenFreeW;
  let bestStart = best.start;
  const bestPos = best.listPos;
  let bestCost = best.cost;
  let cThr = cheapThreshold(bestCost, base);
  let better = false;
  let greenFit = false;
  let ws = earliestStart(tl, tf, hours, from, end);
  if (ws >= 0) best.capacityFits = true;
  // whether the window at ws is known to fit the grid (a restart after the grid turned one down)
  let fitsGrid = false;
  outer: while (ws >= 0) {
    let csum = 0;
    const we = ws + hours;
    for (let t = ws; t < we; t++) {
      const term = draw * gridPrice[t];
      ring[t - ws] = term;
      csum += term;
    }
    // [ws, chk) checked against the grid, gb the last slot there that it turns down
    let r = 0;
    let s = ws;
    let gb = -1;
    let chk = fitsGrid ? we : ws;
    for (;;) {
      if (csum <= cThr) {
        const total = base + csum / PER_MWH;
        const eps = 1e-9 * (total < 0 ? -total : total) + 1e-9;
        if (
          total < bestCost - eps ||
          (total <= bestCost + eps && (s < bestStart || (s === bestStart && listPos < bestPos)))
        ) {
          if (site !== null) {
            gb = lastGridBlocked(site, gfree, draw, chk < s ? s : chk, s + hours, gb);
            chk = s + hours;
          }
          if (gb >= s) {
            // every start up to gb holds gb: on from the next one where capacity and the grid fit
            greenFit = true;
            ws = earliestStartGrid(tl, site as Site, best, tf, draw, hours, gb + 1, end);
            fitsGrid = true;
            continue outer;
          }
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
        fitsGrid = false;
        continue outer;
      }
      csum -= ring[r];
      const term = draw * gridPrice[t];
      ring[r] = term;
      csum += term;
      if (++r === hours) r = 0;
      s++;
    }
  }
  if (greenFit) best.greenFit = true;
  if (better) {
    best.cluster = ci;
    best.listPos = listPos;
    best.start = bestStart;
    best.cost = bestCost;
  }
}

/**
 * slideGreen on a cluster whose site has a grid cap, in one pass that also decides the refusal:
 * it slides over the windows where capacity fits (restarting after a slot without capacity, as
 * slideGreen), and checks the grid only for a window that would be taken: its slots not yet
 * checked are checked then (a slot where free grid + free green < draw turns the run down,
 * domain/grid.ts; a block whose min free grid covers the draw is not looked at), keeping `gb`, the
 * last slot so far that the grid turns down, so each slot is checked at most once per restart and
 * most never are. A window that would be taken but starts at or before gb is noted in
 * `best.greenFit` (it would be placed without the grid: GRID_LIMIT if nothing is found).
 */
export function slideGreenGrid(
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
  site: Site,
): void {
  const free = tl.freeTf;
  const gfree = tl.greenFreeW;
  const full = draw * hours;
  let bestGreen = best.greenWh;
  let bestStart = best.start;
  const bestPos = best.listPos;
  let better = false;
  let greenFit = false;
  let ws = earliestStart(tl, tf, hours, from, end);
  if (ws >= 0) best.capacityFits = true;
  // whether the window at ws is known to fit the grid (a restart after the grid turned one down)
  let fitsGrid = false;
  outer: while (ws >= 0) {
    let gsum = 0;
    const we = ws + hours;
    for (let t = ws; t < we; t++) {
      const av = gfree[t];
      gsum += av < draw ? av : draw;
    }
    // [ws, chk) checked against the grid; gb the last slot there that it turns down
    let gb = -1;
    let chk = fitsGrid ? we : ws;
    let s = ws;
    for (;;) {
      if (
        gsum >= req &&
        gsum >= bestGreen &&
        (first || gsum > bestGreen || s < bestStart || (s === bestStart && listPos < bestPos))
      ) {
        gb = lastGridBlocked(site, gfree, draw, chk < s ? s : chk, s + hours, gb);
        chk = s + hours;
        if (gb >= s) {
          // every start up to gb holds gb: on from the next one where capacity and the grid fit
          greenFit = true;
          ws = earliestStartGrid(tl, site, best, tf, draw, hours, gb + 1, end);
          fitsGrid = true;
          continue outer;
        } else {
          bestStart = s;
          better = true;
          // EARLIEST: the first start that reaches the share wins
          if (first) break outer;
          bestGreen = gsum;
          // all green: no later start can take more
          if (gsum === full) break outer;
        }
      }
      const t = s + hours;
      if (t >= end) break outer;
      if (free[t] < tf) {
        ws = earliestStart(tl, tf, hours, t + 1, end);
        fitsGrid = false;
        continue outer;
      }
      const av = gfree[t];
      const ao = gfree[s];
      gsum += (av < draw ? av : draw) - (ao < draw ? ao : draw);
      s++;
    }
  }
  if (greenFit) best.greenFit = true;
  if (better) {
    best.cluster = ci;
    best.listPos = listPos;
    best.start = bestStart;
    best.greenWh = bestGreen;
  }
}

/**
 * slideCheapest on a cluster whose site has a grid cap, with a flat grid price (`gridPrice` null,
 * `grid`) or a time-of-use tariff (`gridPrice` the per-slot prices).
 *
 * CHEAPEST: the option with the lowest total, at least `req` green Wh, ties within a 1e-9
 * relative tolerance to the earlier start, then the earlier list position. With a flat grid price
 * (`gridPrice` null) the total is `base` (the price without green) plus a running sum of
 * g x (green price - grid) per slot; with a time-of-use tariff (`gridPrice` the per-slot prices)
 * `base` is the compute price and each slot's term is draw x grid_t + g x (green price - grid_t).
 * `ring` keeps the terms of the window so that a dropped slot's term is not recomputed. The grid
 * is checked, as in slideGreenGrid, only for a window that would be taken (each slot at most once
 * per restart). One it turns down has the capacity and the green share: it sets `best.greenFit`
 * (GRID_LIMIT if nothing is found).
 */
export function slideCheapestGrid(
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
  site: Site,
  gridPrice: Float64Array | null,
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
  let greenFit = false;
  let ws = earliestStart(tl, tf, hours, from, end);
  if (ws >= 0) best.capacityFits = true;
  // whether the window at ws is known to fit the grid (a restart after the grid turned one down)
  let fitsGrid = false;
  outer: while (ws >= 0) {
    let gsum = 0;
    let csum = 0;
    const we = ws + hours;
    for (let t = ws; t < we; t++) {
      const av = gfree[t];
      const g = av < draw ? av : draw;
      gsum += g;
      let term: number;
      if (gridPrice === null) term = g > 0 ? g * (weight[t] / supply[t] - grid) : 0;
      else {
        const p = gridPrice[t];
        term = draw * p + (g > 0 ? g * (weight[t] / supply[t] - p) : 0);
      }
      ring[t - ws] = term;
      csum += term;
    }
    // ring[r] holds the term of slot s, the next one to drop; [ws, chk) checked against the
    // grid, gb the last slot there that it turns down
    let r = 0;
    let s = ws;
    let gb = -1;
    let chk = fitsGrid ? we : ws;
    for (;;) {
      if (csum <= cThr && gsum >= req) {
        const total = base + csum / PER_MWH;
        const eps = 1e-9 * (total < 0 ? -total : total) + 1e-9;
        if (
          total < bestCost - eps ||
          (total <= bestCost + eps && (s < bestStart || (s === bestStart && listPos < bestPos)))
        ) {
          gb = lastGridBlocked(site, gfree, draw, chk < s ? s : chk, s + hours, gb);
          chk = s + hours;
          if (gb >= s) {
            // every start up to gb holds gb: on from the next one where capacity and the grid fit
            greenFit = true;
            ws = earliestStartGrid(tl, site, best, tf, draw, hours, gb + 1, end);
            fitsGrid = true;
            continue outer;
          } else {
            bestCost = total;
            bestStart = s;
            better = true;
            cThr = cheapThreshold(bestCost, base);
          }
        }
      }
      const t = s + hours;
      if (t >= end) break outer;
      if (free[t] < tf) {
        ws = earliestStart(tl, tf, hours, t + 1, end);
        fitsGrid = false;
        continue outer;
      }
      const av = gfree[t];
      const ao = gfree[s];
      const go = ao < draw ? ao : draw;
      const g = av < draw ? av : draw;
      gsum += g - go;
      csum -= ring[r];
      let term: number;
      if (gridPrice === null) term = g > 0 ? g * (weight[t] / supply[t] - grid) : 0;
      else {
        const p = gridPrice[t];
        term = draw * p + (g > 0 ? g * (weight[t] / supply[t] - p) : 0);
      }
      ring[r] = term;
      csum += term;
      if (++r === hours) r = 0;
      s++;
    }
  }
  if (greenFit) best.greenFit = true;
  if (better) {
    best.cluster = ci;
    best.listPos = listPos;
    best.start = bestStart;
    best.cost = bestCost;
  }
}
