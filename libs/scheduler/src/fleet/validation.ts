import { CLUSTER_LIMITS, GREEN_WINDOW_LIMITS, MAX_GREEN_W, MAX_PFLOPS, MAX_SLOTS, RANGE_SLOT_LIMITS } from '../domain/limits';
import { TFLOPS_PER_PFLOPS } from '../domain/units';
import type { ClusterSpec, FleetSpec } from '../types';
import { checkArray, checkId, checkInt, checkNonNeg3, checkObject, fail } from '../validate';

/** Checks at the Fleet's public API: each throws SchedulerInputError naming the field, before anything changes. */

/** Checks a fleet spec (ids unique, numbers in the ranges of the limits); returns slots and clusters. */
export function checkSpec(spec: FleetSpec): { slots: number; clusters: ClusterSpec[] } {
  const s = checkObject('', 'spec', spec) as unknown as FleetSpec;
  const slots = checkInt('', 'slots', s.slots, 1, MAX_SLOTS);
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
    checkBetween('', `${p}.pricePerPflopsHour`, c.pricePerPflopsHour, L.pricePerPflopsHour.min, L.pricePerPflopsHour.max);
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
  }
  return { slots, clusters };
}

/** A range [start, end) of slot integers, end > start; it may reach outside the horizon (callers clip it). */
export function checkRange(label: string, path: string, start: unknown, end: unknown): void {
  checkInt(label, `${path}.start`, start, RANGE_SLOT_LIMITS.min, RANGE_SLOT_LIMITS.max);
  checkInt(label, `${path}.end`, end, RANGE_SLOT_LIMITS.min, RANGE_SLOT_LIMITS.max);
  if ((end as number) <= (start as number)) fail(label, `${path}.end`, `> start (${start})`, end);
}

export function checkWindow(label: string, path: string, w: unknown): void {
  const x = checkObject(label, path, w);
  checkRange(label, path, x.start, x.end);
  checkNonNeg3(label, `${path}.mw`, x.mw, GREEN_WINDOW_LIMITS.mw.max);
  checkBetween(label, `${path}.pricePerMwh`, x.pricePerMwh, GREEN_WINDOW_LIMITS.pricePerMwh.min, GREEN_WINDOW_LIMITS.pricePerMwh.max);
}

/** Per-slot state for loadSlots, in the Fleet's integer units. */
export interface SlotData {
  capacityTflops: ArrayLike<number>;
  bookedTflops: ArrayLike<number>;
  greenSupplyW: ArrayLike<number>;
  greenAllocW: ArrayLike<number>;
  greenPricePerMwh: ArrayLike<number>;
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
  checkInt('loadSlots: ', 'fromSlot', fromSlot, 0, slots);
  if (fromSlot + len > slots) fail('loadSlots: ', 'fromSlot', `such that fromSlot + length <= ${slots}`, fromSlot);
  const { capacityTflops: c, bookedTflops: b, greenSupplyW: s, greenAllocW: a, greenPricePerMwh: p } = data;
  const maxTf = MAX_PFLOPS * TFLOPS_PER_PFLOPS;
  for (let i = 0; i < len; i++) {
    const cv = c[i];
    if (!Number.isInteger(cv) || cv < 0 || cv > maxTf) fail('loadSlots: ', `data.capacityTflops[${i}]`, `an integer in [0, ${maxTf}]`, cv);
    if (!Number.isInteger(b[i]) || b[i] < 0 || b[i] > cv) fail('loadSlots: ', `data.bookedTflops[${i}]`, `an integer in [0, capacity ${cv}]`, b[i]);
    if (!Number.isInteger(s[i]) || s[i] < 0 || s[i] > MAX_GREEN_W) fail('loadSlots: ', `data.greenSupplyW[${i}]`, `an integer in [0, ${MAX_GREEN_W}]`, s[i]);
    if (!Number.isInteger(a[i]) || a[i] < 0 || a[i] > s[i]) fail('loadSlots: ', `data.greenAllocW[${i}]`, `an integer in [0, supply ${s[i]}]`, a[i]);
    if (typeof p[i] !== 'number' || !Number.isFinite(p[i]) || p[i] < 0) fail('loadSlots: ', `data.greenPricePerMwh[${i}]`, 'a finite non-negative number', p[i]);
  }
  return len;
}

/** A slot clipped to [0, slots]. */
export function clip(t: number, slots: number): number {
  return t < 0 ? 0 : t > slots ? slots : t;
}

/** A finite number in [min, max]. */
function checkBetween(label: string, path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(label, path, `a number in [${min}, ${max}]`, v);
  return v;
}

function arrayLen(label: string, path: string, a: unknown): number {
  if (a === null || typeof a !== 'object' || typeof (a as ArrayLike<number>).length !== 'number') fail(label, path, 'an array', a);
  return (a as ArrayLike<number>).length;
}
