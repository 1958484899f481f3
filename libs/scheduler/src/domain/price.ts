import type { PriceBreakdown } from '../types';
import * as units from './units';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { WH_PER_MWH } = units;

/**
 * Price = compute (PFLOPS x hours x price per PFLOPS-hour) + green MWh x green price + grid MWh
 * x grid price, before any voucher. The grid price may vary per slot (a time-of-use tariff): grid
 * energy is then the sum over the slots of (draw - green) W x that slot's price. The parts are floats; the API rounds them to cents.
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
 * Grid energy of a run of `hours` slots drawing `drawW` with `greenW[i]` green W in its slot i, at
 * hourly grid prices `gridPrices[from + i]`: sum over the slots of (drawW - greenW[i]) x price / 1e6.
 */
export function gridEnergyCost(
  drawW: number,
  greenW: ArrayLike<number>,
  hours: number,
  gridPrices: ArrayLike<number>,
  from: number,
): number {
  let c = 0;
  for (let i = 0; i < hours; i++) c += (drawW - greenW[i]) * gridPrices[from + i];
  return c / WH_PER_MWH;
}

/**
 * Price of a placement: `greenW[i]` is the green power taken in slot i of the placement,
 * `greenPricePerMwh[i]` that slot's green price; `gridPrices[i]` that slot's grid price when the
 * tariff varies (else `gridPricePerMwh` in every slot).
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
  gridPrices?: ArrayLike<number>;
}): PriceBreakdown {
  let greenEnergy = 0;
  let greenWh = 0;
  for (let i = 0; i < args.hours; i++) {
    const g = args.greenW[i];
    greenWh += g;
    if (g > 0) greenEnergy += energyCost(g, args.greenPricePerMwh[i]);
  }
  const compute = computeCost(args.pflops, args.hours, args.pricePerPflopsHour);
  const gridEnergy = args.gridPrices
    ? gridEnergyCost(args.drawW, args.greenW, args.hours, args.gridPrices, 0)
    : energyCost(args.drawW * args.hours - greenWh, args.gridPricePerMwh);
  return { compute, greenEnergy, gridEnergy, total: compute + greenEnergy + gridEnergy };
}
