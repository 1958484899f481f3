import { SchedulerConflictError } from './errors';
import { drawWatts, mwToWatts, requiredGreenWh } from './price';
import type {
  ClusterSpec,
  Decision,
  FleetSpec,
  GreenWindow,
  JobRequest,
  Objective,
  Placement,
  RefusalReason,
} from './types';
import { CLUSTER_LIMITS, GREEN_WINDOW_LIMITS, MAX_GREEN_W, MAX_PFLOPS, MAX_SLOTS, RANGE_SLOT_LIMITS } from './limits';
import {
  checkArray,
  checkId,
  checkInt,
  checkNonNeg3,
  checkObject,
  checkPositive3,
  fail,
} from './validate';

export { MAX_SLOTS, MAX_PFLOPS, MAX_GREEN_W } from './limits';

const L1 = 6; // level-1 summary block: 64 slots
const L2 = 12; // level-2 summary block: 4096 slots
const INT32_MAX = 2147483647;

const MODE_FIRST = 0;
const MODE_GREENEST = 1;
const MODE_CHEAPEST = 2;

/**
 * Reusable output of {@link Fleet.placeInto}: the hot path writes here instead of allocating.
 * `greenW` is a scratch buffer grown on demand; only its first `hours` entries are meaningful.
 */
export class PlacementBuffer {
  clusterIndex = -1;
  start = -1;
  hours = 0;
  pflops = 0;
  tflops = 0;
  drawW = 0;
  /** sum of greenW over the placement, Wh */
  greenWh = 0;
  greenW: Int32Array = new Int32Array(256);
  priceCompute = 0;
  priceGreen = 0;
  priceGrid = 0;
}

function clusterLabel(spec: FleetSpec, i: number): string {
  return `clusters[${i}]`;
}

/**
 * In-memory timelines of a fleet of clusters over a horizon of hourly slots, with online
 * placement, quotes, commit/release and bulk loading. Per cluster-slot it stores Int32
 * capacity and booked TFLOPS, Int32 green supply and allocation in W and a Float64 sum of
 * (supply W x price) for the slot's green price: 24 bytes, plus a two-level max/min summary of
 * free capacity (64- and 4096-slot blocks, about 0.13 bytes per slot).
 *
 * Not thread-safe; one instance per event loop. Inputs are checked at every public method,
 * and a method that throws has changed nothing.
 */
export class Fleet {
  /** number of hourly slots in the horizon */
  readonly slots: number;
  readonly clusterIds: readonly string[];
  /** cluster parameters (copies of the spec values) */
  readonly kwPerPflops: Float64Array;
  readonly pue: Float64Array;
  readonly pricePerPflopsHour: Float64Array;
  readonly gridPricePerMwh: Float64Array;

  private readonly index = new Map<string, number>();
  private readonly cap: Int32Array[] = [];
  private readonly booked: Int32Array[] = [];
  private readonly supply: Int32Array[] = [];
  private readonly alloc: Int32Array[] = [];
  private readonly weight: Float64Array[] = [];
  private readonly max1: Int32Array[] = [];
  private readonly min1: Int32Array[] = [];
  private readonly max2: Int32Array[] = [];
  private readonly min2: Int32Array[] = [];
  /** per 64-slot block: max free green W (supply - alloc) */
  private readonly gmax1: Int32Array[] = [];
  /**
   * per cluster: a lower bound on the green price of any slot (the lowest price ever supplied
   * there; a slot's price is an average of such prices), Infinity before any green. It only
   * falls, so it stays a bound whatever is loaded or added later.
   */
  private readonly gpMin: Float64Array;

  // bookings by handle (handle = index + 1); hours 0 = released
  private hCount = 0;
  private hCluster: Int32Array = new Int32Array(1024);
  private hStart: Int32Array = new Int32Array(1024);
  private hHours: Int32Array = new Int32Array(1024);
  private hTf: Int32Array = new Int32Array(1024);
  /** offset of a booking's per-slot green W in `arena`, -1 when it holds no green */
  private hOff: Int32Array = new Int32Array(1024);
  private arena: Int32Array = new Int32Array(16384);
  private arenaUsed = 0;
  private arenaDead = 0;

  // normalised current job (scratch, written by readJob)
  private jTf = 0;
  private jPflops = 0;
  private jH = 0;
  private jE = 0;
  private jEnd = 0;
  private jMin = 0;
  private jN = 0;
  private readonly jAllowed: Int32Array;
  // visiting order of the allowed clusters for GREENEST/CHEAPEST (most promising first)
  private readonly ordK: Int32Array;
  private readonly ordKey: Float64Array;
  private readonly ordGmx: Int32Array;
  private readonly ordDraw: Float64Array;
  /** CHEAPEST: the running window's cost terms, so that a dropped slot's term is not recomputed */
  private ring: Float64Array = new Float64Array(64);

  // best option so far (scratch)
  private bCi = -1;
  private bS = -1;
  /** position of the best option's cluster in the job's list (ties: earlier start, then earlier in the list) */
  private bK = -1;
  private bG = -1;
  private bCost = Infinity;
  private capFit = false;

  private readonly scratch = new PlacementBuffer();

  private constructor(slots: number, clusters: readonly ClusterSpec[]) {
    this.slots = slots;
    const n = clusters.length;
    this.clusterIds = Object.freeze(clusters.map((c) => c.id));
    this.kwPerPflops = new Float64Array(n);
    this.pue = new Float64Array(n);
    this.pricePerPflopsHour = new Float64Array(n);
    this.gridPricePerMwh = new Float64Array(n);
    this.jAllowed = new Int32Array(n);
    this.ordK = new Int32Array(n);
    this.ordKey = new Float64Array(n);
    this.ordGmx = new Int32Array(n);
    this.ordDraw = new Float64Array(n);
    this.gpMin = new Float64Array(n).fill(Infinity);
    const n1 = (slots + 63) >> L1;
    const n2 = (slots + 4095) >> L2;
    for (let i = 0; i < n; i++) {
      const c = clusters[i];
      this.index.set(c.id, i);
      this.kwPerPflops[i] = c.kwPerPflops;
      this.pue[i] = c.pue;
      this.pricePerPflopsHour[i] = c.pricePerPflopsHour;
      this.gridPricePerMwh[i] = c.gridPricePerMwh;
      this.cap.push(new Int32Array(slots));
      this.booked.push(new Int32Array(slots));
      this.supply.push(new Int32Array(slots));
      this.alloc.push(new Int32Array(slots));
      this.weight.push(new Float64Array(slots));
      this.max1.push(new Int32Array(n1));
      this.min1.push(new Int32Array(n1));
      this.max2.push(new Int32Array(n2));
      this.min2.push(new Int32Array(n2));
      this.gmax1.push(new Int32Array(n1));
    }
  }

