import { MAX_GREEN_W, MAX_PFLOPS } from '../domain/limits';
import { greenShare } from '../domain/green-share';
import * as units from '../domain/units';
import { mwToWatts, tflopsToPflops, wattsToMw, whToMwh } from '../domain/units';
import type { ClusterSpec, Decision, FleetSpec, JobRequest, Objective, Placement, RefusalReason } from '../types';
import { checkInt, checkObject, checkPositive3, fail } from '../validate';
import * as bookings from './bookings';
import { giveBack } from './bookings';
import * as job from './job';
import { jobLabel, refusalMessage } from './job';
import * as buffer from './placement-buffer';
import { PlacementBuffer } from './placement-buffer';
import { FleetSupply } from './fleet-supply';
import { refreshFree, refreshGreenFree } from './summaries';
import { checkSpec, clip } from './validation';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { checkFits, checkGrid, take } = bookings;
const { nextFill, reserveGreen, settle } = buffer;
const { readJob } = job;
const { drawWatts, toTflops } = units;

/**
 * In-memory timelines of a fleet of clusters over a horizon of hourly slots, with online
 * placement, quotes, commit/release and bulk loading. Per cluster-slot it stores Int32
 * capacity and free TFLOPS, Int32 green supply and free green in W and a Float64 sum of
 * (supply W x price) for the slot's green price: 24 bytes, plus a two-level max/min summary of
 * free capacity (64- and 4096-slot blocks, about 0.13 bytes per slot), and, once read, a Float64
 * grid draw of the cluster's bookings (8 bytes). Clusters belong to sites (a campus behind one grid connection, with a
 * reserved grid capacity per slot: see Site and domain/grid.ts); a cluster may have a time-of-use
 * grid tariff (a Float64 price per slot, allocated when the price first varies).
 *
 * Not thread-safe; one instance per event loop. Inputs are checked at every public method,
 * and a method that throws has changed nothing.
 */
export class Fleet extends FleetSupply {
  /** the buffer of the last successful placeInto, what it placed and at which epoch (commitBuffer's fast path) */
  private fresh: PlacementBuffer | null = null;
  private freshEpoch = -1;
  private freshCluster = -1;
  private freshStart = -1;
  private freshHours = 0;
  private freshPflops = 0;
  private freshDraw = 0;
  private freshFill = 0;

  private constructor(slots: number, clusters: readonly ClusterSpec[], declaredSites: readonly string[]) {
    super(slots, clusters, declaredSites);
  }

  /**
   * Builds a fleet from a spec, checking everything (ids unique, site ids unique and not starting
   * with '#', a cluster's `site` declared, numbers finite and in the ranges of CLUSTER_LIMITS,
   * GREEN_WINDOW_LIMITS and GRID_LIMITS, ranges with end > start). Capacity changes, green windows,
   * grid capacity changes and grid price ranges may reach outside the horizon: they are clipped to
   * [0, slots). Throws SchedulerInputError naming the field, e.g. `clusters[0].green[2].mw` or
   * `sites[0].gridChanges[1].mw`.
   * Complexity: O((clusters + sites) x slots + total length of changes, windows and ranges).
   */
  static fromSpec(spec: FleetSpec): Fleet {
    const { slots, sites, clusters } = checkSpec(spec);
    const f = new Fleet(
      slots,
      clusters,
      sites.map((x) => x.id),
    );
    for (let k = 0; k < sites.length; k++) f.applySiteSpec(k, sites[k]);
    for (let i = 0; i < clusters.length; i++) {
      const c = clusters[i];
      const tl = f.timelines[i];
      tl.setCapacity(0, slots, toTflops(c.capacityPflops));
      for (const ch of c.capacityChanges ?? [])
        tl.setCapacity(clip(ch.start, slots), clip(ch.end, slots), toTflops(ch.capacityPflops));
      const green = c.green ?? [];
      for (let k = 0; k < green.length; k++) {
        const w = green[k];
        const from = clip(w.start, slots);
        const to = clip(w.end, slots);
        const watts = mwToWatts(w.mw);
        const t = f.slotOverGreenLimit(tl, from, to, watts);
        if (t >= 0)
          fail(
            '',
            `clusters[${i}].green[${k}].mw`,
            `such that overlapping windows stay within ${wattsToMw(MAX_GREEN_W)} MW in slot ${t}`,
            w.mw,
          );
        tl.addGreen(from, to, watts, w.pricePerMwh);
      }
      for (const r of c.gridPrices ?? []) tl.setPrices(clip(r.start, slots), clip(r.end, slots), r.pricePerMwh);
      refreshFree(tl, 0, slots);
      refreshGreenFree(tl, 0, slots);
    }
    f.recount();
    return f;
  }

