import { Fleet, GRID_UNLIMITED } from '@pflex/scheduler';
import type { ClusterLedger, SiteCaps } from './ledger.repository';
import type { LedgerChange } from './ledger-wire';

/**
 * Writes changes into a Fleet's timelines through `loadSlots` (which checks them: booked within
 * capacity, allocated green within supply, and throws changing nothing otherwise), with scratch
 * arrays reused from one write to the next. Hours are epoch hours; the fleet's slot 0 is `base`.
 */
export class SlotWriter {
  private cap = new Int32Array(256);
  private booked = new Int32Array(256);
  private supply = new Int32Array(256);
  private alloc = new Int32Array(256);
  private price = new Float64Array(256);
  private grid = new Float64Array(256);

  /**
   * Adds `sign` x TFLOPS, green W and grid W to booked, allocated and grid drawn over
   * [slot, slot + n): TFLOPS `tflops` (one figure, or tflops[from + i]), green green[from + i],
   * grid grid[from + i] (or, when `grid` is null, one booking's drawW - green[from + i]).
   */
  add(
    f: Fleet,
    cluster: string,
    slot: number,
    n: number,
    tflops: number | ArrayLike<number>,
    green: ArrayLike<number>,
    grid: ArrayLike<number> | null,
    drawW: number,
    from: number,
    sign: 1 | -1,
  ): void {
    const t = f.timeline(cluster);
    this.grow(n);
    const each = typeof tflops !== 'number';
    for (let i = 0; i < n; i++) {
      const k = slot + i;
      const s = t.greenSupplyW[k];
      const c = t.capacityTflops[k];
      this.cap[i] = c;
      this.booked[i] = c - t.freeTflops[k] + sign * (each ? tflops[from + i] : tflops);
      this.supply[i] = s;
      this.alloc[i] = s - t.greenFreeW[k] + sign * green[from + i];
      this.price[i] = s > 0 ? t.greenPriceWeight[k] / s : 0;
      this.grid[i] = t.gridW[k] + sign * (grid === null ? drawW - green[from + i] : grid[from + i]);
    }
    f.loadSlots(cluster, slot, this.view(n));
  }

  /** Applies one committed ledger change to the cluster's timelines (hours outside them are skipped). */
  apply(f: Fleet, base: number, cluster: string, d: LedgerChange): void {
    const end = base + f.slots;
    if (d.t === 'cl') return;
    if (d.t === 'd') {
      // contiguous runs of hours, one write each
      for (let i = 0; i < d.h.length;) {
        let j = i + 1;
        while (j < d.h.length && d.h[j] === d.h[j - 1] + 1) j++;
        const a = Math.max(d.h[i], base);
        const b = Math.min(d.h[j - 1] + 1, end);
        if (a < b) this.add(f, cluster, a - base, b - a, d.tf, d.g, d.gw, 0, i + (a - d.h[i]), 1);
        i = j;
      }
      return;
    }
    const a = Math.max(d.f, base);
    const b = Math.min(d.to, end);
    if (a >= b) return;
    const t = f.timeline(cluster);
    this.grow(b - a);
    for (let h = a; h < b; h++) {
      const k = h - base;
      const q = h - a;
      if (d.t === 'rows') {
        this.cap[q] = d.tf;
        this.booked[q] = this.supply[q] = this.alloc[q] = 0;
        this.price[q] = this.grid[q] = 0;
        continue;
      }
      const s0 = t.greenSupplyW[k];
      const s = d.t === 'gw' ? s0 + d.w : s0;
      const weight = d.t === 'gw' ? t.greenPriceWeight[k] + d.w * d.p : t.greenPriceWeight[k];
      this.cap[q] = d.t === 'cap' ? d.tf : t.capacityTflops[k];
      this.booked[q] = t.capacityTflops[k] - t.freeTflops[k];
      this.alloc[q] = s0 - t.greenFreeW[k];
      this.grid[q] = t.gridW[k];
      this.supply[q] = s;
      this.price[q] = s > 0 ? Math.max(0, weight / s) : 0;
    }
    f.loadSlots(cluster, a - base, this.view(b - a));
  }