  /**
   * Builds a fleet from a spec, checking everything (ids unique, numbers finite and in the
   * ranges of CLUSTER_LIMITS and GREEN_WINDOW_LIMITS, ranges with end > start). Capacity changes
   * and green windows may reach outside the horizon: they are clipped to [0, slots).
   * Throws SchedulerInputError naming the field, e.g. `clusters[0].green[2].mw`.
   * Complexity: O(clusters x slots + total length of changes and windows).
   */
  static fromSpec(spec: FleetSpec): Fleet {
    const s = checkObject('', 'spec', spec) as unknown as FleetSpec;
    const slots = checkInt('', 'slots', s.slots, 1, MAX_SLOTS);
    const clusters = checkArray('', 'clusters', s.clusters) as ClusterSpec[];
    if (clusters.length === 0) fail('', 'clusters', 'a non-empty array', clusters);
    const seen = new Set<string>();
    const norm: ClusterSpec[] = [];
    for (let i = 0; i < clusters.length; i++) {
      const p = clusterLabel(s, i);
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
      norm.push(c);
    }
    const f = new Fleet(slots, norm);
    for (let i = 0; i < norm.length; i++) {
      const c = norm[i];
      f.cap[i].fill(Math.round(c.capacityPflops * 1000));
      // ranges reaching outside the horizon are clipped to [0, slots)
      if (c.capacityChanges) {
        for (const ch of c.capacityChanges) f.cap[i].fill(Math.round(ch.capacityPflops * 1000), clip(ch.start, slots), clip(ch.end, slots));
      }
      if (c.green) {
        for (let k = 0; k < c.green.length; k++) {
          const w = c.green[k];
          const watts = mwToWatts(w.mw);
          const sup = f.supply[i];
          const we = clip(w.end, slots);
          for (let t = clip(w.start, slots); t < we; t++) {
            if (sup[t] + watts > MAX_GREEN_W)
              fail('', `${clusterLabel(s, i)}.green[${k}].mw`, `such that overlapping windows stay within ${MAX_GREEN_W / 1e6} MW in slot ${t}`, w.mw);
            sup[t] += watts;
            f.weight[i][t] += watts * w.pricePerMwh;
          }
          if (watts > 0 && we > clip(w.start, slots) && w.pricePerMwh < f.gpMin[i]) f.gpMin[i] = w.pricePerMwh;
        }
      }
      f.refresh(i, 0, slots);
      f.refreshGreen(i, 0, slots);
    }
    return f;
  }

  /** Deep copy (timelines and bookings). Complexity: O(clusters x slots + bookings). */
  clone(): Fleet {
    const n = this.clusterIds.length;
    const specs: ClusterSpec[] = [];
    for (let i = 0; i < n; i++)
      specs.push({
        id: this.clusterIds[i],
        capacityPflops: 0,
        kwPerPflops: this.kwPerPflops[i],
        pue: this.pue[i],
        pricePerPflopsHour: this.pricePerPflopsHour[i],
        gridPricePerMwh: this.gridPricePerMwh[i],
      });
    const f = new Fleet(this.slots, specs);
    for (let i = 0; i < n; i++) {
      f.cap[i].set(this.cap[i]);
      f.booked[i].set(this.booked[i]);
      f.supply[i].set(this.supply[i]);
      f.alloc[i].set(this.alloc[i]);
      f.weight[i].set(this.weight[i]);
      f.max1[i].set(this.max1[i]);
      f.min1[i].set(this.min1[i]);
      f.max2[i].set(this.max2[i]);
      f.min2[i].set(this.min2[i]);
      f.gmax1[i].set(this.gmax1[i]);
      f.gpMin[i] = this.gpMin[i];
    }
    f.hCount = this.hCount;
    f.hCluster = this.hCluster.slice();
    f.hStart = this.hStart.slice();
    f.hHours = this.hHours.slice();
    f.hTf = this.hTf.slice();
    f.hOff = this.hOff.slice();
    f.arena = this.arena.slice();
    f.arenaUsed = this.arenaUsed;
    f.arenaDead = this.arenaDead;
    return f;
  }

  /** Index of a cluster id, -1 when unknown. Complexity: O(1). */
  clusterIndex(id: string): number {
    const i = this.index.get(id);
    return i === undefined ? -1 : i;
  }

  /** Capacity in slot, integer TFLOPS. `c` is a cluster id or index. */
  capacityTflops(c: string | number, slot: number): number {
    return this.cap[this.ci(c, 'cluster')][this.slotIdx(slot)];
  }
  /** Booked in slot, integer TFLOPS. */
  bookedTflops(c: string | number, slot: number): number {
    return this.booked[this.ci(c, 'cluster')][this.slotIdx(slot)];
  }
  /** Free capacity in slot, integer TFLOPS. */
  freeTflops(c: string | number, slot: number): number {
    const i = this.ci(c, 'cluster');
    const t = this.slotIdx(slot);
    return this.cap[i][t] - this.booked[i][t];
  }
  /** Green supply in slot, integer W. */
  greenSupplyW(c: string | number, slot: number): number {
    return this.supply[this.ci(c, 'cluster')][this.slotIdx(slot)];
  }
  /** Green allocated to bookings in slot, integer W. */
  greenAllocW(c: string | number, slot: number): number {
    return this.alloc[this.ci(c, 'cluster')][this.slotIdx(slot)];
  }
  /** MW-weighted average price of the green windows covering the slot, per MWh (0 without supply). */
  greenPricePerMwh(c: string | number, slot: number): number {
    const i = this.ci(c, 'cluster');
    const t = this.slotIdx(slot);
    const s = this.supply[i][t];
    return s > 0 ? this.weight[i][t] / s : 0;
  }
  /**
   * The raw per-slot arrays of one cluster, for read-only use (reference placer, dashboards,
   * persistence snapshots): TFLOPS and W integers, and the green price weight
   * (sum over covering windows of supply W x price per MWh). Mutating them voids every guarantee.
   * Complexity: O(1).
   */
  timeline(c: string | number): {
    capacityTflops: Int32Array;
    bookedTflops: Int32Array;
    greenSupplyW: Int32Array;
    greenAllocW: Int32Array;
    greenPriceWeight: Float64Array;
  } {
    const i = this.ci(c, 'cluster');
    return {
      capacityTflops: this.cap[i],
      bookedTflops: this.booked[i],
      greenSupplyW: this.supply[i],
      greenAllocW: this.alloc[i],
      greenPriceWeight: this.weight[i],
    };
  }

  /** Bytes of typed arrays held per cluster-slot (timelines + summaries). */
  bytesPerClusterSlot(): number {
    let b = 0;
    for (let i = 0; i < this.clusterIds.length; i++)
      b +=
        this.cap[i].byteLength +
        this.booked[i].byteLength +
        this.supply[i].byteLength +
        this.alloc[i].byteLength +
        this.weight[i].byteLength +
        this.max1[i].byteLength +
        this.min1[i].byteLength +
        this.max2[i].byteLength +
        this.min2[i].byteLength +
        this.gmax1[i].byteLength;
    return b / (this.clusterIds.length * this.slots);
  }
  /** Number of live (committed, not released) bookings. Complexity: O(handles). */
  liveBookings(): number {
    let n = 0;
    for (let h = 0; h < this.hCount; h++) if (this.hHours[h] > 0) n++;
    return n;
  }

  // ---------------------------------------------------------------------------------------
  // placement

