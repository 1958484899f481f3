import { requiredGreenWh } from './domain';

/**
 * The rule that shares an hour's green supply among the bookings running in it when the supply
 * is revised (a forecast that fails, a PPA that delivers less, or more). Pure, integer watts.
 *
 * For one hour with supply S:
 *   1. S covers every booking's promise (the green it was allocated when booked): each gets its
 *      promise. This is also how a revision followed by its inverse restores the allocation.
 *   2. Otherwise the bookings with a minGreenShare SLA keep their need first: the green this hour
 *      must keep for the booking's share over its whole run to hold, given its green in its other
 *      hours. If S does not cover the needs, S is split among them pro rata to need.
 *   3. What is left is shared among all the bookings pro rata to their power draw, none beyond its
 *      promise (water-filling: a booking at its promise drops out and the rest is shared again).
 * Rounding: whole watts by largest remainder, ties to the earlier holder; never above S.
 */

/** One booking running in the hour, as the rule sees it. */
export interface GreenHolder {
  /** facility power of the booking, W */
  drawW: number;
  /** green W the booking was allocated in this hour when booked: the most it ever gets here */
  promisedW: number;
  /** green W this hour must keep for the booking's minGreenShare to hold (0 without one), <= promisedW */
  needW: number;
}

/**
 * Allocation of `supplyW` among `holders` by the rule above (one integer W per holder, in order).
 * Complexity: O(n^2) in the worst case of the water-filling (n = bookings in the hour).
 */
export function shareGreen(supplyW: number, holders: readonly GreenHolder[]): number[] {
  const n = holders.length;
  let promised = 0;
  for (const h of holders) promised += h.promisedW;
  if (supplyW >= promised) return holders.map((h) => h.promisedW);
  const S = Math.max(0, Math.floor(supplyW));
  const needs = holders.map((h) => Math.min(h.needW, h.promisedW));
  const totalNeed = needs.reduce((a, x) => a + x, 0);
  if (totalNeed >= S) return proRata(S, needs, needs);
  const out = needs.slice();
  const extra = proRata(
    S - totalNeed,
    holders.map((h) => h.drawW),
    holders.map((h, i) => h.promisedW - needs[i]),
  );
  for (let i = 0; i < n; i++) out[i] += extra[i];
  return out;
}

/**
 * `total` whole units shared pro rata to `weights`, each at most its cap (water-filling), the
 * remainder by largest remainder with ties to the lower index. Exact (BigInt) arithmetic: watts
 * times watts exceed 2^53.
 */
export function proRata(total: number, weights: readonly number[], caps: readonly number[]): number[] {
  const n = weights.length;
  const out = new Array<number>(n).fill(0);
  let left = BigInt(Math.max(0, Math.floor(total)));
  const active = new Set<number>();
  for (let i = 0; i < n; i++) if (caps[i] > 0 && weights[i] > 0) active.add(i);
  while (left > 0n && active.size > 0) {
    let W = 0n;
    for (const i of active) W += BigInt(weights[i]);
    // anyone whose share reaches its cap takes the cap and leaves; the rest is shared again
    const full = [...active].filter((i) => BigInt(caps[i] - out[i]) * W <= left * BigInt(weights[i]));
    if (full.length > 0) {
      for (const i of full) {
        left -= BigInt(caps[i] - out[i]);
        out[i] = caps[i];
        active.delete(i);
      }
      continue;
    }
    const ids = [...active];
    const rem: [number, bigint][] = [];
    let given = 0n;
    for (const i of ids) {
      const num = left * BigInt(weights[i]);
      const q = num / W;
      out[i] += Number(q);
      given += q;
      rem.push([i, num % W]);
    }
    // every share is below its cap, so one more unit each for the largest remainders still fits
    rem.sort((a, b) => (a[1] === b[1] ? a[0] - b[0] : a[1] > b[1] ? -1 : 1));
    for (let k = 0; k < Number(left - given); k++) out[rem[k][0]] += 1;
    left = 0n;
  }
  return out;
}

/** A booking as a supply revision sees it: its draw, SLA, and its current and promised green per hour. */
export interface RevisedBooking {
  drawW: number;
  hours: number;
  /** 0 without an SLA */
  minGreenShare: number;
  /** current green W in each hour of its run (changed in place by `applyRevision`) */
  greenW: number[];
  /** green W it was allocated in each hour when booked */
  promisedW: number[];
}

/** One revised hour: the new supply and the bookings running in it (booking index, hour of its run). */
export interface RevisedHour {
  supplyW: number;
  holders: readonly { b: number; k: number }[];
}

/** Sweeps over the revised hours at most; the allocation settles in two or three in practice. */
const MAX_SWEEPS = 16;

/**
 * Applies a revision: each revised hour's green is shared by `shareGreen`, a booking's need in an
 * hour counting its green in its other hours as they stand. Since a need depends on the other
 * hours, the revised hours are swept in order until nothing changes (a fixed point: there, an SLA
 * booking that ends short of its share was short of its need in every hour where it got less
 * than its promise, so no booking without an SLA kept green in those hours). Changes
 * `bookings[b].greenW` in place; returns the sweeps made.
 */
export function applyRevision(bookings: RevisedBooking[], hours: readonly RevisedHour[]): number {
  const totals = bookings.map((b) => b.greenW.reduce((a, x) => a + x, 0));
  for (let sweep = 1; sweep <= MAX_SWEEPS; sweep++) {
    let changed = false;
    for (const h of hours) {
      const holders: GreenHolder[] = h.holders.map(({ b, k }) => {
        const bk = bookings[b];
        const required = requiredGreenWh(bk.minGreenShare, bk.drawW, bk.hours);
        const elsewhere = totals[b] - bk.greenW[k];
        return {
          drawW: bk.drawW,
          promisedW: bk.promisedW[k],
          needW: Math.min(bk.promisedW[k], Math.max(0, required - elsewhere)),
        };
      });
      const alloc = shareGreen(h.supplyW, holders);
      h.holders.forEach(({ b, k }, i) => {
        if (bookings[b].greenW[k] === alloc[i]) return;
        changed = true;
        totals[b] += alloc[i] - bookings[b].greenW[k];
        bookings[b].greenW[k] = alloc[i];
      });
    }
    if (!changed) return sweep;
  }
  return MAX_SWEEPS;
}
