import type { PriceBreakdown } from '../types';
import * as units from './units';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { WH_PER_MWH } = units;

/**
 * Price = compute (PFLOPS x hours x price per PFLOPS-hour) + green MWh x green price + grid MWh
 * x grid price, before any voucher. The parts are floats; the API rounds them to cents.
 * Complexity: O(1) except `priceOf`, O(hours).
 */

/** Compute part: pflops x hours x pricePerPflopsHour. */
export function computeCost(pflops: number, hours: number, pricePerPflopsHour: number): number {
  return pflops * hours * pricePerPflopsHour;
}

/** Energy of `wh` Wh at `pricePerMwh`. */
export function energyCost(wh: number, pricePerMwh: number): number {
  return (wh * pricePerMwh) / WH_PER_MWH;
}

/**
 * Green energy of one slot: `greenW` W taken from a slot whose windows weigh `priceWeight`
 * (sum of supply W x price) over `supplyW`, i.e. at their supply-weighted average price.
 */
export function greenSlotCost(greenW: number, priceWeight: number, supplyW: number): number {
  return (greenW * priceWeight) / supplyW / WH_PER_MWH;
}

/**
 * Price of a placement: `greenW[i]` is the green power taken in slot i of the placement,
 * `greenPricePerMwh[i]` that slot's green price.
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
    if (g > 0) greenEnergy += energyCost(g, args.greenPricePerMwh[i]);
  }
  const compute = computeCost(args.pflops, args.hours, args.pricePerPflopsHour);
  const gridEnergy = energyCost(args.drawW * args.hours - greenWh, args.gridPricePerMwh);
  return { compute, greenEnergy, gridEnergy, total: compute + greenEnergy + gridEnergy };
}
