import type { ClusterSpec } from '../types';
import { fail } from '../validate';
import { BookingStore } from './bookings';
import { PlacementBuffer } from './placement-buffer';
import { Placer } from './search/placer';
import { Site } from './site';
import { Timeline } from './timeline';

/**
 * The state a Fleet holds (fleet.ts has the class, placement and bookings; fleet-grid.ts the sites
 * and tariffs; fleet-supply.ts capacity, green and bulk loads): the clusters' parameters and timelines, their sites, the booking store and the placer,
 * and the lookups every operation starts with (a cluster or site by id or index, a slot checked).
 */
export abstract class FleetState {
  /** number of hourly slots in the horizon */
  readonly slots: number;
  readonly clusterIds: readonly string[];
  /** cluster parameters (copies of the spec values) */
  readonly kwPerPflops: Float64Array;
  readonly pue: Float64Array;
  readonly pricePerPflopsHour: Float64Array;
  readonly gridPricePerMwh: Float64Array;
  /** declared sites first (spec order), then one implicit site per cluster without `site` (id '#' + cluster id) */
  readonly siteIds: readonly string[];

  protected readonly index = new Map<string, number>();
  protected readonly timelines: Timeline[] = [];
  protected readonly siteIndexOf = new Map<string, number>();
  /** per cluster: its site index */
  protected readonly siteOf: Int32Array;
  protected readonly sites: Site[] = [];
  /** how many sites the spec declared (the rest are implicit) */
  protected readonly declaredSites: number;
  /** sites with a cap and clusters with a varying grid price (the placer's fast check) */
  protected readonly counts = { cappedSites: 0, tariffClusters: 0 };
  protected readonly bookings = new BookingStore();
  protected readonly placer: Placer;
  protected readonly scratch = new PlacementBuffer();
  /**
   * Bumped by every change of state (commits, releases, loads, capacity, green, grid caps and
   * prices): a buffer filled by placeInto at the current epoch fits as it is (see Fleet.commitBuffer).
   */
  protected epoch = 0;