  /**
   * Best option for `job` under `objective` (default job.objective ?? 'EARLIEST'); nothing
   * is committed. Refusals carry a reason (OUTSIDE_HORIZON, NO_CAPACITY, GREEN_SHORTFALL).
   * Throws SchedulerInputError for an invalid request.
   * Complexity: EARLIEST without minGreenShare O(clusters x (blocks skipped + slots scanned in
   * partly-free blocks)), otherwise O(clusters x window length); plus O(hours) for the result.
   */
  place(job: JobRequest, objective?: Objective): Decision {
    const out = this.scratch;
    const r = this.placeInto(job, objective ?? job.objective ?? 'EARLIEST', out);
    if (r !== null) return { ok: false, reason: r, message: this.refusalMessage(job, r) };
    return { ok: true, placement: this.toPlacement(job, out) };
  }

  /**
   * Best option under each objective, nothing committed.
   * Complexity: 3 x place().
   */
  quote(job: JobRequest): Record<Objective, Decision> {
    this.readJob(job);
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
    this.readJob(job);
    let mode: number;
    if (objective === 'EARLIEST') mode = MODE_FIRST;
    else if (objective === 'GREENEST') mode = MODE_GREENEST;
    else if (objective === 'CHEAPEST') mode = MODE_CHEAPEST;
    else fail(jobLabel(job), 'objective', 'EARLIEST, GREENEST or CHEAPEST', objective);
    const tf = this.jTf;
    const h = this.jH;
    const e = this.jE;
    const end = this.jEnd;
    if (e + h > end) return 'OUTSIDE_HORIZON';
    this.bCi = -1;
    this.bS = INT32_MAX;
    this.bK = INT32_MAX;
    this.bG = -1;
    this.bCost = Infinity;
    this.capFit = false;
    const n = this.jN;
    const allowed = this.jAllowed;
    if (mode === MODE_FIRST) {
      for (let k = 0; k < n; k++) {
        const ci = allowed[k];
        const draw = drawWatts(this.jPflops, this.kwPerPflops[ci], this.pue[ci]);
        const req = requiredGreenWh(this.jMin, draw, h);
        // later clusters must start strictly earlier to win
        const lim = this.bCi < 0 ? end : Math.min(end, this.bS - 1 + h);
        if (lim - e < h) continue;
        if (req === 0) {
          const s = this.searchEarliest(ci, tf, h, e, lim);
          if (s >= 0) {
            this.capFit = true;
            this.bCi = ci;
            this.bS = s;
            this.bK = k;
          }
        } else {
          this.slideGreen(ci, k, MODE_FIRST, tf, h, e, lim, draw, req);
        }
      }
    } else {
      // free green anywhere in the window bounds what a cluster can offer: visit the most
      // promising clusters first (GREENEST: highest green bound; CHEAPEST: lowest price bound)
      // so that the bounds prune the rest; ties still go to the earlier cluster in the list
      const ordK = this.ordK;
      const ordKey = this.ordKey;
      const ordGmx = this.ordGmx;
      const ordDraw = this.ordDraw;
      for (let k = 0; k < n; k++) {
        const ci = allowed[k];
        const gm = this.gmax1[ci];
        let gmx = 0;
        for (let b = e >> L1; b <= (end - 1) >> L1; b++) if (gm[b] > gmx) gmx = gm[b];
        const draw = drawWatts(this.jPflops, this.kwPerPflops[ci], this.pue[ci]);
        const gcap = h * (gmx < draw ? gmx : draw);
        ordGmx[k] = gmx;
        ordDraw[k] = draw;
        // CHEAPEST: a lower bound on the total, with at most gcap of green, none cheaper than gpMin
        const grid = this.gridPricePerMwh[ci];
        const save = grid - this.gpMin[ci];
        ordKey[k] =
          mode === MODE_GREENEST
            ? -gcap
            : this.jPflops * h * this.pricePerPflopsHour[ci] + (draw * h * grid - (save > 0 ? gcap * save : 0)) / 1e6;
        let q = k;
        while (q > 0 && ordKey[ordK[q - 1]] > ordKey[k]) {
          ordK[q] = ordK[q - 1];
          q--;
        }
        ordK[q] = k;
      }
      for (let q = 0; q < n; q++) {
        const k = ordK[q];
        const ci = allowed[k];
        const gmx = ordGmx[k];
        const draw = ordDraw[k];
        const req = requiredGreenWh(this.jMin, draw, h);
        if (this.bCi >= 0) {
          if (mode === MODE_GREENEST) {
            const bound = -ordKey[k];
            // below the best: neither this nor any later-visited cluster can win
            if (bound < this.bG) break;
            if (bound === this.bG) {
              // equal: only an earlier start (or the same start, earlier in the list) wins
              const lim = Math.min(end, (k < this.bK ? this.bS : this.bS - 1) + h);
              if (lim - e >= h) {
                if (gmx === 0) this.takeGreenFree(ci, k, mode, tf, h, e, lim, draw);
                else if (mode === MODE_GREENEST) this.slideGreen(ci, k, mode, tf, h, e, lim, draw, req);
                else this.slide(ci, k, tf, h, e, lim, draw, req);
              }
              continue;
            }
          } else if (ordKey[k] > this.bCost + 1e-9 * this.bCost + 1e-9) break;
        }
        if (gmx === 0) {
          // no green: every start costs the same here, so the earliest feasible start is its best
          if (req > 0) {
            if (!this.capFit && this.searchEarliest(ci, tf, h, e, end) >= 0) this.capFit = true;
            continue;
          }
          this.takeGreenFree(ci, k, mode, tf, h, e, end, draw);
          continue;
        }
        if (mode === MODE_GREENEST) this.slideGreen(ci, k, mode, tf, h, e, end, draw, req);
        else this.slide(ci, k, tf, h, e, end, draw, req);
      }
    }
    if (this.bCi < 0) {
      return this.capFit ? 'GREEN_SHORTFALL' : 'NO_CAPACITY';
    }
    this.fill(this.bCi, this.bS, out);
    return null;
  }

  /**
   * Commits a placement returned by place()/quote() on this fleet state and returns a handle
   * for release(). Throws SchedulerConflictError if it no longer fits (capacity or green), or
   * SchedulerInputError if it is malformed; nothing is changed when it throws.
   * Complexity: O(hours).
   */
  commit(p: Placement): number {
    const o = checkObject('placement: ', 'placement', p) as unknown as Placement;
    const ci = this.ci(o.cluster, 'placement.cluster');
    if (o.clusterIndex !== undefined && o.clusterIndex !== ci)
      fail('', 'placement.clusterIndex', `${ci} (index of ${o.cluster})`, o.clusterIndex);
    const pflops = checkPositive3('', 'placement.pflops', o.pflops, MAX_PFLOPS);
    return this.book(ci, o.start, o.hours, pflops, o.greenW, 'placement');
  }

  /** Commits a filled PlacementBuffer (see placeInto). Complexity: O(hours). */
  commitBuffer(out: PlacementBuffer): number {
    if (!(out instanceof PlacementBuffer) || out.clusterIndex < 0 || out.clusterIndex >= this.clusterIds.length)
      fail('', 'buffer', 'a PlacementBuffer filled by placeInto on this fleet', out);
    return this.book(out.clusterIndex, out.start, out.hours, out.pflops, out.greenW, 'placement', true);
  }

