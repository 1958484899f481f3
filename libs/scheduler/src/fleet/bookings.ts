import { SchedulerConflictError } from '../errors';
import { tflopsToPflops } from '../domain/units';
import * as summaries from './summaries';
import type { Site } from './site';
import { BLOCK_BITS, type Timeline } from './timeline';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { patchFree, rescanGreenBlock } = summaries;

const L1 = BLOCK_BITS;

/**
 * The booking store: committed bookings by handle (handle = index + 1) in flat arrays, and the
 * green each holds per slot in one shared arena, so a commit allocates nothing per booking.
 */
export class BookingStore {
  /** handles issued so far */
  count = 0;
  cluster: Int32Array = new Int32Array(1024);
  start: Int32Array = new Int32Array(1024);
  /** 0 = released */
  hours: Int32Array = new Int32Array(1024);
  tflops: Int32Array = new Int32Array(1024);
  /** facility power drawn per slot, W (what release gives back to the grid, less the green) */
  drawW: Float64Array = new Float64Array(1024);
  /** offset of the booking's per-slot green W in `arena`, -1 when it holds no green */
  greenOffset: Int32Array = new Int32Array(1024);
  arena: Int32Array = new Int32Array(16384);
  arenaUsed = 0;
  /** arena entries of released bookings, reclaimed by compaction */
  arenaDead = 0;

  /** Whether `handle` names a live booking. */
  isLive(handle: unknown): handle is number {
    return (
      typeof handle === 'number' &&
      Number.isInteger(handle) &&
      handle >= 1 &&
      handle <= this.count &&
      this.hours[handle - 1] > 0
    );
  }

  /** Records a booking, copying its green into the arena when it holds any. Returns its handle. */
  add(
    ci: number,
    start: number,
    hours: number,
    tflops: number,
    drawW: number,
    greenW: ArrayLike<number>,
    anyGreen: boolean,
  ): number {
    if (anyGreen && this.arenaUsed + hours > this.arena.length) this.reserveArena(hours);
    if (this.count === this.cluster.length) this.growHandles();
    const k = this.count++;
    this.cluster[k] = ci;
    this.start[k] = start;
    this.hours[k] = hours;
    this.tflops[k] = tflops;
    this.drawW[k] = drawW;
    this.greenOffset[k] = anyGreen ? this.arenaUsed : -1;
    if (anyGreen) {
      const a = this.arena;
      const off = this.arenaUsed;
      for (let i = 0; i < hours; i++) a[off + i] = greenW[i];
      this.arenaUsed += hours;
    }
    return k + 1;
  }

  /** Marks the booking at index `k` released. */
  remove(k: number): void {
    if (this.greenOffset[k] >= 0) this.arenaDead += this.hours[k];
    this.hours[k] = 0;
    this.greenOffset[k] = -1;
  }

  /** Green Wh held by the booking at index `k`. */
  greenWh(k: number): number {
    const off = this.greenOffset[k];
    if (off < 0) return 0;
    let s = 0;
    for (let i = 0; i < this.hours[k]; i++) s += this.arena[off + i];
    return s;
  }

  copyFrom(o: BookingStore): void {
    this.count = o.count;
    this.cluster = o.cluster.slice();
    this.start = o.start.slice();
    this.hours = o.hours.slice();
    this.tflops = o.tflops.slice();
    this.drawW = o.drawW.slice();
    this.greenOffset = o.greenOffset.slice();
    this.arena = o.arena.slice();
    this.arenaUsed = o.arenaUsed;
    this.arenaDead = o.arenaDead;
  }

  /** Compacts the arena when most of it is dead, else doubles it. Offsets keep handle order. */
  private reserveArena(need: number): void {
    if (this.arenaDead > this.arenaUsed / 2) {
      const a = this.arena;
      let w = 0;
      for (let k = 0; k < this.count; k++) {
        const off = this.greenOffset[k];
        if (off < 0) continue;
        const h = this.hours[k];
        a.copyWithin(w, off, off + h);
        this.greenOffset[k] = w;
        w += h;
      }
      this.arenaUsed = w;
      this.arenaDead = 0;
      if (w + need <= a.length) return;
    }
    const b = new Int32Array(Math.max(this.arena.length * 2, this.arenaUsed + need));
    b.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = b;
  }

