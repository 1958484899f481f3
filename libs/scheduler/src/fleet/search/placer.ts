import * as greenShare from '../../domain/green-share';
import * as price from '../../domain/price';
import * as units from '../../domain/units';
import type { Objective, RefusalReason } from '../../types';
import { JobScratch } from '../job';
import type { Site } from '../site';
import * as timeline from '../timeline';
import type { Timeline } from '../timeline';
import { BestOption } from './best-option';
import * as earliest from './earliest';
import * as windows from './windows';
import * as windowsGrid from './windows-grid';

// bound once at load: in the CommonJS that tsx and SWC emit, a named import is a getter read at every call
const { requiredGreenWh } = greenShare;
const { drawWatts, WH_PER_MWH } = units;
const { BLOCK_BITS } = timeline;
const { computeCost, energyCost } = price;
const { earliestStart, earliestStartGrid } = earliest;
const { slideCheapest, slideGreen } = windows;
const { slideCheapestGrid, slideCheapestTariff, slideGreenGrid, slideTariff } = windowsGrid;

/** Per-cluster parameters, indexed by cluster (the Fleet's public arrays). */
export interface ClusterParams {
  readonly kwPerPflops: Float64Array;
  readonly pue: Float64Array;
  readonly pricePerPflopsHour: Float64Array;
  readonly gridPricePerMwh: Float64Array;
}

/**
 * The fleet's sites: each cluster's site index and the sites (a site with a cap makes the search
 * grid-aware there), and how many sites have a cap and clusters a varying price (kept by the
 * Fleet), so that a fleet without either pays one read per request and cluster.
 */
export interface SiteParams {
  readonly siteOf: Int32Array;
  readonly sites: readonly Site[];
  readonly counts: { cappedSites: number; tariffClusters: number };
}

/**
 * Finds the best option for the request in `job` under one objective, into `best`. Nothing is
 * allocated per request: the visiting order and the CHEAPEST ring are scratch arrays.
 */
export class Placer {
  readonly job: JobScratch;
  readonly best = new BestOption();
  /** GREENEST / CHEAPEST: list positions in visiting order, most promising first */
  private readonly order: Int32Array;
  /** per list position: the sort key (GREENEST: -green bound; CHEAPEST: price bound) */
  private readonly orderKey: Float64Array;
  /** per list position: the most free green W in any slot of the window */
  private readonly greenFreeMax: Int32Array;
  /** per list position: the power the request draws there, W */
  private readonly drawW: Float64Array;
  private ring = new Float64Array(64);
  /** for telling GRID_LIMIT apart: the search without the grid */
  private readonly probe = new BestOption();

  constructor(
    private readonly timelines: readonly Timeline[],
    private readonly params: ClusterParams,
    private readonly siteParams: SiteParams,
  ) {
    const n = timelines.length;
    this.job = new JobScratch(n);
    this.order = new Int32Array(n);
    this.orderKey = new Float64Array(n);
    this.greenFreeMax = new Int32Array(n);
    this.drawW = new Float64Array(n);
  }

  /**
   * Searches for the request read into `job`; null when `best` holds an option, else the refusal:
   * NO_CAPACITY when no start has the capacity, else GRID_LIMIT when some start has the capacity
   * and the green share (it would be placed without the grid caps), else GREEN_SHORTFALL.
   */
  place(objective: Objective): RefusalReason | null {
    const j = this.job;
    if (j.earliest + j.hours > j.end) return 'OUTSIDE_HORIZON';
    this.best.reset();
    if (objective === 'EARLIEST') this.placeEarliest();
    else if (objective === 'GREENEST') this.placeGreenest();
    else this.placeCheapest();
    if (this.best.cluster < 0) {
      // a start that would be placed without the grid (a capped slide saw one): GRID_LIMIT; the
      // grid turned nothing down: the search was the one without it; else search without it
      if (this.best.greenFit) return 'GRID_LIMIT';
      if (this.best.gridBlocked) return this.refusalWithoutGrid();
      return this.best.capacityFits ? 'GREEN_SHORTFALL' : 'NO_CAPACITY';
    }
    return null;
  }

