/**
 * Green share = green energy allocated / energy drawn, decided on integer Wh so that the
 * scheduler, vouchers, KPIs and metrics agree to the watt-hour. Complexity: O(1).
 */

/**
 * Green energy (W x slots = Wh) a placement drawing `drawW` for `hours` must take to reach
 * `minGreenShare`. A placement with green sum G is acceptable iff G >= this value.
 */
export function requiredGreenWh(minGreenShare: number, drawW: number, hours: number): number {
  if (!(minGreenShare > 0)) return 0;
  // the slack absorbs float error in the product, never a whole Wh
  return Math.ceil(minGreenShare * drawW * hours - 1e-6);
}

/** Whether `greenWh` of a run drawing `drawW` for `hours` reaches `minGreenShare`. */
export function meetsGreenShare(greenWh: number, drawW: number, hours: number, minGreenShare: number): boolean {
  return greenWh >= requiredGreenWh(minGreenShare, drawW, hours);
}

/** greenWh / energyWh; `whenIdle` when nothing was drawn (a placement drawing 0 W counts as all green, a KPI as 0). */
export function greenShare(greenWh: number, energyWh: number, whenIdle = 0): number {
  return energyWh > 0 ? greenWh / energyWh : whenIdle;
}