  private growHandles(): void {
    const n = this.cluster.length * 2;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.cluster = grow(this.cluster);
    this.start = grow(this.start);
    this.hours = grow(this.hours);
    this.tflops = grow(this.tflops);
    this.greenOffset = grow(this.greenOffset);
    const d = new Float64Array(n);
    d.set(this.drawW);
    this.drawW = d;
  }
}

/**
 * Checks that a run of `tflops` with `greenW[i]` green W in slot start + i fits the timeline;
 * throws SchedulerConflictError (NO_CAPACITY or GREEN_SHORTFALL) naming the first slot that does
 * not. Returns whether the run takes any green.
 */
export function checkFits(
  tl: Timeline,
  clusterId: string,
  what: string,
  start: number,
  hours: number,
  tflops: number,
  greenW: ArrayLike<number>,
): boolean {
  const free = tl.freeTf;
  const gfree = tl.greenFreeW;
  let anyGreen = false;
  for (let i = 0; i < hours; i++) {
    const t = start + i;
    if (free[t] < tflops)
      throw new SchedulerConflictError(
        'NO_CAPACITY',
        `${what} on ${clusterId} at ${start}: slot ${t} has ${tflopsToPflops(free[t])} PFLOPS free, needs ${tflopsToPflops(tflops)}; nothing changed`,
      );
    if (gfree[t] < greenW[i])
      throw new SchedulerConflictError(
        'GREEN_SHORTFALL',
        `${what} on ${clusterId} at ${start}: slot ${t} has ${gfree[t]} W green free, needs ${greenW[i]}; nothing changed`,
      );
    if (greenW[i] > 0) anyGreen = true;
  }
  return anyGreen;
}

/**
 * Checks that a run drawing `drawW` with `greenW[i]` green W in slot start + i fits its site's grid
 * (domain/grid.ts: drawW - greenW[i] <= cap - used in every slot); throws SchedulerConflictError
 * (GRID_LIMIT) naming the first slot that does not. Complexity: O(hours) on a capped site, else O(1).
 */
export function checkGrid(
  site: Site,
  siteId: string,
  clusterId: string,
  what: string,
  start: number,
  hours: number,
  drawW: number,
  greenW: ArrayLike<number>,
): void {
  if (site.cappedSlots === 0) return;
  const free = site.freeW;
  for (let i = 0; i < hours; i++) {
    const t = start + i;
    if (drawW - greenW[i] > free[t])
      throw new SchedulerConflictError(
        'GRID_LIMIT',
        `${what} on ${clusterId} at ${start}: slot ${t} of site ${siteId} has ${free[t]} W of reserved grid free, needs ${drawW - greenW[i]}; nothing changed`,
      );
  }
}

/** Applies a run that fits (see checkFits, checkGrid) to the timeline, its site and their summaries. Complexity: O(hours). */
export function take(
  tl: Timeline,
  site: Site,
  start: number,
  hours: number,
  tflops: number,
  drawW: number,
  greenW: ArrayLike<number>,
): void {
  const free = tl.freeTf;
  const gfree = tl.greenFreeW;
  const gm = tl.greenFreeMax64;
  // the grid draw is kept only while the cluster's gridW is live (Fleet.liveGrid)
  const gw = tl.gridLive ? tl.gridW : null;
  // one pass applies capacity, green and grid draw and notes the blocks whose free-green max may
  // have dropped (a slot that held it gave green)
  let curB = -1;
  let rescan = false;
  for (let i = 0; i < hours; i++) {
    const t = start + i;
    free[t] -= tflops;
    const gi = greenW[i];
    if (gw !== null) gw[t] += drawW - gi;
    if (gi > 0) {
      const b = t >> L1;
      if (b !== curB) {
        if (rescan) rescanGreenBlock(tl, curB);
        curB = b;
        rescan = false;
      }
      if (gfree[t] === gm[b]) rescan = true;
      gfree[t] -= gi;
    }
  }
  if (rescan) rescanGreenBlock(tl, curB);
  patchFree(tl, start, start + hours, -tflops);
  if (!site.shared || site.cappedSlots > 0) siteGrid(site, start, hours, drawW, greenW, 0, 1);
}

