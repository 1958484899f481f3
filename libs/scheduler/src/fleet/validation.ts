import {
  CLUSTER_LIMITS,
  GREEN_WINDOW_LIMITS,
  GRID_LIMITS,
  GRID_UNLIMITED,
  MAX_GREEN_W,
  MAX_GRID_W,
  MAX_PFLOPS,
  MAX_SLOTS,
  RANGE_SLOT_LIMITS,
} from '../domain/limits';
import { mwToWatts, TFLOPS_PER_PFLOPS } from '../domain/units';
import type { ClusterSpec, FleetSpec, SiteSpec } from '../types';
import { checkArray, checkId, checkInt, checkNonNeg3, checkObject, fail } from '../validate';

/** Checks at the Fleet's public API: each throws SchedulerInputError naming the field, before anything changes. */

/** Checks a fleet spec (ids unique, numbers in the ranges of the limits); returns slots, sites and clusters. */
export function checkSpec(spec: FleetSpec): { slots: number; sites: SiteSpec[]; clusters: ClusterSpec[] } {
  const s = checkObject('', 'spec', spec) as unknown as FleetSpec;
  const slots = checkInt('', 'slots', s.slots, 1, MAX_SLOTS);
  const sites = (s.sites === undefined || s.sites === null ? [] : checkArray('', 'sites', s.sites)) as SiteSpec[];
  const siteIds = new Set<string>();
  for (let i = 0; i < sites.length; i++) {
    const p = `sites[${i}]`;
    const x = checkObject('', p, sites[i]) as unknown as SiteSpec;
    const id = checkId('', `${p}.id`, x.id);
    if (id.startsWith('#'))
      fail('', `${p}.id`, "an id not starting with '#' (kept for the implicit site of a cluster without one)", id);
    if (siteIds.has(id)) fail('', `${p}.id`, 'unique among sites', id);
    siteIds.add(id);
    if (x.gridMw !== undefined) checkGridMw('', `${p}.gridMw`, x.gridMw);
    if (x.gridChanges !== undefined) {
      const ch = checkArray('', `${p}.gridChanges`, x.gridChanges);
      for (let k = 0; k < ch.length; k++) {
        const q = `${p}.gridChanges[${k}]`;
        const c = checkObject('', q, ch[k]);
        checkRange('', q, c.start, c.end);
        checkGridMw('', `${q}.mw`, c.mw);
      }
    }
  }
  const clusters = checkArray('', 'clusters', s.clusters) as ClusterSpec[];
  if (clusters.length === 0) fail('', 'clusters', 'a non-empty array', clusters);
  const seen = new Set<string>();
  for (let i = 0; i < clusters.length; i++) {
    const p = `clusters[${i}]`;
    const c = checkObject('', p, clusters[i]) as unknown as ClusterSpec;
    const id = checkId('', `${p}.id`, c.id);
    if (seen.has(id)) fail('', `${p}.id`, 'unique among clusters', id);
    seen.add(id);
    const L = CLUSTER_LIMITS;
    checkNonNeg3('', `${p}.capacityPflops`, c.capacityPflops, L.capacityPflops.max);
    checkBetween('', `${p}.kwPerPflops`, c.kwPerPflops, L.kwPerPflops.min, L.kwPerPflops.max);
    checkBetween('', `${p}.pue`, c.pue, L.pue.min, L.pue.max);
    checkBetween(
      '',
      `${p}.pricePerPflopsHour`,
      c.pricePerPflopsHour,
      L.pricePerPflopsHour.min,
      L.pricePerPflopsHour.max,
    );
    checkBetween('', `${p}.gridPricePerMwh`, c.gridPricePerMwh, L.gridPricePerMwh.min, L.gridPricePerMwh.max);
    if (c.capacityChanges !== undefined) {
      const ch = checkArray('', `${p}.capacityChanges`, c.capacityChanges);
      for (let k = 0; k < ch.length; k++) {
        const q = `${p}.capacityChanges[${k}]`;
        const x = checkObject('', q, ch[k]);
        checkRange('', q, x.start, x.end);
        checkNonNeg3('', `${q}.capacityPflops`, x.capacityPflops, L.capacityPflops.max);
      }
    }
    if (c.green !== undefined) {
      const g = checkArray('', `${p}.green`, c.green);
      for (let k = 0; k < g.length; k++) checkWindow('', `${p}.green[${k}]`, g[k]);
    }
    if (c.site !== undefined && c.site !== null && (typeof c.site !== 'string' || !siteIds.has(c.site)))
      fail(
        '',
        `${p}.site`,
        siteIds.size > 0
          ? `the id of a site in sites (${[...siteIds].join(', ')}), or null for a site of its own`
          : 'the id of a site in sites (there are none), or null for a site of its own',
        c.site,
      );
    if (c.gridPrices !== undefined) {
      const g = checkArray('', `${p}.gridPrices`, c.gridPrices);
      for (let k = 0; k < g.length; k++) {
        const q = `${p}.gridPrices[${k}]`;
        const x = checkObject('', q, g[k]);
        checkRange('', q, x.start, x.end);
        checkBetween('', `${q}.pricePerMwh`, x.pricePerMwh, GRID_LIMITS.pricePerMwh.min, GRID_LIMITS.pricePerMwh.max);
      }
    }
  }
  return { slots, sites, clusters };
}