  /**
   * The site of cluster `ci` when its grid cap can turn down a run drawing `draw` in the request's
   * window, else null (the search ignores the grid there): null without a cap, and null when the
   * site has at least `draw` of free grid in every slot of the window (its 64-slot block mins).
   */
  private siteOn(ci: number, draw: number): Site | null {
    if (this.siteParams.counts.cappedSites === 0) return null;
    const site = this.siteParams.sites[this.siteParams.siteOf[ci]];
    if (site.cappedSlots === 0) return null;
    const mn = site.freeMin64;
    const j = this.job;
    for (let b = j.earliest >> BLOCK_BITS; b <= (j.end - 1) >> BLOCK_BITS; b++) if (mn[b] < draw) return site;
    return null;
  }

  /** The tariff of cluster `ci` (per-slot prices) when its price varies, else null (flat). */
  private tariffOn(tl: Timeline): Float64Array | null {
    return this.siteParams.counts.tariffClusters > 0 && tl.tariffSlots > 0 ? tl.gridPrice : null;
  }

  /** Refusal of a request no cluster could take, some of them behind a grid cap: the search again without the caps (EARLIEST). */
  private refusalWithoutGrid(): RefusalReason {
    const j = this.job;
    const p = this.probe;
    p.reset();
    for (let k = 0; k < j.count; k++) {
      const ci = j.allowed[k];
      const tl = this.timelines[ci];
      const draw = this.drawOn(ci);
      const req = requiredGreenWh(j.minGreenShare, draw, j.hours);
      if (req > 0) {
        slideGreen(tl, p, ci, k, true, j.tflops, j.hours, j.earliest, j.end, draw, req);
        if (p.cluster >= 0) return 'GRID_LIMIT';
      } else if (earliestStart(tl, j.tflops, j.hours, j.earliest, j.end) >= 0) return 'GRID_LIMIT';
    }
    return p.capacityFits ? 'GREEN_SHORTFALL' : 'NO_CAPACITY';
  }

  /** The earliest start in [earliest, lim) where capacity (and, behind a cap, the grid) fits; -1 if none. */
  private earliestOn(tl: Timeline, site: Site | null, draw: number, lim: number): number {
    const j = this.job;
    return site === null
      ? earliestStart(tl, j.tflops, j.hours, j.earliest, lim)
      : earliestStartGrid(tl, site, this.best, j.tflops, draw, j.hours, j.earliest, lim);
  }

  /** Power the request draws on cluster `ci`, W. */
  drawOn(ci: number): number {
    return drawWatts(this.job.pflops, this.params.kwPerPflops[ci], this.params.pue[ci]);
  }

  /** EARLIEST: clusters in list order; a later one must start strictly earlier to win. */
  private placeEarliest(): void {
    const j = this.job;
    const best = this.best;
    const { tflops, hours, earliest, end } = j;
    for (let k = 0; k < j.count; k++) {
      const ci = j.allowed[k];
      const draw = this.drawOn(ci);
      const req = requiredGreenWh(j.minGreenShare, draw, hours);
      const lim = best.cluster < 0 ? end : Math.min(end, best.start - 1 + hours);
      if (lim - earliest < hours) continue;
      const tl = this.timelines[ci];
      const site = this.siteOn(ci, draw);
      if (req > 0) {
        if (site === null) slideGreen(tl, best, ci, k, true, tflops, hours, earliest, lim, draw, req);
        else slideGreenGrid(tl, best, ci, k, true, tflops, hours, earliest, lim, draw, req, site);
        continue;
      }
      const s =
        site === null
          ? earliestStart(tl, tflops, hours, earliest, lim)
          : earliestStartGrid(tl, site, best, tflops, draw, hours, earliest, lim);
      if (s >= 0) {
        best.capacityFits = true;
        best.cluster = ci;
        best.start = s;
        best.listPos = k;
      }
    }
  }