/**
 * Adds (sign 1) or removes (sign -1) a run's grid draw, drawW - greenW[off + i] in slot start + i
 * (off -1: no green), to the used W of a site of several clusters (one of one cluster shares the
 * cluster's gridW, already updated) and, on a capped site, to its free grid and summaries. A
 * booking lowers a block's min directly and leaves its max as an upper bound (the search only
 * skips a block that even the bound cannot serve; rescanning the max at every booking that took
 * the max slot cost 2 % of the decision rate); a release raises the max directly and rescans the
 * min only when a slot that held it gained free grid.
 */
function siteGrid(
  site: Site,
  start: number,
  hours: number,
  drawW: number,
  greenW: ArrayLike<number>,
  off: number,
  sign: number,
): void {
  const shared = site.shared;
  const used = site.usedW;
  if (site.cappedSlots === 0) {
    for (let i = 0; i < hours; i++) used[start + i] += sign * (drawW - (off >= 0 ? greenW[off + i] : 0));
    return;
  }
  const free = site.freeW;
  if (sign > 0) {
    const mn = site.freeMin64;
    for (let i = 0; i < hours; i++) {
      const t = start + i;
      const d = drawW - (off >= 0 ? greenW[off + i] : 0);
      if (!shared) used[t] += d;
      const f = free[t] - d;
      free[t] = f;
      if (f < mn[t >> L1]) mn[t >> L1] = f;
    }
    return;
  }
  const mx = site.freeMax64;
  const mn = site.freeMin64;
  let curB = -1;
  let rescan = false;
  for (let i = 0; i < hours; i++) {
    const t = start + i;
    const d = drawW - (off >= 0 ? greenW[off + i] : 0);
    if (!shared) used[t] -= d;
    const f0 = free[t];
    const f1 = f0 + d;
    free[t] = f1;
    const b = t >> L1;
    if (b !== curB) {
      if (rescan) site.rescanMin(curB);
      curB = b;
      rescan = false;
    }
    if (f1 > mx[b]) mx[b] = f1;
    if (d !== 0 && f0 === mn[b]) rescan = true;
  }
  if (rescan) site.rescanMin(curB);
}

/**
 * Gives a booking's capacity, green (`arena[off + i]` in slot start + i, off -1 for none) and grid
 * draw back to the timeline and its site. Throws SchedulerConflictError, changing nothing, if a
 * slot holds less than the booking (the timeline was reloaded under it).
 */
export function giveBack(
  tl: Timeline,
  site: Site,
  clusterId: string,
  handle: number,
  start: number,
  hours: number,
  tflops: number,
  drawW: number,
  arena: Int32Array,
  off: number,
): void {
  const cap = tl.capacityTf;
  const free = tl.freeTf;
  const sup = tl.greenSupplyW;
  const gfree = tl.greenFreeW;
  const gw = tl.gridLive ? tl.gridW : null;
  for (let i = 0; i < hours; i++) {
    const t = start + i;
    const g = off >= 0 ? arena[off + i] : 0;
    // booked (capacity - free) and allocated (supply - free green) hold at least the booking
    if (cap[t] - free[t] < tflops || sup[t] - gfree[t] < g || (gw !== null && gw[t] < drawW - g))
      throw new SchedulerConflictError(
        'INVALID',
        `release ${handle}: slot ${start + i} of ${clusterId} holds less than the booking (state reloaded?); nothing changed`,
      );
  }
  for (let i = 0; i < hours; i++) free[start + i] += tflops;
  if (gw !== null) for (let i = 0; i < hours; i++) gw[start + i] -= drawW - (off >= 0 ? arena[off + i] : 0);
  if (off >= 0) {
    const gm = tl.greenFreeMax64;
    for (let i = 0; i < hours; i++) {
      const t = start + i;
      // free green only grows here, so the block max can only grow
      const f = (gfree[t] += arena[off + i]);
      if (f > gm[t >> L1]) gm[t >> L1] = f;
    }
  }
  patchFree(tl, start, start + hours, tflops);
  if (!site.shared || site.cappedSlots > 0) siteGrid(site, start, hours, drawW, arena, off, -1);
}
