import * as price from '../domain/price';
import * as units from '../domain/units';
import type { Timeline } from './timeline';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { computeCost, energyCost, greenSlotCost } = price;
const PER_MWH = units.WH_PER_MWH;

/**
 * Reusable output of {@link Fleet.placeInto}: the hot path writes here instead of allocating.
 * `greenW` is a scratch buffer grown on demand; only its first `hours` entries are meaningful.
 */
export class PlacementBuffer {
  clusterIndex = -1;
  start = -1;
  hours = 0;
  pflops = 0;
  tflops = 0;
  drawW = 0;
  /** sum of greenW over the placement, Wh */
  greenWh = 0;
  greenW: Int32Array = new Int32Array(256);
  priceCompute = 0;
  priceGreen = 0;
  priceGrid = 0;
  /** which fill this is (placeInto numbers every fill, on any fleet): how commitBuffer knows a buffer is still its own */
  fill = 0;
}

let fills = 0;

/** A number no other fill of any buffer has had. */
export function nextFill(): number {
  return ++fills;
}

/** Makes room for `hours` entries in `out.greenW` (doubling, so growth is amortised). */
export function reserveGreen(out: PlacementBuffer, hours: number): Int32Array {
  if (out.greenW.length < hours) out.greenW = new Int32Array(Math.max(hours, out.greenW.length * 2));
  return out.greenW;
}

/**
 * Completes `out` for a run on cluster `ci` of `tl` and prices it: green at each slot's current
 * green price, grid at the flat `gridPricePerMwh` or, on a cluster with a time-of-use tariff, at
 * each slot's grid price (gridEnergyCost's sum, in the same pass). With `take` the run's green is
 * its take on the timeline now, min(draw, green still free) in each slot, written into
 * `out.greenW` in the same pass; otherwise `out.greenW` already holds it.
 * Complexity: O(hours).
 */
export function settle(
  out: PlacementBuffer,
  tl: Timeline,
  ci: number,
  start: number,
  hours: number,
  pflops: number,
  tflops: number,
  drawW: number,
  pricePerPflopsHour: number,
  gridPricePerMwh: number,
  take: boolean,
): void {
  const gw = reserveGreen(out, hours);
  const supply = tl.greenSupplyW;
  const gfree = tl.greenFreeW;
  const weight = tl.greenPriceWeight;
  const gp = tl.tariffSlots === 0 ? null : (tl.gridPrice as Float64Array);
  let gsum = 0;
  let gcost = 0;
  let grid = 0;
  for (let i = 0; i < hours; i++) {
    const t = start + i;
    let g: number;
    if (take) {
      const av = gfree[t];
      g = av < drawW ? av : drawW;
      gw[i] = g;
    } else g = gw[i];
    gsum += g;
    if (g > 0) gcost += greenSlotCost(g, weight[t], supply[t]);
    if (gp !== null) grid += (drawW - g) * gp[t];
  }
  out.clusterIndex = ci;
  out.start = start;
  out.hours = hours;
  out.pflops = pflops;
  out.tflops = tflops;
  out.drawW = drawW;
  out.greenWh = gsum;
  out.priceCompute = computeCost(pflops, hours, pricePerPflopsHour);
  out.priceGreen = gcost;
  out.priceGrid = gp === null ? energyCost(drawW * hours - gsum, gridPricePerMwh) : grid / PER_MWH;
}