  /**
   * Applies a booking committed elsewhere (another replica, the database ledger).
   * `greenW[i]` is the green power (W) the booking holds in slot start + i.
   * Validated; throws SchedulerConflictError if it does not fit this state. Returns a handle.
   * Complexity: O(hours).
   */
  applyBooking(b: { cluster: string; start: number; pflops: number; hours: number; greenW: ArrayLike<number> }): number {
    const o = checkObject('', 'booking', b) as unknown as typeof b;
    const ci = this.ci(o.cluster, 'booking.cluster');
    const pflops = checkPositive3('', 'booking.pflops', o.pflops, MAX_PFLOPS);
    return this.book(ci, o.start, o.hours, pflops, o.greenW, 'booking');
  }

  /**
   * Releases (cancels) a committed booking, restoring capacity and green exactly.
   * Throws SchedulerInputError for an unknown or already released handle.
   * Complexity: O(hours).
   */
  release(handle: number): void {
    if (typeof handle !== 'number' || !Number.isInteger(handle) || handle < 1 || handle > this.hCount || this.hHours[handle - 1] === 0)
      fail('', 'handle', 'the handle of a live booking', handle);
    const k = handle - 1;
    const ci = this.hCluster[k];
    const s = this.hStart[k];
    const h = this.hHours[k];
    const tf = this.hTf[k];
    const off = this.hOff[k];
    const g = this.arena;
    const booked = this.booked[ci];
    const alloc = this.alloc[ci];
    for (let i = 0; i < h; i++) {
      if (booked[s + i] < tf || (off >= 0 && alloc[s + i] < g[off + i]))
        throw new SchedulerConflictError(
          'INVALID',
          `release ${handle}: slot ${s + i} of ${this.clusterIds[ci]} holds less than the booking (state reloaded?); nothing changed`,
        );
    }
    for (let i = 0; i < h; i++) booked[s + i] -= tf;
    if (off >= 0) {
      const sup = this.supply[ci];
      const gm = this.gmax1[ci];
      for (let i = 0; i < h; i++) {
        const t = s + i;
        alloc[t] -= g[off + i];
        // free green only grows here, so the block max can only grow
        const f = sup[t] - alloc[t];
        if (f > gm[t >> L1]) gm[t >> L1] = f;
      }
      this.arenaDead += h;
    }
    this.hHours[k] = 0;
    this.hOff[k] = -1;
    this.refreshDelta(ci, s, s + h, tf);
  }

  /**
   * Bulk-loads per-slot state for [fromSlot, fromSlot + length) of one cluster, replacing it
   * (the API rebuilds a window from its ledger). Units: TFLOPS and W integers, price per MWh.
   * All arrays must have the same length; booked <= capacity and alloc <= supply per slot.
   * Handles of bookings inside the window are not adjusted.
   * Complexity: O(length).
   */
  loadSlots(
    cluster: string,
    fromSlot: number,
    data: {
      capacityTflops: ArrayLike<number>;
      bookedTflops: ArrayLike<number>;
      greenSupplyW: ArrayLike<number>;
      greenAllocW: ArrayLike<number>;
      greenPricePerMwh: ArrayLike<number>;
    },
  ): void {
    const ci = this.ci(cluster, 'cluster');
    checkObject('loadSlots: ', 'data', data);
    const names = ['capacityTflops', 'bookedTflops', 'greenSupplyW', 'greenAllocW', 'greenPricePerMwh'] as const;
    const len = arrayLen('loadSlots: ', 'data.capacityTflops', data.capacityTflops);
    for (const nm of names) {
      const l = arrayLen('loadSlots: ', `data.${nm}`, data[nm]);
      if (l !== len) fail('loadSlots: ', `data.${nm}.length`, `equal to data.capacityTflops.length (${len})`, l);
    }
    checkInt('loadSlots: ', 'fromSlot', fromSlot, 0, this.slots);
    if (fromSlot + len > this.slots) fail('loadSlots: ', 'fromSlot', `such that fromSlot + length <= ${this.slots}`, fromSlot);
    const { capacityTflops: c, bookedTflops: b, greenSupplyW: s, greenAllocW: a, greenPricePerMwh: p } = data;
    for (let i = 0; i < len; i++) {
      const cv = c[i];
      if (!Number.isInteger(cv) || cv < 0 || cv > MAX_PFLOPS * 1000) fail('loadSlots: ', `data.capacityTflops[${i}]`, `an integer in [0, ${MAX_PFLOPS * 1000}]`, cv);
      if (!Number.isInteger(b[i]) || b[i] < 0 || b[i] > cv) fail('loadSlots: ', `data.bookedTflops[${i}]`, `an integer in [0, capacity ${cv}]`, b[i]);
      if (!Number.isInteger(s[i]) || s[i] < 0 || s[i] > MAX_GREEN_W) fail('loadSlots: ', `data.greenSupplyW[${i}]`, `an integer in [0, ${MAX_GREEN_W}]`, s[i]);
      if (!Number.isInteger(a[i]) || a[i] < 0 || a[i] > s[i]) fail('loadSlots: ', `data.greenAllocW[${i}]`, `an integer in [0, supply ${s[i]}]`, a[i]);
      if (typeof p[i] !== 'number' || !Number.isFinite(p[i]) || p[i] < 0) fail('loadSlots: ', `data.greenPricePerMwh[${i}]`, 'a finite non-negative number', p[i]);
    }
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const sup = this.supply[ci];
    const al = this.alloc[ci];
    const w = this.weight[ci];
    for (let i = 0; i < len; i++) {
      const t = fromSlot + i;
      cap[t] = c[i];
      booked[t] = b[i];
      sup[t] = s[i];
      al[t] = a[i];
      w[t] = s[i] * p[i];
      if (s[i] > 0 && p[i] < this.gpMin[ci]) this.gpMin[ci] = p[i];
    }
    this.refresh(ci, fromSlot, fromSlot + len);
    this.refreshGreen(ci, fromSlot, fromSlot + len);
  }

  /**
   * Sets the capacity of a cluster over [start, end) (maintenance, expansion), clipped to the
   * horizon [0, slots). Throws SchedulerConflictError, changing nothing, if booked work would
   * exceed the new capacity. Complexity: O(clipped length).
   */
  setCapacity(cluster: string, start: number, end: number, pflops: number): void {
    const ci = this.ci(cluster, 'cluster');
    checkRange('setCapacity: ', 'range', start, end);
    checkNonNeg3('setCapacity: ', 'pflops', pflops, CLUSTER_LIMITS.capacityPflops.max);
    const tf = Math.round(pflops * 1000);
    const booked = this.booked[ci];
    const from = clip(start, this.slots);
    const to = clip(end, this.slots);
    for (let t = from; t < to; t++) {
      if (booked[t] > tf)
        throw new SchedulerConflictError(
          'NO_CAPACITY',
          `setCapacity ${cluster} [${start}, ${end}) to ${pflops} PFLOPS: slot ${t} has ${booked[t] / 1000} PFLOPS booked; nothing changed`,
        );
    }
    this.cap[ci].fill(tf, from, to);
    this.refresh(ci, from, to);
  }

