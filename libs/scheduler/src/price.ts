import type { PriceBreakdown } from './types';

/**
 * Pure pricing and unit helpers, shared with the API so both sides use the same maths.
 * Complexity: O(1) except `priceOf`, O(hours).
 */

/** TFLOPS (integer) for a PFLOPS figure with at most 3 decimals. */
export function toTflops(pflops: number): number {
  return Math.round(pflops * 1000);
}

/** Facility power drawn by `pflops` on a cluster, integer watts: round(pflops * kwPerPflops * pue * 1000). */
export function drawWatts(pflops: number, kwPerPflops: number, pue: number): number {
  return Math.round(pflops * kwPerPflops * pue * 1000);
}

/** Green supply of a window, integer watts: round(mw * 1e6). */
export function mwToWatts(mw: number): number {
  return Math.round(mw * 1e6);
}

/**
 * Green energy (W x slots = Wh) a placement drawing `drawW` for `hours` must take to reach
 * `minGreenShare`. A placement with green sum G is acceptable iff G >= this value.
 */
export function requiredGreenWh(minGreenShare: number, drawW: number, hours: number): number {
  if (!(minGreenShare > 0)) return 0;
  return Math.ceil(minGreenShare * drawW * hours - 1e-6);
}

/**
 * Price of a placement: compute (pflops x hours x pricePerPflopsHour) + green MWh x slot green
 * price + grid MWh x grid price. `greenW[i]` is the green power taken in slot i of the
 * placement, `greenPricePerMwh[i]` that slot's green price.
 * Complexity: O(hours).
 */
export function priceOf(args: {
  pflops: number;
  hours: number;
  pricePerPflopsHour: number;
  gridPricePerMwh: number;
  drawW: number;
  greenW: ArrayLike<number>;
  greenPricePerMwh: ArrayLike<number>;
}): PriceBreakdown {
  let greenEnergy = 0;
  let greenWh = 0;
  for (let i = 0; i < args.hours; i++) {
    const g = args.greenW[i];
    greenWh += g;
    if (g > 0) greenEnergy += (g * args.greenPricePerMwh[i]) / 1e6;
  }
  const compute = args.pflops * args.hours * args.pricePerPflopsHour;
  const gridEnergy = ((args.drawW * args.hours - greenWh) * args.gridPricePerMwh) / 1e6;
  return { compute, greenEnergy, gridEnergy, total: compute + greenEnergy + gridEnergy };
}