  /** Deep copy (timelines, sites, tariffs and bookings). Complexity: O((clusters + sites) x slots + bookings). */
  clone(): Fleet {
    const specs: ClusterSpec[] = this.clusterIds.map((id, i) => {
      const c: ClusterSpec = {
        id,
        capacityPflops: 0,
        kwPerPflops: this.kwPerPflops[i],
        pue: this.pue[i],
        pricePerPflopsHour: this.pricePerPflopsHour[i],
        gridPricePerMwh: this.gridPricePerMwh[i],
      };
      if (this.siteOf[i] < this.declaredSites) c.site = this.siteIds[this.siteOf[i]];
      return c;
    });
    const f = new Fleet(this.slots, specs, this.siteIds.slice(0, this.declaredSites));
    for (let i = 0; i < specs.length; i++) f.timelines[i].copyFrom(this.timelines[i]);
    for (let k = 0; k < this.sites.length; k++) {
      f.sites[k].link();
      f.sites[k].copyFrom(this.sites[k]);
    }
    f.bookings.copyFrom(this.bookings);
    f.recount();
    return f;
  }

  // ---------------------------------------------------------------------------------------
  // placement

  /**
   * Best option for `job` under `objective` (default job.objective ?? 'EARLIEST'); nothing
   * is committed. Refusals carry a reason (OUTSIDE_HORIZON, NO_CAPACITY, GRID_LIMIT, GREEN_SHORTFALL).
   * Throws SchedulerInputError for an invalid request.
   * Complexity: EARLIEST without minGreenShare O(clusters x (blocks skipped + slots scanned in
   * partly-free blocks)), otherwise O(clusters x window length); plus O(hours) for the result.
   */
  place(job: JobRequest, objective?: Objective): Decision {
    const out = this.scratch;
    // the argument wins over job.objective; a job that is not an object is refused by checkJob
    const r = this.placeInto(job, objective ?? job?.objective ?? 'EARLIEST', out);
    if (r !== null) return { ok: false, reason: r, message: refusalMessage(job, r, this.slots) };
    return { ok: true, placement: this.toPlacement(job.id, out) };
  }

  /**
   * Best option under each objective, nothing committed.
   * Complexity: 3 x place().
   */
  quote(job: JobRequest): Record<Objective, Decision> {
    this.checkJob(job);
    return {
      EARLIEST: this.place(job, 'EARLIEST'),
      GREENEST: this.place(job, 'GREENEST'),
      CHEAPEST: this.place(job, 'CHEAPEST'),
    };
  }

  /**
   * Allocation-free placement: writes the best option into `out` and returns null, or returns
   * the refusal reason. Throws SchedulerInputError for an invalid request.
   * Complexity: as place().
   */
  placeInto(job: JobRequest, objective: Objective, out: PlacementBuffer): RefusalReason | null {
    if (!(out instanceof PlacementBuffer)) fail('', 'out', 'a PlacementBuffer', out);
    this.checkJob(job);
    if (objective !== 'EARLIEST' && objective !== 'GREENEST' && objective !== 'CHEAPEST')
      fail(jobLabel(job), 'objective', 'EARLIEST, GREENEST or CHEAPEST', objective);
    const r = this.placer.place(objective);
    if (r !== null) return r;
    const { cluster: ci, start } = this.placer.best;
    const j = this.placer.job;
    const draw = this.placer.drawOn(ci);
    const tl = this.timelines[ci];
    settle(
      out,
      tl,
      ci,
      start,
      j.hours,
      j.pflops,
      j.tflops,
      draw,
      this.pricePerPflopsHour[ci],
      this.gridPricePerMwh[ci],
      true,
    );
    this.fresh = out;
    this.freshEpoch = this.epoch;
    this.freshCluster = ci;
    this.freshStart = start;
    this.freshHours = j.hours;
    this.freshPflops = j.pflops;
    this.freshDraw = draw;
    this.freshFill = out.fill = nextFill();
    return null;
  }

  /**
   * Checks a request as place() would, without placing it. Throws SchedulerInputError.
   * Complexity: O(clusters listed).
   */
  checkJob(job: JobRequest): void {
    readJob(job, this.index, this.clusterIds, this.slots, this.placer.job);
  }

  // ---------------------------------------------------------------------------------------
  // bookings