  /**
   * Adds a green supply window to a cluster, clipped to the horizon [0, slots); overlapping
   * windows add up and the slot price becomes the MW-weighted average.
   * Complexity: O(clipped length).
   */
  addGreenWindow(cluster: string, w: GreenWindow): void {
    const ci = this.ci(cluster, 'cluster');
    checkWindow('addGreenWindow: ', 'window', w);
    const watts = mwToWatts(w.mw);
    const sup = this.supply[ci];
    const from = clip(w.start, this.slots);
    const to = clip(w.end, this.slots);
    for (let t = from; t < to; t++)
      if (sup[t] + watts > MAX_GREEN_W) fail('addGreenWindow: ', 'window.mw', `such that supply stays within ${MAX_GREEN_W / 1e6} MW in slot ${t}`, w.mw);
    const wt = this.weight[ci];
    for (let t = from; t < to; t++) {
      sup[t] += watts;
      wt[t] += watts * w.pricePerMwh;
    }
    if (watts > 0 && to > from && w.pricePerMwh < this.gpMin[ci]) this.gpMin[ci] = w.pricePerMwh;
    this.refreshGreen(ci, from, to);
  }

  /**
   * Checks a request as place() would, without placing it. Throws SchedulerInputError.
   * Complexity: O(clusters listed).
   */
  checkJob(job: JobRequest): void {
    this.readJob(job);
  }

  /**
   * The committed booking behind a handle, as a Placement priced at the current green prices.
   * Complexity: O(hours).
   */
  placementOf(handle: number, jobId?: string): Placement {
    if (typeof handle !== 'number' || !Number.isInteger(handle) || handle < 1 || handle > this.hCount || this.hHours[handle - 1] === 0)
      fail('', 'handle', 'the handle of a live booking', handle);
    const k = handle - 1;
    const ci = this.hCluster[k];
    const s = this.hStart[k];
    const h = this.hHours[k];
    const tf = this.hTf[k];
    const off = this.hOff[k];
    const pflops = tf / 1000;
    const draw = drawWatts(pflops, this.kwPerPflops[ci], this.pue[ci]);
    const out = this.scratch;
    if (out.greenW.length < h) out.greenW = new Int32Array(Math.max(h, out.greenW.length * 2));
    const supply = this.supply[ci];
    const weight = this.weight[ci];
    let gsum = 0;
    let gcost = 0;
    for (let i = 0; i < h; i++) {
      const g = off >= 0 ? this.arena[off + i] : 0;
      out.greenW[i] = g;
      gsum += g;
      if (g > 0) gcost += (g * weight[s + i]) / supply[s + i] / 1e6;
    }
    out.clusterIndex = ci;
    out.start = s;
    out.hours = h;
    out.pflops = pflops;
    out.tflops = tf;
    out.drawW = draw;
    out.greenWh = gsum;
    out.priceCompute = pflops * h * this.pricePerPflopsHour[ci];
    out.priceGreen = gcost;
    out.priceGrid = ((draw * h - gsum) * this.gridPricePerMwh[ci]) / 1e6;
    return this.toPlacement(jobId === undefined ? ({} as JobRequest) : ({ id: jobId } as JobRequest), out);
  }

  /** Start slot of a live booking (-1 if released). Complexity: O(1). */
  bookingStart(handle: number): number {
    const k = handle - 1;
    return k >= 0 && k < this.hCount && this.hHours[k] > 0 ? this.hStart[k] : -1;
  }

  /** Cluster index of a live booking (-1 if released). Complexity: O(1). */
  bookingCluster(handle: number): number {
    const k = handle - 1;
    return k >= 0 && k < this.hCount && this.hHours[k] > 0 ? this.hCluster[k] : -1;
  }

  /** Green Wh held by a live booking (0 if released). Complexity: O(hours). */
  bookingGreenWh(handle: number): number {
    const k = handle - 1;
    if (k < 0 || k >= this.hCount || this.hHours[k] === 0) return 0;
    const off = this.hOff[k];
    if (off < 0) return 0;
    let s = 0;
    for (let i = 0; i < this.hHours[k]; i++) s += this.arena[off + i];
    return s;
  }

  /** Total capacity over the horizon, TFLOPS x slots. Complexity: O(clusters x slots). */
  capacityTflopsSlots(): number {
    let s = 0;
    for (let i = 0; i < this.cap.length; i++) {
      const c = this.cap[i];
      for (let t = 0; t < c.length; t++) s += c[t];
    }
    return s;
  }

  // ---------------------------------------------------------------------------------------
  // internals

  private ci(c: unknown, field: string): number {
    if (typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < this.clusterIds.length) return c;
    const i = typeof c === 'string' ? this.index.get(c) : undefined;
    if (i === undefined) fail('', field, `a known cluster id (${this.clusterIds.join(', ')})`, c);
    return i;
  }