  /**
   * Bounds what each allowed cluster can offer (free green anywhere in the window bounds its green)
   * for GREENEST / CHEAPEST. GREENEST: most green; the clusters are ordered by it (insertion sort,
   * stable: equal keys keep list order for the ties), so the most promising go first and their
   * options prune the rest. CHEAPEST: lowest price, with at most that green, none cheaper than the
   * cluster's green price floor, and the whole draw at no less than the lowest grid price in the
   * window: per slot (draw - g) x grid + g x green >= draw x gridMin - g x (gridMin - greenFloor);
   * not ordered (placeCheapest visits in list order).
   */
  private orderClusters(cheapest: boolean): void {
    const j = this.job;
    const { hours, earliest, end } = j;
    const { order, orderKey } = this;
    for (let k = 0; k < j.count; k++) {
      const ci = j.allowed[k];
      const tl = this.timelines[ci];
      const gm = tl.greenFreeMax64;
      let gmx = 0;
      for (let b = earliest >> BLOCK_BITS; b <= (end - 1) >> BLOCK_BITS; b++) if (gm[b] > gmx) gmx = gm[b];
      const draw = this.drawOn(ci);
      const greenBound = hours * (gmx < draw ? gmx : draw);
      this.greenFreeMax[k] = gmx;
      this.drawW[k] = draw;
      if (cheapest) {
        const grid =
          this.siteParams.counts.tariffClusters > 0 && tl.tariffSlots > 0
            ? this.windowGridFloor(tl)
            : this.params.gridPricePerMwh[ci];
        const save = grid - tl.greenPriceFloor;
        orderKey[k] =
          computeCost(j.pflops, hours, this.params.pricePerPflopsHour[ci]) +
          (draw * hours * grid - (save > 0 ? greenBound * save : 0)) / WH_PER_MWH;
        // CHEAPEST visits in list order (its ties are not transitive): the key only prunes
        continue;
      }
      orderKey[k] = 0 - greenBound; // not -greenBound: -0 would deoptimize
      let q = k;
      while (q > 0 && orderKey[order[q - 1]] > orderKey[k]) {
        order[q] = order[q - 1];
        q--;
      }
      order[q] = k;
    }
  }

  /** The lowest grid price in any slot of the request's window (of a cluster with a tariff; 64-slot block mins). */
  private windowGridFloor(tl: Timeline): number {
    const pm = tl.gridPriceMin64 as Float64Array;
    const j = this.job;
    let p = Infinity;
    for (let b = j.earliest >> BLOCK_BITS; b <= (j.end - 1) >> BLOCK_BITS; b++) if (pm[b] < p) p = pm[b];
    return p;
  }

  /** GREENEST: most green Wh; clusters whose green bound falls below the best are not searched. */
  private placeGreenest(): void {
    this.orderClusters(false);
    const j = this.job;
    const best = this.best;
    const { tflops, hours, earliest, end } = j;
    for (let q = 0; q < j.count; q++) {
      const k = this.order[q];
      const ci = j.allowed[k];
      const tl = this.timelines[ci];
      const gmx = this.greenFreeMax[k];
      const draw = this.drawW[k];
      const req = requiredGreenWh(j.minGreenShare, draw, hours);
      // tested here, where every request runs it, so that compiled code has seen the test
      // before the first cluster without free green
      const needsGreen = req > 0;
      const site = this.siteOn(ci, draw);
      if (best.cluster >= 0) {
        const bound = -this.orderKey[k];
        // below the best: neither this nor any later-visited cluster can win
        if (bound < best.greenWh) break;
        if (bound === best.greenWh) {
          // equal: only an earlier start (or the same start, earlier in the list) wins
          const lim = Math.min(end, (k < best.listPos ? best.start : best.start - 1) + hours);
          if (lim - earliest >= hours) {
            // without free green a start here takes 0 Wh: a request that needs green has none
            if (gmx === 0) {
              if (needsGreen) this.noteCapacity(tl);
              else this.greenFreeGreenest(tl, site, ci, k, lim, draw);
            } else if (site === null) slideGreen(tl, best, ci, k, false, tflops, hours, earliest, lim, draw, req);
            else slideGreenGrid(tl, best, ci, k, false, tflops, hours, earliest, lim, draw, req, site);
          }
          continue;
        }
      }
      if (gmx === 0) {
        if (needsGreen) this.noteCapacity(tl);
        else this.greenFreeGreenest(tl, site, ci, k, end, draw);
        continue;
      }
      if (site === null) slideGreen(tl, best, ci, k, false, tflops, hours, earliest, end, draw, req);
      else slideGreenGrid(tl, best, ci, k, false, tflops, hours, earliest, end, draw, req, site);
    }
  }