/** A reserved grid capacity in MW (null = unlimited), as Int32 W (GRID_UNLIMITED = none). */
export function checkGridMw(label: string, path: string, mw: unknown): number {
  if (mw === null) return GRID_UNLIMITED;
  return mwToWatts(
    checkNonNeg3(
      label,
      path,
      mw,
      GRID_LIMITS.mw.max,
      'a non-negative number with at most 3 decimals, or null (no cap)',
    ),
  );
}

/** A grid price per MWh in the accepted range. */
export function checkGridPrice(label: string, path: string, p: unknown): number {
  return checkBetween(label, path, p, GRID_LIMITS.pricePerMwh.min, GRID_LIMITS.pricePerMwh.max);
}

/** A range [start, end) of slot integers, end > start; it may reach outside the horizon (callers clip it). */
export function checkRange(label: string, path: string, start: unknown, end: unknown): void {
  checkInt(label, `${path}.start`, start, RANGE_SLOT_LIMITS.min, RANGE_SLOT_LIMITS.max);
  checkInt(label, `${path}.end`, end, RANGE_SLOT_LIMITS.min, RANGE_SLOT_LIMITS.max);
  if ((end as number) <= (start as number)) fail(label, `${path}.end`, `> start (${start as number})`, end);
}

export function checkWindow(label: string, path: string, w: unknown): void {
  const x = checkObject(label, path, w);
  checkRange(label, path, x.start, x.end);
  checkNonNeg3(label, `${path}.mw`, x.mw, GREEN_WINDOW_LIMITS.mw.max);
  checkBetween(
    label,
    `${path}.pricePerMwh`,
    x.pricePerMwh,
    GREEN_WINDOW_LIMITS.pricePerMwh.min,
    GREEN_WINDOW_LIMITS.pricePerMwh.max,
  );
}

/** Per-slot state for loadSlots, in the Fleet's integer units. */
export interface SlotData {
  capacityTflops: ArrayLike<number>;
  bookedTflops: ArrayLike<number>;
  greenSupplyW: ArrayLike<number>;
  greenAllocW: ArrayLike<number>;
  greenPricePerMwh: ArrayLike<number>;
  /** grid W the cluster's bookings draw per slot (sum of drawW - greenW); absent = 0 in those slots */
  gridW?: ArrayLike<number>;
  /** grid price per slot; absent = the prices are left as they are */
  gridPricePerMwh?: ArrayLike<number>;
}

