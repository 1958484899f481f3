/**
 * Unit conversions, both ways. Inside pflex compute is integer TFLOPS, power integer W and
 * energy W x slots = Wh (a slot is one hour); at the API it is PFLOPS, MW and MWh.
 * Complexity: O(1).
 */

export const TFLOPS_PER_PFLOPS = 1000;
export const W_PER_KW = 1000;
export const W_PER_MW = 1_000_000;
export const WH_PER_MWH = 1_000_000;

/** TFLOPS (integer) for a PFLOPS figure with at most 3 decimals. */
export function toTflops(pflops: number): number {
  return Math.round(pflops * TFLOPS_PER_PFLOPS);
}

/** PFLOPS for integer TFLOPS (also PFLOPS-hours for TFLOPS-hours). */
export function tflopsToPflops(tflops: number): number {
  return tflops / TFLOPS_PER_PFLOPS;
}

/** Integer watts for a MW figure (green supply): round(mw * 1e6). */
export function mwToWatts(mw: number): number {
  return Math.round(mw * W_PER_MW);
}

/** MW for watts. */
export function wattsToMw(watts: number): number {
  return watts / W_PER_MW;
}

/** MWh for Wh. */
export function whToMwh(wh: number): number {
  return wh / WH_PER_MWH;
}

/** Facility power drawn by `pflops` on a cluster, integer watts: round(pflops * kwPerPflops * pue * 1000). */
export function drawWatts(pflops: number, kwPerPflops: number, pue: number): number {
  return Math.round(pflops * kwPerPflops * pue * W_PER_KW);
}

/**
 * Decimal places of a finite number as JavaScript writes it, exponent notation included: the one
 * rule for "at most 3 decimals" of the API and the scheduler alike
 * (1e-7 has 7, 1.5e-7 has 8, 1e21 has 0).
 */
export function decimalPlaces(x: number): number {
  const [mantissa, exponent = '0'] = String(Math.abs(x)).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/**
 * decimalPlaces(x) <= 3 without building a string where that is exact: below 2^51 / 1000 a
 * double has at most 3 decimals exactly when it is the double nearest to its thousandths
 * rounded back (the hot checks of every job use this; domain.spec compares the two).
 */
export function hasAtMost3Decimals(x: number): boolean {
  const a = x < 0 ? -x : x;
  return a < 2e12 ? Math.round(a * 1000) / 1000 === a : decimalPlaces(a) <= 3;
}
