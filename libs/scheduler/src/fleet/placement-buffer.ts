import * as price from '../domain/price';
import type { Timeline } from './timeline';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { computeCost, energyCost, greenSlotCost, gridEnergyCost } = price;

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
}

/** Makes room for `hours` entries in `out.greenW` (doubling, so growth is amortised). */
export function reserveGreen(out: PlacementBuffer, hours: number): Int32Array {
  if (out.greenW.length < hours) out.greenW = new Int32Array(Math.max(hours, out.greenW.length * 2));
  return out.greenW;
}

/** The green take of a run at `start`: in each slot min(draw, green still free), into `greenW`. */
export function takeGreen(tl: Timeline, start: number, hours: number, drawW: number, greenW: Int32Array): void {
  const supply = tl.greenSupplyW;
  const alloc = tl.greenAllocW;
  for (let i = 0; i < hours; i++) {
    const av = supply[start + i] - alloc[start + i];
    greenW[i] = av < drawW ? av : drawW;
  }
}

/**
 * Completes `out` for a run on cluster `ci` of `tl` whose green per slot is already in
 * `out.greenW`, and prices it: green at each slot's current green price, grid at the flat
 * `gridPricePerMwh` or, on a cluster with a time-of-use tariff, at each slot's grid price.
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
): void {
  const gw = out.greenW;
  const supply = tl.greenSupplyW;
  const weight = tl.greenPriceWeight;
  let gsum = 0;
  let gcost = 0;
  for (let i = 0; i < hours; i++) {
    const g = gw[i];
    gsum += g;
    if (g > 0) gcost += greenSlotCost(g, weight[start + i], supply[start + i]);
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
  out.priceGrid =
    tl.tariffSlots === 0
      ? energyCost(drawW * hours - gsum, gridPricePerMwh)
      : gridEnergyCost(drawW, gw, hours, tl.gridPrice as Float64Array, start);
}