  /**
   * Commits a placement returned by place()/quote() on this fleet state and returns a handle
   * for release(). Throws SchedulerConflictError if it no longer fits (capacity, green or the
   * site's grid: reason GRID_LIMIT), or
   * SchedulerInputError if it is malformed; nothing is changed when it throws.
   * Complexity: O(hours).
   */
  commit(p: Placement): number {
    const o = checkObject('placement: ', 'placement', p) as unknown as Placement;
    const ci = this.ci(o.cluster, 'placement.cluster');
    if (o.clusterIndex !== undefined && o.clusterIndex !== ci)
      fail('', 'placement.clusterIndex', `${ci} (index of ${o.cluster})`, o.clusterIndex);
    const pflops = checkPositive3('', 'placement.pflops', o.pflops, MAX_PFLOPS);
    return this.book(ci, o.start, o.hours, pflops, o.greenW, 'placement', false);
  }

  /**
   * Commits a filled PlacementBuffer (see placeInto). A buffer filled by the last placeInto on
   * this fleet, with nothing changed since (no commit, release, load, capacity, green, grid cap or
   * price change) and its placement fields as placeInto wrote them, fits by construction and is
   * applied without checking it again; any other buffer is checked like commit(). Its `greenW`
   * must not be changed between placeInto and commitBuffer. Complexity: O(hours).
   */
  commitBuffer(out: PlacementBuffer): number {
    if (!(out instanceof PlacementBuffer) || out.clusterIndex < 0 || out.clusterIndex >= this.clusterIds.length)
      fail('', 'buffer', 'a PlacementBuffer filled by placeInto on this fleet', out);
    // its own last fill (not since refilled by another fleet, e.g. a clone's what-if), on this very state
    const fresh =
      out === this.fresh &&
      out.fill === this.freshFill &&
      this.freshEpoch === this.epoch &&
      out.clusterIndex === this.freshCluster &&
      out.start === this.freshStart &&
      out.hours === this.freshHours &&
      out.pflops === this.freshPflops &&
      out.drawW === this.freshDraw;
    // any other buffer is checked like commit(): its PFLOPS, its draw from them here, its green per slot
    if (!fresh) checkPositive3('', 'placement.pflops', out.pflops, MAX_PFLOPS);
    return this.book(
      out.clusterIndex,
      out.start,
      out.hours,
      out.pflops,
      out.greenW,
      'placement',
      fresh,
      out.drawW,
      fresh ? out.greenWh > 0 : null,
    );
  }

  /**
   * Applies a booking committed elsewhere (another replica, the database ledger).
   * `greenW[i]` is the green power (W) the booking holds in slot start + i.
   * Validated; throws SchedulerConflictError if it does not fit this state. Returns a handle.
   * Complexity: O(hours).
   */
  applyBooking(b: {
    cluster: string;
    start: number;
    pflops: number;
    hours: number;
    greenW: ArrayLike<number>;
  }): number {
    const o = checkObject('', 'booking', b) as unknown as typeof b;
    const ci = this.ci(o.cluster, 'booking.cluster');
    const pflops = checkPositive3('', 'booking.pflops', o.pflops, MAX_PFLOPS);
    return this.book(ci, o.start, o.hours, pflops, o.greenW, 'booking', false);
  }

  /**
   * Releases (cancels) a committed booking, restoring capacity, green and its site's grid exactly.
   * Throws SchedulerInputError for an unknown or already released handle.
   * Complexity: O(hours).
   */
  release(handle: number): void {
    this.epoch++;
    const st = this.bookings;
    if (!st.isLive(handle)) fail('', 'handle', 'the handle of a live booking', handle);
    const k = handle - 1;
    const ci = st.cluster[k];
    giveBack(
      this.timelines[ci],
      this.sites[this.siteOf[ci]],
      this.clusterIds[ci],
      handle,
      st.start[k],
      st.hours[k],
      st.tflops[k],
      st.drawW[k],
      st.arena,
      st.greenOffset[k],
    );
    st.remove(k);
  }

  /**
   * The committed booking behind a handle, as a Placement priced at the current green prices.
   * Complexity: O(hours).
   */
  placementOf(handle: number, jobId?: string): Placement {
    const st = this.bookings;
    if (!st.isLive(handle)) fail('', 'handle', 'the handle of a live booking', handle);
    const k = handle - 1;
    const ci = st.cluster[k];
    const h = st.hours[k];
    const tf = st.tflops[k];
    const off = st.greenOffset[k];
    const pflops = tflopsToPflops(tf);
    const draw = st.drawW[k];
    const out = this.scratch;
    const gw = reserveGreen(out, h);
    for (let i = 0; i < h; i++) gw[i] = off >= 0 ? st.arena[off + i] : 0;
    settle(
      out,
      this.timelines[ci],
      ci,
      st.start[k],
      h,
      pflops,
      tf,
      draw,
      this.pricePerPflopsHour[ci],
      this.gridPricePerMwh[ci],
      false,
    );
    return this.toPlacement(jobId, out);
  }

