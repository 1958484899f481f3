import * as limits from '../domain/limits';
import { BLOCK_BITS, type Timeline } from './timeline';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { GRID_UNLIMITED } = limits;
const L1 = BLOCK_BITS;
const NONE = new Float64Array(0);

/**
 * One site (a campus behind one grid connection): its clusters, the grid W its bookings draw per
 * slot and its reserved grid capacity. The rule (domain/grid.ts): used <= cap in every slot.
 *
 * `usedW` is the sum of its clusters' `gridW`; a site of one cluster shares that cluster's array.
 * The cap (`capW`, Int32 W, GRID_UNLIMITED = none) is allocated when first set or asked for. While
 * some slot is capped (`cappedSlots > 0`) the site keeps `freeW` = cap - used (Infinity where
 * unlimited) and its min and an upper bound on its max per 64-slot block (exact after a change of
 * caps), so that the search reads one array and skips blocked blocks; a site without a cap keeps
 * nothing and costs the search nothing.
 */
export class Site {
  /** the grid W drawn per slot; the cluster's gridW on a site of one cluster (see link) */
  usedW: Float64Array;
  /** usedW is the single cluster's gridW (a booking then updates it once) */
  readonly shared: boolean;
  capW: Int32Array | null = null;
  /** slots with a cap (< GRID_UNLIMITED) */
  cappedSlots = 0;
  /** cap - used per slot, Infinity where unlimited; meaningful while cappedSlots > 0 */
  freeW: Float64Array = NONE;
  freeMax64: Float64Array = NONE;
  freeMin64: Float64Array = NONE;

  constructor(
    readonly slots: number,
    /** cluster indices, in fleet order */
    readonly clusters: readonly number[],
    /** the timeline of its one cluster (then usedW is that cluster's gridW), else null */
    private readonly single: Timeline | null,
  ) {
    this.shared = single !== null;
    this.usedW = single === null ? new Float64Array(slots) : single.gridW;
  }

  /** Points usedW at the single cluster's gridW (after that array was made live or copied). */
  link(): void {
    if (this.single !== null) this.usedW = this.single.gridW;
  }

  /** The cap array, allocated (unlimited) on first use. */
  caps(): Int32Array {
    if (this.capW === null) this.capW = new Int32Array(this.slots).fill(GRID_UNLIMITED);
    return this.capW;
  }

  /** First slot of [from, to) where used would exceed the cap `cap` (a number, or cap[t - from]), -1 if none. */
  firstOver(from: number, to: number, cap: number | ArrayLike<number>): number {
    const used = this.usedW;
    for (let t = from; t < to; t++) {
      const c = typeof cap === 'number' ? cap : cap[t - from];
      if (c !== GRID_UNLIMITED && used[t] > c) return t;
    }
    return -1;
  }

  /** Sets the cap of [from, to) (checked by the caller with firstOver) and keeps the free grid and its summaries. */
  setCaps(from: number, to: number, cap: number | ArrayLike<number>): void {
    if (to <= from) return;
    const cw = this.caps();
    const wasCapped = this.cappedSlots > 0;
    let n = this.cappedSlots;
    for (let t = from; t < to; t++) {
      const c = typeof cap === 'number' ? cap : cap[t - from];
      if (cw[t] !== GRID_UNLIMITED) n--;
      if (c !== GRID_UNLIMITED) n++;
      cw[t] = c;
    }
    this.cappedSlots = n;
    if (n === 0) return;
    if (!wasCapped) {
      if (this.freeW.length !== this.slots) {
        this.freeW = new Float64Array(this.slots);
        const blocks = (this.slots + 63) >> L1;
        this.freeMax64 = new Float64Array(blocks);
        this.freeMin64 = new Float64Array(blocks);
      }
      this.refreshFree(0, this.slots);
    } else this.refreshFree(from, to);
  }

  /** Recomputes free = cap - used over [from, to) and the summaries of the blocks touching it (while capped). */
  refreshFree(from: number, to: number): void {
    if (this.cappedSlots === 0 || to <= from) return;
    const cw = this.capW as Int32Array;
    const used = this.usedW;
    const free = this.freeW;
    for (let t = from; t < to; t++) free[t] = cw[t] === GRID_UNLIMITED ? Infinity : cw[t] - used[t];
    const mx1 = this.freeMax64;
    const mn1 = this.freeMin64;
    for (let b = from >> L1; b <= (to - 1) >> L1; b++) {
      const a = b << L1;
      const z = a + 64 < this.slots ? a + 64 : this.slots;
      let mx = -Infinity;
      let mn = Infinity;
      for (let t = a; t < z; t++) {
        const f = free[t];
        if (f > mx) mx = f;
        if (f < mn) mn = f;
      }
      mx1[b] = mx;
      mn1[b] = mn;
    }
  }

  /** Recomputes the min free of block b after free rose there (stops once a slot still has the old min). */
  rescanMin(b: number): void {
    const free = this.freeW;
    const old = this.freeMin64[b];
    const a = b << L1;
    const z = a + 64 < this.slots ? a + 64 : this.slots;
    let mn = Infinity;
    for (let t = a; t < z && mn > old; t++) if (free[t] < mn) mn = free[t];
    this.freeMin64[b] = mn;
  }

  copyFrom(o: Site): void {
    if (!this.shared) this.usedW.set(o.usedW);
    if (o.capW !== null) this.caps().set(o.capW);
    else this.capW = null;
    this.cappedSlots = o.cappedSlots;
    if (o.freeW.length > 0) {
      this.freeW = o.freeW.slice();
      this.freeMax64 = o.freeMax64.slice();
      this.freeMin64 = o.freeMin64.slice();
    } else {
      this.freeW = NONE;
      this.freeMax64 = NONE;
      this.freeMin64 = NONE;
    }
  }

  byteLength(): number {
    return (
      (this.shared ? 0 : this.usedW.byteLength) +
      (this.capW === null ? 0 : this.capW.byteLength) +
      this.freeW.byteLength +
      this.freeMax64.byteLength +
      this.freeMin64.byteLength
    );
  }
}
