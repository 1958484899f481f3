import { W_PER_MW } from './units';

/**
 * The one definition of the ranges the scheduler accepts. `Fleet.fromSpec`, `addGreenWindow`
 * and `setCapacity` check against these; the API's validators import them, so a cluster the
 * API stores can always be loaded into a Fleet. All bounds are inclusive.
 */

/** Largest horizon accepted (slots). */
export const MAX_SLOTS = 10_000_000;
/** Largest capacity / request accepted, PFLOPS (keeps TFLOPS inside Int32). */
export const MAX_PFLOPS = 2_000_000;
/** Largest green supply in one slot of one cluster, W (Int32). */
export const MAX_GREEN_W = 2_000_000_000;

/**
 * Cluster parameters. Units: PFLOPS, kW per PFLOPS, PUE (facility / IT power), money per
 * PFLOPS-hour, money per MWh. `decimals` is the most decimals accepted where it matters.
 * Numerically the extremes are safe: a job's draw is a double of at most
 * MAX_PFLOPS x 10,000 kW x 10 = 2e14 W, and the green it takes per slot is bounded by the
 * supply (Int32).
 */
export const CLUSTER_LIMITS = {
  capacityPflops: { min: 0, max: MAX_PFLOPS, decimals: 3 },
  kwPerPflops: { min: 0.001, max: 10_000 },
  pue: { min: 1, max: 10 },
  pricePerPflopsHour: { min: 0, max: 1_000_000 },
  gridPricePerMwh: { min: 0, max: 100_000 },
} as const;

/**
 * Green supply windows. `mw` is per slot of the window (windows of a cluster add up, and
 * their sum in a slot must stay within MAX_GREEN_W). `start`/`end` may reach outside the
 * horizon: they are clipped to [0, slots); `slot` bounds the integers accepted at all.
 */
export const GREEN_WINDOW_LIMITS = {
  mw: { min: 0, max: MAX_GREEN_W / W_PER_MW, decimals: 3 },
  pricePerMwh: { min: 0, max: 100_000 },
} as const;

/** Slot numbers accepted in ranges (green windows, capacity changes) before clipping to the horizon. */
export const RANGE_SLOT_LIMITS = { min: -2_000_000_000, max: 2_000_000_000 } as const;

/**
 * Reserved grid capacity of a site, W per slot: an Int32 (so at most 2,000 MW, like a slot's green
 * supply). GRID_UNLIMITED (Int32 max, above any accepted capacity) marks a slot without a cap.
 */
export const MAX_GRID_W = 2_000_000_000;
export const MAX_GRID_MW = MAX_GRID_W / W_PER_MW;
export const GRID_UNLIMITED = 2_147_483_647;

/** Sites' reserved grid MW (`gridMw`, `gridChanges[].mw`; null = unlimited) and hourly grid prices (`gridPrices[].pricePerMwh`). */
export const GRID_LIMITS = {
  mw: { min: 0, max: MAX_GRID_MW, decimals: 3 },
  pricePerMwh: CLUSTER_LIMITS.gridPricePerMwh,
} as const;