  /** Puts one cluster's ledger rows into its whole timelines (hours without a row: capacity 0). */
  load(f: Fleet, base: number, c: ClusterLedger): void {
    const n = f.slots;
    this.grow(n);
    this.cap.fill(0, 0, n);
    this.booked.fill(0, 0, n);
    this.supply.fill(0, 0, n);
    this.alloc.fill(0, 0, n);
    this.price.fill(0, 0, n);
    this.grid.fill(0, 0, n);
    for (let i = 0; i < c.hours.length; i++) {
      const k = c.hours[i] - base;
      if (k < 0 || k >= n) continue;
      this.cap[k] = c.capacity[i];
      this.booked[k] = c.booked[i];
      this.supply[k] = c.supply[i];
      this.alloc[k] = c.alloc[i];
      this.price[k] = c.price[i];
      this.grid[k] = c.grid[i];
    }
    f.loadSlots(c.id, 0, this.view(n));
  }

  /** Copies the hours `old` (slot 0 = oldBase) and `f` (slot 0 = base) share, for the clusters of both. */
  copy(old: Fleet, oldBase: number, f: Fleet, base: number): void {
    const a = Math.max(base, oldBase);
    const b = Math.min(base + f.slots, oldBase + old.slots);
    if (a >= b) return;
    const from = a - oldBase;
    const to = b - oldBase;
    this.grow(to - from);
    for (const id of f.clusterIds) {
      if (old.clusterIndex(id) < 0) continue;
      const t = old.timeline(id);
      for (let k = from; k < to; k++) {
        const s = t.greenSupplyW[k];
        this.cap[k - from] = t.capacityTflops[k];
        this.booked[k - from] = t.capacityTflops[k] - t.freeTflops[k];
        this.supply[k - from] = s;
        this.alloc[k - from] = s - t.greenFreeW[k];
        this.price[k - from] = s > 0 ? t.greenPriceWeight[k] / s : 0;
        this.grid[k - from] = t.gridW[k];
      }
      f.loadSlots(id, a - base, this.view(to - from));
    }
  }

  /**
   * Puts a site's reserved capacity (`caps`: the hours with one, absolute epoch hours; none:
   * uncapped) into the timelines (slot 0 = `base`). The database keeps grid drawn within it; where
   * the timelines hold a draw the cap no longer covers (a change that has not reached this process
   * yet), the cap is taken as that draw until it arrives: the ledger's CHECK, not this cache, is
   * what refuses an over-draw.
   */
  loadSiteCaps(f: Fleet, base: number, site: string, caps: SiteCaps | undefined): void {
    const w = new Int32Array(f.slots).fill(GRID_UNLIMITED);
    if (caps) {
      for (let i = 0; i < caps.hours.length; i++) {
        const k = caps.hours[i] - base;
        if (k >= 0 && k < f.slots) w[k] = Math.min(caps.capW[i], GRID_UNLIMITED - 1);
      }
    }
    const used = f.siteTimeline(site).usedW;
    for (let k = 0; k < w.length; k++) if (w[k] < used[k]) w[k] = Math.min(used[k], GRID_UNLIMITED);
    f.loadSiteSlots(site, 0, w);
  }

  private grow(n: number): void {
    if (this.cap.length >= n) return;
    const m = Math.max(n, this.cap.length * 2);
    this.cap = new Int32Array(m);
    this.booked = new Int32Array(m);
    this.supply = new Int32Array(m);
    this.alloc = new Int32Array(m);
    this.price = new Float64Array(m);
    this.grid = new Float64Array(m);
  }

  private view(n: number) {
    return {
      capacityTflops: this.cap.subarray(0, n),
      bookedTflops: this.booked.subarray(0, n),
      greenSupplyW: this.supply.subarray(0, n),
      greenAllocW: this.alloc.subarray(0, n),
      greenPricePerMwh: this.price.subarray(0, n),
      gridW: this.grid.subarray(0, n),
    };
  }
}