/** Checks loadSlots' data for [fromSlot, fromSlot + length) of a horizon of `slots`; returns the length. */
export function checkSlotData(data: SlotData, fromSlot: number, slots: number): number {
  checkObject('loadSlots: ', 'data', data);
  const names = ['capacityTflops', 'bookedTflops', 'greenSupplyW', 'greenAllocW', 'greenPricePerMwh'] as const;
  const len = arrayLen('loadSlots: ', 'data.capacityTflops', data.capacityTflops);
  for (const nm of names) {
    const l = arrayLen('loadSlots: ', `data.${nm}`, data[nm]);
    if (l !== len) fail('loadSlots: ', `data.${nm}.length`, `equal to data.capacityTflops.length (${len})`, l);
  }
  for (const nm of ['gridW', 'gridPricePerMwh'] as const) {
    if (data[nm] === undefined) continue;
    const l = arrayLen('loadSlots: ', `data.${nm}`, data[nm]);
    if (l !== len) fail('loadSlots: ', `data.${nm}.length`, `equal to data.capacityTflops.length (${len})`, l);
  }
  checkInt('loadSlots: ', 'fromSlot', fromSlot, 0, slots);
  if (fromSlot + len > slots) fail('loadSlots: ', 'fromSlot', `such that fromSlot + length <= ${slots}`, fromSlot);
  const { capacityTflops: c, bookedTflops: b, greenSupplyW: s, greenAllocW: a, greenPricePerMwh: p } = data;
  const maxTf = MAX_PFLOPS * TFLOPS_PER_PFLOPS;
  for (let i = 0; i < len; i++) {
    const cv = c[i];
    if (!Number.isInteger(cv) || cv < 0 || cv > maxTf)
      fail('loadSlots: ', `data.capacityTflops[${i}]`, `an integer in [0, ${maxTf}]`, cv);
    if (!Number.isInteger(b[i]) || b[i] < 0 || b[i] > cv)
      fail('loadSlots: ', `data.bookedTflops[${i}]`, `an integer in [0, capacity ${cv}]`, b[i]);
    if (!Number.isInteger(s[i]) || s[i] < 0 || s[i] > MAX_GREEN_W)
      fail('loadSlots: ', `data.greenSupplyW[${i}]`, `an integer in [0, ${MAX_GREEN_W}]`, s[i]);
    if (!Number.isInteger(a[i]) || a[i] < 0 || a[i] > s[i])
      fail('loadSlots: ', `data.greenAllocW[${i}]`, `an integer in [0, supply ${s[i]}]`, a[i]);
    if (typeof p[i] !== 'number' || !Number.isFinite(p[i]) || p[i] < 0)
      fail('loadSlots: ', `data.greenPricePerMwh[${i}]`, 'a finite non-negative number', p[i]);
  }
  const gw = data.gridW;
  if (gw !== undefined)
    for (let i = 0; i < len; i++)
      if (!Number.isSafeInteger(gw[i]) || gw[i] < 0)
        fail('loadSlots: ', `data.gridW[${i}]`, 'a non-negative integer (W)', gw[i]);
  const gp = data.gridPricePerMwh;
  if (gp !== undefined)
    for (let i = 0; i < len; i++) checkGridPrice('loadSlots: ', `data.gridPricePerMwh[${i}]`, gp[i]);
  return len;
}

/** Checks loadSiteSlots' caps (Int32 W in [0, MAX_GRID_W], or GRID_UNLIMITED) for [fromSlot, fromSlot + length); returns the length. */
export function checkSiteSlots(capW: unknown, fromSlot: unknown, slots: number): number {
  const len = arrayLen('loadSiteSlots: ', 'capW', capW);
  checkInt('loadSiteSlots: ', 'fromSlot', fromSlot, 0, slots);
  if ((fromSlot as number) + len > slots)
    fail('loadSiteSlots: ', 'fromSlot', `such that fromSlot + length <= ${slots}`, fromSlot);
  const c = capW as ArrayLike<number>;
  for (let i = 0; i < len; i++) {
    const v = c[i];
    if (v !== GRID_UNLIMITED && (!Number.isInteger(v) || v < 0 || v > MAX_GRID_W))
      fail(
        'loadSiteSlots: ',
        `capW[${i}]`,
        `an integer in [0, ${MAX_GRID_W}] (W) or GRID_UNLIMITED (${GRID_UNLIMITED})`,
        v,
      );
  }
  return len;
}

/** A slot clipped to [0, slots]. */
export function clip(t: number, slots: number): number {
  return t < 0 ? 0 : t > slots ? slots : t;
}

/** A finite number in [min, max]. */
function checkBetween(label: string, path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    fail(label, path, `a number in [${min}, ${max}]`, v);
  return v;
}

function arrayLen(label: string, path: string, a: unknown): number {
  if (a === null || typeof a !== 'object' || typeof (a as ArrayLike<number>).length !== 'number')
    fail(label, path, 'an array', a);
  return (a as ArrayLike<number>).length;
}