  private slotIdx(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t >= this.slots) fail('', 'slot', `an integer in [0, ${this.slots - 1}]`, t);
    return t;
  }

  /** Checks and normalises a request into the j* scratch fields. */
  private readJob(job: JobRequest): void {
    if (typeof job !== 'object' || job === null) fail('', 'job', 'an object', job);
    const pf = job.pflops;
    if (typeof pf !== 'number' || !(pf > 0) || pf > MAX_PFLOPS || Math.abs(pf * 1000 - Math.round(pf * 1000)) >= 1e-6)
      fail(jobLabel(job), 'pflops', `a positive number with at most 3 decimals (at most ${MAX_PFLOPS})`, pf);
    const h = job.hours;
    if (typeof h !== 'number' || !Number.isInteger(h) || h < 1 || h > MAX_SLOTS) fail(jobLabel(job), 'hours', 'a positive integer', h);
    const e = job.earliest;
    if (typeof e !== 'number' || !Number.isInteger(e) || e < 0 || e > 1e9) fail(jobLabel(job), 'earliest', 'a non-negative integer slot', e);
    const d = job.deadline;
    if (typeof d !== 'number' || !Number.isInteger(d) || d > 2e9) fail(jobLabel(job), 'deadline', 'an integer slot', d);
    if (d < e + h) fail(jobLabel(job), 'deadline', `>= earliest + hours (${e + h})`, d);
    const m = job.minGreenShare;
    if (m !== undefined && (typeof m !== 'number' || !(m >= 0 && m <= 1))) fail(jobLabel(job), 'minGreenShare', 'a number in [0, 1]', m);
    const o = job.objective;
    if (o !== undefined && o !== 'EARLIEST' && o !== 'GREENEST' && o !== 'CHEAPEST')
      fail(jobLabel(job), 'objective', 'EARLIEST, GREENEST or CHEAPEST', o);
    const cl = job.clusters;
    const allowed = this.jAllowed;
    let n = 0;
    if (cl === undefined || cl === null) {
      n = this.clusterIds.length;
      for (let i = 0; i < n; i++) allowed[i] = i;
    } else {
      if (!Array.isArray(cl) || cl.length === 0) fail(jobLabel(job), 'clusters', 'a non-empty array of cluster ids', cl);
      for (let k = 0; k < cl.length; k++) {
        const i = this.index.get(cl[k]);
        if (i === undefined) fail(jobLabel(job), `clusters[${k}]`, `a known cluster id (${this.clusterIds.join(', ')})`, cl[k]);
        let dup = false;
        for (let q = 0; q < n; q++) if (allowed[q] === i) dup = true;
        if (!dup) allowed[n++] = i;
      }
    }
    this.jN = n;
    this.jPflops = pf;
    this.jTf = Math.round(pf * 1000);
    this.jH = h;
    this.jE = e;
    this.jEnd = d < this.slots ? d : this.slots;
    this.jMin = m === undefined ? 0 : m;
  }

  /**
   * First start s in [e, end - h] whose slots all have free >= tf; -1 if none.
   * Checks each candidate window from its last slot backwards (a blocked slot at t moves the
   * candidate to t + 1, skipping up to h slots), remembers the verified-free prefix so no slot is
   * read twice, and uses the block summaries to jump over fully blocked (max < tf) and to accept
   * fully free (min >= tf) 64-slot blocks, and fully blocked 4096-slot blocks.
   */
  private searchEarliest(ci: number, tf: number, h: number, e: number, end: number): number {
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const max1 = this.max1[ci];
    const min1 = this.min1[ci];
    const max2 = this.max2[ci];
    let s = e;
    let known = e; // [s, known) verified free
    while (s + h <= end) {
      if (known <= s) {
        known = s;
        if (max2[s >> L2] < tf) {
          s = ((s >> L2) + 1) << L2;
          continue;
        }
        if (max1[s >> L1] < tf) {
          s = ((s >> L1) + 1) << L1;
          continue;
        }
      }
      let t = s + h - 1;
      while (t >= known) {
        if ((t & 63) === 63 && t - 63 >= known && min1[t >> L1] >= tf) {
          t -= 64;
          continue;
        }
        if (cap[t] - booked[t] < tf) break;
        t--;
      }
      if (t < known) return s;
      known = s + h;
      s = t + 1;
    }
    return -1;
  }

  /** A cluster without free green in the window: its earliest feasible start in [e, lim) is its best option. */
  private takeGreenFree(ci: number, k: number, mode: number, tf: number, h: number, e: number, lim: number, draw: number): void {
    const s = this.searchEarliest(ci, tf, h, e, lim);
    if (s < 0) return;
    this.capFit = true;
    if (mode === MODE_GREENEST) {
      if (0 > this.bG || (0 === this.bG && (s < this.bS || (s === this.bS && k < this.bK)))) {
        this.bCi = ci;
        this.bS = s;
        this.bK = k;
        this.bG = 0;
      }
    } else {
      const total = this.jPflops * h * this.pricePerPflopsHour[ci] + (draw * h * this.gridPricePerMwh[ci]) / 1e6;
      const eps = 1e-9 * total + 1e-9;
      if (total < this.bCost - eps || (total <= this.bCost + eps && (s < this.bS || (s === this.bS && k < this.bK)))) {
        this.bCi = ci;
        this.bS = s;
        this.bK = k;
        this.bCost = total;
      }
    }
  }

  /**
   * CHEAPEST over [e, end) of one cluster: a sliding window restarted after each slot with
   * free < tf (at the next feasible start, found by the EARLIEST search), with a running energy
   * cost delta sum of g x (greenPrice - grid). The window is filled once per restart, then each
   * step adds slot s + h and drops slot s (its term kept in a ring of h terms). Updates the best
   * option (b*) with the tie rules: earlier start, then earlier cluster.
   */
  private slide(ci: number, k: number, tf: number, h: number, e: number, end: number, draw: number, req: number): void {
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const supply = this.supply[ci];
    const alloc = this.alloc[ci];
    const weight = this.weight[ci];
    const grid = this.gridPricePerMwh[ci];
    // total = base + sum_t g_t * (greenPrice_t - grid) / 1e6
    const base = this.jPflops * h * this.pricePerPflopsHour[ci] + (draw * h * grid) / 1e6;
    let bS = this.bS;
    const bK = this.bK;
    let bCost = this.bCost;
    // csum above cThr cannot come within the tie tolerance of bCost (a conservative pre-test;
    // the exact comparison below decides)
    let cThr = cheapThreshold(bCost, base);
    let better = false;
    if (this.ring.length < h) this.ring = new Float64Array(Math.max(h, this.ring.length * 2));
    const ring = this.ring;
    let ws = this.searchEarliest(ci, tf, h, e, end);
    if (ws >= 0) this.capFit = true;
    outer: while (ws >= 0) {
      let gsum = 0;
      let csum = 0;
      const we = ws + h;
      for (let t = ws; t < we; t++) {
        const av = supply[t] - alloc[t];
        const g = av < draw ? av : draw;
        gsum += g;
        const term = g > 0 ? g * (weight[t] / supply[t] - grid) : 0;
        ring[t - ws] = term;
        csum += term;
      }
      // ring[r] holds the term of slot s, the next one to drop
      let r = 0;
      let s = ws;
      for (;;) {
        if (csum <= cThr && gsum >= req) {
          const total = base + csum / 1e6;
          const eps = 1e-9 * (total < 0 ? -total : total) + 1e-9;
          if (total < bCost - eps || (total <= bCost + eps && (s < bS || (s === bS && k < bK)))) {
            bCost = total;
            bS = s;
            better = true;
            cThr = cheapThreshold(bCost, base);
          }
        }
        const t = s + h;
        if (t >= end) break outer;
        if (cap[t] - booked[t] < tf) {
          ws = this.searchEarliest(ci, tf, h, t + 1, end);
          continue outer;
        }
        const ao = supply[s] - alloc[s];
        const go = ao < draw ? ao : draw;
        const av = supply[t] - alloc[t];
        const g = av < draw ? av : draw;
        gsum += g - go;
        csum -= ring[r];
        const term = g > 0 ? g * (weight[t] / supply[t] - grid) : 0;
        ring[r] = term;
        csum += term;
        if (++r === h) r = 0;
        s++;
      }
    }
    if (better) {
      this.bCi = ci;
      this.bK = k;
      this.bS = bS;
      this.bCost = bCost;
    }
  }

  /**
   * GREENEST and EARLIEST-with-minGreenShare over [e, end) of one cluster: the same answers as
   * slide(), in a tighter loop. A window is filled once after each restart (the EARLIEST search
   * guarantees its capacity), then each step adds slot s + h and drops slot s, re-reading the
   * dropped slot instead of keeping a ring buffer.
   */
  private slideGreen(ci: number, k: number, mode: number, tf: number, h: number, e: number, end: number, draw: number, req: number): void {
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const supply = this.supply[ci];
    const alloc = this.alloc[ci];
    const full = draw * h;
    const first = mode === MODE_FIRST;
    let bG = this.bG;
    let bS = this.bS;
    const bK = this.bK;
    let better = false;
    let ws = this.searchEarliest(ci, tf, h, e, end);
    if (ws >= 0) this.capFit = true;
    outer: while (ws >= 0) {
      let gsum = 0;
      const we = ws + h;
      for (let t = ws; t < we; t++) {
        const av = supply[t] - alloc[t];
        gsum += av < draw ? av : draw;
      }
      let s = ws;
      for (;;) {
        if (gsum >= req && gsum >= bG) {
          if (first) {
            bS = s;
            better = true;
            break outer;
          }
          if (gsum > bG || s < bS || (s === bS && k < bK)) {
            bG = gsum;
            bS = s;
            better = true;
          }
          if (gsum === full) break outer;
        }
        const t = s + h;
        if (t >= end) break outer;
        if (cap[t] - booked[t] < tf) {
          ws = this.searchEarliest(ci, tf, h, t + 1, end);
          continue outer;
        }
        const av = supply[t] - alloc[t];
        const ao = supply[s] - alloc[s];
        gsum += (av < draw ? av : draw) - (ao < draw ? ao : draw);
        s++;
      }
    }
    if (better) {
      this.bCi = ci;
      this.bK = k;
      this.bS = bS;
      this.bG = bG;
    }
  }

  /** Writes the option (ci, s) for the current job into out. */
  private fill(ci: number, s: number, out: PlacementBuffer): void {
    const h = this.jH;
    const draw = drawWatts(this.jPflops, this.kwPerPflops[ci], this.pue[ci]);
    if (out.greenW.length < h) out.greenW = new Int32Array(Math.max(h, out.greenW.length * 2));
    const gw = out.greenW;
    const supply = this.supply[ci];
    const alloc = this.alloc[ci];
    const weight = this.weight[ci];
    let gsum = 0;
    let gcost = 0;
    for (let i = 0; i < h; i++) {
      const t = s + i;
      const av = supply[t] - alloc[t];
      const g = av < draw ? av : draw;
      gw[i] = g;
      gsum += g;
      if (g > 0) gcost += (g * weight[t]) / supply[t] / 1e6;
    }
    out.clusterIndex = ci;
    out.start = s;
    out.hours = h;
    out.pflops = this.jPflops;
    out.tflops = this.jTf;
    out.drawW = draw;
    out.greenWh = gsum;
    out.priceCompute = this.jPflops * h * this.pricePerPflopsHour[ci];
    out.priceGreen = gcost;
    out.priceGrid = ((draw * h - gsum) * this.gridPricePerMwh[ci]) / 1e6;
  }

  private toPlacement(job: JobRequest, out: PlacementBuffer): Placement {
    const h = out.hours;
    const energyWh = out.drawW * h;
    const total = out.priceCompute + out.priceGreen + out.priceGrid;
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
      greenMwh: out.greenWh / 1e6,
      gridMwh: (energyWh - out.greenWh) / 1e6,
      energyMwh: energyWh / 1e6,
      greenShare: energyWh > 0 ? out.greenWh / energyWh : 1,
      price: { compute: out.priceCompute, greenEnergy: out.priceGreen, gridEnergy: out.priceGrid, total },
    };
    if (job.id !== undefined) p.job = job.id;
    return p;
  }

  private refusalMessage(job: JobRequest, r: RefusalReason): string {
    const who = job.id !== undefined ? `job ${job.id}` : 'job';
    const win = `[${job.earliest}, ${job.deadline})`;
    if (r === 'OUTSIDE_HORIZON') return `${who}: no start of ${job.hours} h inside ${win} and the horizon of ${this.slots} slots`;
    if (r === 'NO_CAPACITY') return `${who}: no ${job.hours} h run with ${job.pflops} PFLOPS free in ${win} on the allowed clusters`;
    return `${who}: capacity exists in ${win} but no start reaches minGreenShare ${job.minGreenShare}`;
  }

  /** Shared commit path: validates, checks fit, applies, records a handle. */
  private book(ci: number, start: unknown, hours: unknown, pflops: number, greenW: ArrayLike<number>, what: string, trusted = false): number {
    // field names are built only on failure: this runs once per commit
    if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1 || hours > this.slots) checkInt('', `${what}.hours`, hours, 1, this.slots);
    const h = hours as number;
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || start > this.slots - h) checkInt('', `${what}.start`, start, 0, this.slots - h);
    const s = start as number;
    if (greenW === null || typeof greenW !== 'object' || typeof greenW.length !== 'number' || greenW.length < h)
      fail('', `${what}.greenW`, `an array of at least ${h} integers (W per slot)`, greenW);
    const tf = Math.round(pflops * 1000);
    if (!trusted) {
      const draw = drawWatts(pflops, this.kwPerPflops[ci], this.pue[ci]);
      for (let i = 0; i < h; i++) {
        const g = greenW[i];
        if (!Number.isInteger(g) || g < 0 || g > draw) fail('', `${what}.greenW[${i}]`, `an integer in [0, draw ${draw} W]`, g);
      }
    }
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const sup = this.supply[ci];
    const alloc = this.alloc[ci];
    let anyGreen = false;
    for (let i = 0; i < h; i++) {
      const t = s + i;
      if (booked[t] + tf > cap[t])
        throw new SchedulerConflictError(
          'NO_CAPACITY',
          `${what} on ${this.clusterIds[ci]} at ${s}: slot ${t} has ${(cap[t] - booked[t]) / 1000} PFLOPS free, needs ${tf / 1000}; nothing changed`,
        );
      if (alloc[t] + greenW[i] > sup[t])
        throw new SchedulerConflictError(
          'GREEN_SHORTFALL',
          `${what} on ${this.clusterIds[ci]} at ${s}: slot ${t} has ${sup[t] - alloc[t]} W green free, needs ${greenW[i]}; nothing changed`,
        );
      if (greenW[i] > 0) anyGreen = true;
    }
    // one pass applies capacity and green, records the green in the arena and notes the blocks
    // whose free-green max may have dropped (a slot that held it gave green)
    if (anyGreen && this.arenaUsed + h > this.arena.length) this.growArena(h);
    const off = anyGreen ? this.arenaUsed : -1;
    const a = this.arena;
    const gm = this.gmax1[ci];
    let curB = -1;
    let rescan = false;
    for (let i = 0; i < h; i++) {
      const t = s + i;
      booked[t] += tf;
      const gi = greenW[i];
      if (off >= 0) a[off + i] = gi;
      if (gi > 0) {
        const b = t >> L1;
        if (b !== curB) {
          if (rescan) this.rescanGreen(ci, curB);
          curB = b;
          rescan = false;
        }
        if (sup[t] - alloc[t] === gm[b]) rescan = true;
        alloc[t] += gi;
      }
    }
    if (rescan) this.rescanGreen(ci, curB);
    this.refreshDelta(ci, s, s + h, -tf);
    if (this.hCount === this.hCluster.length) this.growHandles();
    const k = this.hCount++;
    this.hCluster[k] = ci;
    this.hStart[k] = s;
    this.hHours[k] = h;
    this.hTf[k] = tf;
    this.hOff[k] = off;
    if (anyGreen) this.arenaUsed += h;
    return k + 1;
  }

  /** Compacts the green arena when most of it is dead, else doubles it. Offsets grow with handles. */
  private growArena(need: number): void {
    if (this.arenaDead > this.arenaUsed / 2) {
      const a = this.arena;
      let w = 0;
      for (let k = 0; k < this.hCount; k++) {
        const off = this.hOff[k];
        if (off < 0) continue;
        const h = this.hHours[k];
        a.copyWithin(w, off, off + h);
        this.hOff[k] = w;
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
    const n = this.hCluster.length * 2;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.hCluster = grow(this.hCluster);
    this.hStart = grow(this.hStart);
    this.hHours = grow(this.hHours);
    this.hTf = grow(this.hTf);
    this.hOff = grow(this.hOff);
  }

  /**
   * Updates the summaries after free capacity changed by `delta` (< 0 booking, > 0 release) in
   * every slot of [from, to): the bound that moves with delta is updated directly, the other one
   * is recomputed only when a touched slot held it.
   */
  private refreshDelta(ci: number, from: number, to: number, delta: number): void {
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const max1 = this.max1[ci];
    const min1 = this.min1[ci];
    const max2 = this.max2[ci];
    const min2 = this.min2[ci];
    const n = this.slots;
    const b0 = from >> L1;
    const b1 = (to - 1) >> L1;
    for (let b = b0; b <= b1; b++) {
      const a = b << L1;
      const z = a + 64 < n ? a + 64 : n;
      const lo = a > from ? a : from;
      const hi = z < to ? z : to;
      const oldMax = max1[b];
      const oldMin = min1[b];
      // bounds over the touched slots, and whether one of them held the bound that can move away
      let tmx = -INT32_MAX;
      let tmn = INT32_MAX;
      let held = false;
      for (let t = lo; t < hi; t++) {
        const f = cap[t] - booked[t];
        if (f > tmx) tmx = f;
        if (f < tmn) tmn = f;
        if (f - delta === (delta < 0 ? oldMax : oldMin)) held = true;
      }
      let mx: number;
      let mn: number;
      if (delta < 0) {
        // booking: free only fell, so the max is found again as soon as an untouched slot has it
        mn = tmn < oldMin ? tmn : oldMin;
        mx = held ? tmx : oldMax;
        if (held) {
          for (let t = a; t < z && mx < oldMax; t++) {
            if (t === lo) t = hi;
            if (t >= z) break;
            const f = cap[t] - booked[t];
            if (f > mx) mx = f;
          }
        }
      } else {
        // release: free only rose, symmetric for the min
        mx = tmx > oldMax ? tmx : oldMax;
        mn = held ? tmn : oldMin;
        if (held) {
          for (let t = a; t < z && mn > oldMin; t++) {
            if (t === lo) t = hi;
            if (t >= z) break;
            const f = cap[t] - booked[t];
            if (f < mn) mn = f;
          }
        }
      }
      max1[b] = mx;
      min1[b] = mn;
      const B = b >> (L2 - L1);
      const n1 = max1.length;
      const ba = B << (L2 - L1);
      const bz = ba + 64 < n1 ? ba + 64 : n1;
      if (delta < 0) {
        if (mn < min2[B]) min2[B] = mn;
        const old2 = max2[B];
        if (oldMax === old2 && mx < oldMax) {
          let X = -INT32_MAX;
          for (let q = ba; q < bz && X < old2; q++) if (max1[q] > X) X = max1[q];
          max2[B] = X;
        }
      } else {
        if (mx > max2[B]) max2[B] = mx;
        const old2 = min2[B];
        if (oldMin === old2 && mn > oldMin) {
          let M = INT32_MAX;
          for (let q = ba; q < bz && M > old2; q++) if (min1[q] < M) M = min1[q];
          min2[B] = M;
        }
      }
    }
  }

  /**
   * Recomputes the free-green max of one 64-slot block after green was taken from it: free green
   * only fell, so the scan stops as soon as a slot still has the old max.
   */
  private rescanGreen(ci: number, b: number): void {
    const sup = this.supply[ci];
    const alloc = this.alloc[ci];
    const old = this.gmax1[ci][b];
    const a = b << L1;
    const z = a + 64 < this.slots ? a + 64 : this.slots;
    let mx = 0;
    for (let u = a; u < z && mx < old; u++) {
      const f = sup[u] - alloc[u];
      if (f > mx) mx = f;
    }
    this.gmax1[ci][b] = mx;
  }

  /** Recomputes the free-green summary of the blocks touching [from, to). */
  private refreshGreen(ci: number, from: number, to: number): void {
    if (to <= from) return;
    const sup = this.supply[ci];
    const alloc = this.alloc[ci];
    const g = this.gmax1[ci];
    const n = this.slots;
    for (let b = from >> L1; b <= (to - 1) >> L1; b++) {
      const a = b << L1;
      const z = a + 64 < n ? a + 64 : n;
      let mx = 0;
      for (let t = a; t < z; t++) {
        const f = sup[t] - alloc[t];
        if (f > mx) mx = f;
      }
      g[b] = mx;
    }
  }

  /** Recomputes the free-capacity summaries of the blocks touching [from, to). */
  private refresh(ci: number, from: number, to: number): void {
    if (to <= from) return;
    const cap = this.cap[ci];
    const booked = this.booked[ci];
    const max1 = this.max1[ci];
    const min1 = this.min1[ci];
    const max2 = this.max2[ci];
    const min2 = this.min2[ci];
    const n = this.slots;
    const b0 = from >> L1;
    const b1 = (to - 1) >> L1;
    for (let b = b0; b <= b1; b++) {
      const a = b << L1;
      const z = a + 64 < n ? a + 64 : n;
      let mx = -INT32_MAX;
      let mn = INT32_MAX;
      for (let t = a; t < z; t++) {
        const f = cap[t] - booked[t];
        if (f > mx) mx = f;
        if (f < mn) mn = f;
      }
      max1[b] = mx;
      min1[b] = mn;
    }
    const n1 = max1.length;
    const B0 = from >> L2;
    const B1 = (to - 1) >> L2;
    for (let B = B0; B <= B1; B++) {
      const a = B << (L2 - L1);
      const z = a + 64 < n1 ? a + 64 : n1;
      let mx = -INT32_MAX;
      let mn = INT32_MAX;
      for (let b = a; b < z; b++) {
        if (max1[b] > mx) mx = max1[b];
        if (min1[b] < mn) mn = min1[b];
      }
      max2[B] = mx;
      min2[B] = mn;
    }
  }
}

/**
 * Largest running cost delta (sum of g x (greenPrice - grid), W x price) whose total
 * base + csum / 1e6 can still be within the 1e-9 relative tie tolerance of bCost. It errs high:
 * the margin (1e-9 relative) is far above the float rounding of the total.
 */
function cheapThreshold(bCost: number, base: number): number {
  const a = bCost < 0 ? -bCost : bCost;
  const t = bCost + 1.1e-9 * (a + 1);
  const m = 1e-9 * ((t < 0 ? -t : t) + (base < 0 ? -base : base) + 1);
  return (t + m - base) * 1e6;
}

function jobLabel(job: JobRequest): string {
  return job && job.id !== undefined ? `job ${job.id}: ` : 'job: ';
}

function arrayLen(label: string, path: string, a: unknown): number {
  if (a === null || typeof a !== 'object' || typeof (a as ArrayLike<number>).length !== 'number') fail(label, path, 'an array', a);
  return (a as ArrayLike<number>).length;
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

/** A slot clipped to [0, slots]. */
function clip(t: number, slots: number): number {
  return t < 0 ? 0 : t > slots ? slots : t;
}

/** A finite number in [min, max]. */
function checkBetween(label: string, path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(label, path, `a number in [${min}, ${max}]`, v);
  return v;
}