  /** Start slot of a live booking (-1 if released). Complexity: O(1). */
  bookingStart(handle: number): number {
    return this.bookings.isLive(handle) ? this.bookings.start[handle - 1] : -1;
  }

  /** Cluster index of a live booking (-1 if released). Complexity: O(1). */
  bookingCluster(handle: number): number {
    return this.bookings.isLive(handle) ? this.bookings.cluster[handle - 1] : -1;
  }

  /** Green Wh held by a live booking (0 if released). Complexity: O(hours). */
  bookingGreenWh(handle: number): number {
    return this.bookings.isLive(handle) ? this.bookings.greenWh(handle - 1) : 0;
  }

  // ---------------------------------------------------------------------------------------
  // internals

  /** Shared commit path: validates, checks fit, applies, records a handle. `trusted`: greenW came from placeInto. */
  private book(
    ci: number,
    start: unknown,
    hours: unknown,
    pflops: number,
    greenW: ArrayLike<number>,
    what: string,
    trusted: boolean,
    trustedDraw = 0,
    /** commitBuffer of a fresh placement (it fits): whether it takes any green; null = check it */
    freshAnyGreen: boolean | null = null,
  ): number {
    this.epoch++;
    // field names are built only on failure: this runs once per commit
    if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1 || hours > this.slots)
      checkInt('', `${what}.hours`, hours, 1, this.slots);
    const h = hours as number;
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > this.slots - h)
      checkInt('', `${what}.start`, start, 0, this.slots - h);
    const s = start as number;
    if (greenW === null || typeof greenW !== 'object' || typeof greenW.length !== 'number' || greenW.length < h)
      fail('', `${what}.greenW`, `an array of at least ${h} integers (W per slot)`, greenW);
    const tf = toTflops(pflops);
    // from placeInto the buffer carries the draw; otherwise it is computed (and greenW checked against it)
    const draw = trusted ? trustedDraw : drawWatts(pflops, this.kwPerPflops[ci], this.pue[ci]);
    if (!trusted) {
      for (let i = 0; i < h; i++) {
        const g = greenW[i];
        if (!Number.isInteger(g) || g < 0 || g > draw)
          fail('', `${what}.greenW[${i}]`, `an integer in [0, draw ${draw} W]`, g);
      }
    }
    const tl = this.timelines[ci];
    const site = this.sites[this.siteOf[ci]];
    // a fresh placement (commitBuffer) was searched on this very state: it fits
    let anyGreen = freshAnyGreen === true;
    if (freshAnyGreen === null) {
      anyGreen = checkFits(tl, this.clusterIds[ci], what, s, h, tf, greenW);
      if (site.cappedSlots > 0)
        checkGrid(site, this.siteIds[this.siteOf[ci]], this.clusterIds[ci], what, s, h, draw, greenW);
    }
    take(tl, site, s, h, tf, draw, greenW);
    return this.bookings.add(ci, s, h, tf, draw, greenW, anyGreen);
  }

  private toPlacement(jobId: string | undefined, out: PlacementBuffer): Placement {
    const h = out.hours;
    const energyWh = out.drawW * h;
    const total = out.priceCompute + out.priceGreen + out.priceGrid;
    const gridW = new Float64Array(h);
    for (let i = 0; i < h; i++) gridW[i] = out.drawW - out.greenW[i];
    // the prices settle() charged: flat, or each slot's under a tariff
    const tl = this.timelines[out.clusterIndex];
    const gridPricePerMwh = new Float64Array(h);
    if (tl.tariffSlots === 0) gridPricePerMwh.fill(this.gridPricePerMwh[out.clusterIndex]);
    else gridPricePerMwh.set((tl.gridPrice as Float64Array).subarray(out.start, out.start + h));
    const p: Placement = {
      cluster: this.clusterIds[out.clusterIndex],
      clusterIndex: out.clusterIndex,
      start: out.start,
      end: out.start + h,
      hours: h,
      pflops: out.pflops,
      tflops: out.tflops,
      drawW: out.drawW,
      greenW: out.greenW.slice(0, h),
      gridW,
      gridPricePerMwh,
      greenMwh: whToMwh(out.greenWh),
      gridMwh: whToMwh(energyWh - out.greenWh),
      energyMwh: whToMwh(energyWh),
      greenShare: greenShare(out.greenWh, energyWh, 1),
      price: { compute: out.priceCompute, greenEnergy: out.priceGreen, gridEnergy: out.priceGrid, total },
    };
    if (jobId !== undefined) p.job = jobId;
    return p;
  }
}
