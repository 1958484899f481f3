/**
 * Money: the one rounding rule of the API. Every amount a client reads (prices of quotes and
 * bookings, voucher caps, balances and draws, KPI voucher money) is whole cents: 2 decimals,
 * half a cent rounded away from zero. A price's parts (compute, green energy, grid energy) are
 * rounded each and its total is their sum, so the parts always add up; a voucher covers
 * percentCovered of that total rounded down to the cent (never more than its share), and
 * totalAfterVoucher = total - voucher exactly. Rates (price per PFLOPS-hour, per MWh) are not
 * amounts and keep their decimals.
 */

/**
 * x in whole cents, half a cent away from zero. A relative difference below 1e-12 (at most a
 * thousandth of a cent) counts as float noise of the sums that produced x (0.285 is
 * 28.499999999999996 cents, rounded to 29); the cap keeps large amounts exact (1e12 stays 1e12).
 */
export function centsOf(x: number): number {
  const c = Math.abs(x) * 100;
  const r = Math.round(c + Math.min(c * 1e-12, 1e-3));
  return x < 0 && r !== 0 ? -r : r;
}

/** x rounded to whole cents (see centsOf). */
export function money(x: number): number {
  return centsOf(x) / 100;
}

/**
 * Amounts `exact` (money) as whole cents that add up to `totalCents`: each rounded as centsOf,
 * then the cents still missing (or over) given to (taken from) the parts rounded furthest the
 * other way, the earlier part first on a tie; each part stays within a cent of its exact value.
 */
export function splitCents(exact: readonly number[], totalCents: number): number[] {
  const cents = exact.map(centsOf);
  let diff = totalCents - cents.reduce((a, c) => a + c, 0);
  const step = Math.sign(diff);
  // how far each part was rounded against the direction the total needs
  const room = exact.map((x, i) => step * (x * 100 - cents[i]));
  const order = exact.map((_, i) => i).sort((a, b) => room[b] - room[a] || a - b);
  for (let k = 0; diff !== 0 && k < order.length; k++, diff -= step) cents[order[k]] += step;
  return cents;
}

/** percentCovered (at most 2 decimals) of an amount in cents, rounded down to the cent. */
export function shareCents(cents: number, percentCovered: number): number {
  const basisPoints = BigInt(Math.round(percentCovered * 100));
  return Math.max(0, Number((BigInt(Math.round(cents)) * basisPoints) / 10_000n));
}

export interface PriceParts {
  compute: number;
  greenEnergy: number;
  gridEnergy: number;
}

const totalCents = (p: PriceParts): number => centsOf(p.compute) + centsOf(p.greenEnergy) + centsOf(p.gridEnergy);

/** The total a client reads and a voucher covers: the sum of the rounded parts. */
export function priceTotal(p: PriceParts): number {
  return totalCents(p) / 100;
}

/** A price as clients read it (the GraphQL Price type), with the voucher money drawn on it. */
export function priceWithVoucher(
  p: PriceParts,
  voucher: number,
): PriceParts & { total: number; voucher: number; totalAfterVoucher: number } {
  const total = totalCents(p);
  const v = centsOf(voucher);
  return {
    compute: money(p.compute),
    greenEnergy: money(p.greenEnergy),
    gridEnergy: money(p.gridEnergy),
    total: total / 100,
    voucher: v / 100,
    totalAfterVoucher: (total - v) / 100,
  };
}