  protected constructor(slots: number, clusters: readonly ClusterSpec[], declaredSites: readonly string[]) {
    this.slots = slots;
    const n = clusters.length;
    this.clusterIds = Object.freeze(clusters.map((c) => c.id));
    this.kwPerPflops = new Float64Array(n);
    this.pue = new Float64Array(n);
    this.pricePerPflopsHour = new Float64Array(n);
    this.gridPricePerMwh = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const c = clusters[i];
      this.index.set(c.id, i);
      this.kwPerPflops[i] = c.kwPerPflops;
      this.pue[i] = c.pue;
      this.pricePerPflopsHour[i] = c.pricePerPflopsHour;
      this.gridPricePerMwh[i] = c.gridPricePerMwh;
      const tl = new Timeline(slots);
      tl.flatGridPrice = c.gridPricePerMwh;
      this.timelines.push(tl);
    }
    const ids = [...declaredSites];
    for (const c of clusters) if (c.site === undefined || c.site === null) ids.push('#' + c.id);
    this.siteIds = Object.freeze(ids);
    this.declaredSites = declaredSites.length;
    ids.forEach((id, k) => this.siteIndexOf.set(id, k));
    this.siteOf = new Int32Array(n);
    const members: number[][] = ids.map(() => []);
    for (let i = 0; i < n; i++) {
      const c = clusters[i];
      const k = this.siteIndexOf.get(c.site === undefined || c.site === null ? '#' + c.id : c.site) as number;
      this.siteOf[i] = k;
      members[k].push(i);
    }
    // a cluster's own grid draw is computed from its bookings when first read (liveGrid); a site
    // of several clusters keeps their sum in its own usedW from the start
    for (const m of members) this.sites.push(new Site(slots, m, m.length === 1 ? this.timelines[m[0]] : null));
    this.placer = new Placer(this.timelines, this, { siteOf: this.siteOf, sites: this.sites, counts: this.counts });
  }

  protected ci(c: unknown, field: string): number {
    if (typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < this.clusterIds.length) return c;
    const i = typeof c === 'string' ? this.index.get(c) : undefined;
    if (i === undefined) fail('', field, `a known cluster id (${this.clusterIds.join(', ')})`, c);
    return i;
  }

  /** Recounts the capped sites and the clusters with a varying price, after caps or prices changed. Complexity: O(sites + clusters). */
  protected recount(): void {
    let c = 0;
    for (const s of this.sites) if (s.cappedSlots > 0) c++;
    let t = 0;
    for (const tl of this.timelines) if (tl.tariffSlots > 0) t++;
    this.counts.cappedSites = c;
    this.counts.tariffClusters = t;
  }

  protected siteOfArg(s: unknown, field = 'site'): Site {
    if (typeof s === 'number' && Number.isInteger(s) && s >= 0 && s < this.sites.length) return this.sites[s];
    const k = typeof s === 'string' ? this.siteIndexOf.get(s) : undefined;
    if (k === undefined) fail('', field, `a known site id (${this.siteIds.join(', ')})`, s);
    return this.sites[k];
  }

  protected timelineOf(c: unknown): Timeline {
    return this.timelines[this.ci(c, 'cluster')];
  }

  protected slotIdx(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.slots) fail('', 'slot', `an integer in [0, ${this.slots - 1}]`, t);
    return t;
  }

  /**
   * Makes cluster `ci`'s grid draw live: computed from its live bookings the first time (until it
   * is read, a cluster keeps none, and a site of several clusters only their sum). Complexity:
   * O(bookings' hours) once.
   */
  protected liveGrid(ci: number): void {
    const tl = this.timelines[ci];
    if (tl.gridLive) return;
    const g = new Float64Array(this.slots);
    const st = this.bookings;
    for (let k = 0; k < st.count; k++) {
      const h = st.hours[k];
      if (h === 0 || st.cluster[k] !== ci) continue;
      const s = st.start[k];
      const off = st.greenOffset[k];
      const d = st.drawW[k];
      for (let i = 0; i < h; i++) g[s + i] += d - (off >= 0 ? st.arena[off + i] : 0);
    }
    tl.gridW = g;
    tl.gridLive = true;
    this.sites[this.siteOf[ci]].link();
  }

  /** Makes a site's used grid live: that of its one cluster (a site of several keeps their sum all along). */
  protected liveSite(s: Site): void {
    if (s.shared) this.liveGrid(s.clusters[0]);
  }

  // ---------------------------------------------------------------------------------------
  // reads

  /** Index of a cluster id, -1 when unknown. Complexity: O(1). */
  clusterIndex(id: string): number {
    const i = this.index.get(id);
    return i === undefined ? -1 : i;
  }

  /** Capacity in slot, integer TFLOPS. `c` is a cluster id or index. */
  capacityTflops(c: string | number, slot: number): number {
    return this.timelineOf(c).capacityTf[this.slotIdx(slot)];
  }

  /** Booked in slot, integer TFLOPS. */
  bookedTflops(c: string | number, slot: number): number {
    const tl = this.timelineOf(c);
    const t = this.slotIdx(slot);
    return tl.capacityTf[t] - tl.freeTf[t];
  }

  /** Free capacity in slot, integer TFLOPS. */
  freeTflops(c: string | number, slot: number): number {
    const tl = this.timelineOf(c);
    const t = this.slotIdx(slot);
    return tl.freeTf[t];
  }

  /** Green supply in slot, integer W. */
  greenSupplyW(c: string | number, slot: number): number {
    return this.timelineOf(c).greenSupplyW[this.slotIdx(slot)];
  }

  /** Green allocated to bookings in slot, integer W. */
  greenAllocW(c: string | number, slot: number): number {
    const tl = this.timelineOf(c);
    const t = this.slotIdx(slot);
    return tl.greenSupplyW[t] - tl.greenFreeW[t];
  }

  /** MW-weighted average price of the green windows covering the slot, per MWh (0 without supply). */
  greenPricePerMwh(c: string | number, slot: number): number {
    const tl = this.timelineOf(c);
    const t = this.slotIdx(slot);
    const s = tl.greenSupplyW[t];
    return s > 0 ? tl.greenPriceWeight[t] / s : 0;
  }

  /**
   * The raw per-slot arrays of one cluster, for read-only use (reference placer, dashboards,
   * persistence snapshots): TFLOPS and W integers, the green price weight (sum over covering
   * windows of supply W x price per MWh), the grid W drawn by the cluster's bookings (sum of
   * drawW - greenW; exact integers in a Float64Array) and the grid price per slot. Mutating them
   * voids every guarantee.
   * Complexity: O(1) (O(slots) the first time for a cluster whose grid price never varied).
   */
  timeline(c: string | number): {
    capacityTflops: Int32Array;
    freeTflops: Int32Array;
    greenSupplyW: Int32Array;
    greenFreeW: Int32Array;
    greenPriceWeight: Float64Array;
    gridW: Float64Array;
    /** per-slot grid price, or null while the cluster's tariff is flat (gridPricePerMwh in every slot) */
    gridPrice: Float64Array | null;
  } {
    const tl = this.timelineOf(c);
    this.liveGrid(this.ci(c, 'cluster'));
    return {
      capacityTflops: tl.capacityTf,
      freeTflops: tl.freeTf,
      greenSupplyW: tl.greenSupplyW,
      greenFreeW: tl.greenFreeW,
      greenPriceWeight: tl.greenPriceWeight,
      gridW: tl.gridW,
      gridPrice: tl.gridPrice,
    };
  }

  /** Bytes of typed arrays held per cluster-slot (timelines, sites, tariffs and summaries). */
  bytesPerClusterSlot(): number {
    let b = 0;
    for (const tl of this.timelines) b += tl.byteLength();
    for (const s of this.sites) b += s.byteLength();
    return b / (this.clusterIds.length * this.slots);
  }

  /** Number of live (committed, not released) bookings. Complexity: O(handles). */
  liveBookings(): number {
    let n = 0;
    for (let k = 0; k < this.bookings.count; k++) if (this.bookings.hours[k] > 0) n++;
    return n;
  }

  /** Total capacity over the horizon, TFLOPS x slots. Complexity: O(clusters x slots). */
  capacityTflopsSlots(): number {
    let s = 0;
    for (const tl of this.timelines) {
      const c = tl.capacityTf;
      for (let t = 0; t < c.length; t++) s += c[t];
    }
    return s;
  }
}