  /**
   * CHEAPEST: lowest total price. The clusters are visited in list order, each one's starts in
   * increasing order, as the tie rule is defined (docs/scheduler-instance-format.md): ties within
   * 1e-9 are not transitive, so another order could end on another option. A cluster whose price
   * bound is above the best so far by more than the tie tolerance is not searched: none of its
   * starts could replace the best.
   */
  private placeCheapest(): void {
    this.orderClusters(true);
    const j = this.job;
    const best = this.best;
    const { pflops, tflops, hours, earliest, end } = j;
    if (this.ring.length < hours) this.ring = new Float64Array(Math.max(hours, this.ring.length * 2));
    for (let k = 0; k < j.count; k++) {
      const ci = j.allowed[k];
      const tl = this.timelines[ci];
      const draw = this.drawW[k];
      const req = requiredGreenWh(j.minGreenShare, draw, hours);
      // (a margin above the tolerance a candidate's own total gives it)
      if (best.cluster >= 0 && this.orderKey[k] > best.cost + 1.1e-9 * ((best.cost < 0 ? -best.cost : best.cost) + 1))
        continue;
      const site = this.siteOn(ci, draw);
      const tariff = this.tariffOn(tl);
      // both tested where every request runs them (see placeGreenest)
      const noGreen = this.greenFreeMax[k] === 0;
      const needsGreen = req > 0;
      if (noGreen && needsGreen) {
        this.noteCapacity(tl);
        continue;
      }
      // without free green every start costs the same, unless the grid price varies
      if (noGreen) {
        if (tariff === null) this.greenFreeCheapest(tl, site, ci, k, end, draw);
        else
          slideTariff(
            tl,
            best,
            this.ring,
            ci,
            k,
            tflops,
            hours,
            earliest,
            end,
            draw,
            computeCost(pflops, hours, this.params.pricePerPflopsHour[ci]),
            tariff,
            site,
          );
        continue;
      }
      const grid = this.params.gridPricePerMwh[ci];
      const compute = computeCost(pflops, hours, this.params.pricePerPflopsHour[ci]);
      if (site !== null)
        slideCheapestGrid(
          tl,
          best,
          this.ring,
          ci,
          k,
          tflops,
          hours,
          earliest,
          end,
          draw,
          req,
          tariff === null ? compute + energyCost(draw * hours, grid) : compute,
          grid,
          site,
          tariff,
        );
      else if (tariff !== null)
        slideCheapestTariff(tl, best, this.ring, ci, k, tflops, hours, earliest, end, draw, req, compute, tariff);
      else
        slideCheapest(
          tl,
          best,
          this.ring,
          ci,
          k,
          tflops,
          hours,
          earliest,
          end,
          draw,
          req,
          compute + energyCost(draw * hours, grid),
          grid,
        );
    }
  }

  /** A cluster that cannot reach the green share: only whether capacity fits there matters. */
  private noteCapacity(tl: Timeline): void {
    const j = this.job;
    if (!this.best.capacityFits && earliestStart(tl, j.tflops, j.hours, j.earliest, j.end) >= 0)
      this.best.capacityFits = true;
  }

  /** GREENEST on a cluster without free green in the window: its earliest start in [earliest, lim) with 0 Wh. */
  private greenFreeGreenest(
    tl: Timeline,
    site: Site | null,
    ci: number,
    listPos: number,
    lim: number,
    draw: number,
  ): void {
    const best = this.best;
    const s = this.earliestOn(tl, site, draw, lim);
    if (s < 0) return;
    best.capacityFits = true;
    if (0 > best.greenWh || (0 === best.greenWh && best.winsTie(s, listPos))) {
      best.cluster = ci;
      best.start = s;
      best.listPos = listPos;
      best.greenWh = 0;
    }
  }

  /** CHEAPEST on a cluster without free green in the window and a flat grid price: every start costs the same, so its earliest start. */
  private greenFreeCheapest(
    tl: Timeline,
    site: Site | null,
    ci: number,
    listPos: number,
    lim: number,
    draw: number,
  ): void {
    const j = this.job;
    const best = this.best;
    const s = this.earliestOn(tl, site, draw, lim);
    if (s < 0) return;
    best.capacityFits = true;
    const total =
      computeCost(j.pflops, j.hours, this.params.pricePerPflopsHour[ci]) +
      energyCost(draw * j.hours, this.params.gridPricePerMwh[ci]);
    const eps = 1e-9 * total + 1e-9;
    if (total < best.cost - eps || (total <= best.cost + eps && best.winsTie(s, listPos))) {
      best.cluster = ci;
      best.start = s;
      best.listPos = listPos;
      best.cost = total;
    }
  }
}
