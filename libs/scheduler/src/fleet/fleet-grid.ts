import { GRID_UNLIMITED } from '../domain/limits';
import { SchedulerConflictError } from '../errors';
import type { SiteSpec } from '../types';
import { fail } from '../validate';
import { FleetState } from './fleet-state';
import { checkGridMw, checkGridPrice, checkRange, checkSiteSlots, clip } from './validation';

/**
 * A Fleet's grid side: sites (clusters behind one grid connection) with a reserved grid capacity
 * per slot, each cluster's grid draw, and time-of-use grid prices. The placer reads the same
 * arrays (search/placer.ts); commit and release keep them (bookings.ts).
 */
export abstract class FleetGrid extends FleetState {
  /** Sets a declared site's caps from its spec (checked): gridMw in every slot, then the changes in order, clipped. */
  protected applySiteSpec(k: number, x: SiteSpec): void {
    const slots = this.slots;
    const base = x.gridMw === undefined || x.gridMw === null ? GRID_UNLIMITED : checkGridMw('', 'gridMw', x.gridMw);
    const ch = x.gridChanges ?? [];
    if (base === GRID_UNLIMITED && ch.every((c) => c.mw === null)) return;
    const cap = new Int32Array(slots).fill(base);
    for (const c of ch) cap.fill(checkGridMw('', 'mw', c.mw), clip(c.start, slots), clip(c.end, slots));
    this.liveSite(this.sites[k]);
    this.sites[k].setCaps(0, slots, cap);
  }

  /** Grid price of the slot per MWh: the flat gridPricePerMwh, or the tariff's price there. */
  gridPricePerMwhAt(c: string | number, slot: number): number {
    const tl = this.timelineOf(c);
    const t = this.slotIdx(slot);
    return tl.gridPrice === null ? tl.flatGridPrice : tl.gridPrice[t];
  }

  /** Whether some slot of some site has a grid cap. Complexity: O(sites). */
  hasGridCaps(): boolean {
    for (const s of this.sites) if (s.cappedSlots > 0) return true;
    return false;
  }

  /** Index of a site id ('#' + cluster id for a cluster without a declared site), -1 when unknown. Complexity: O(1). */
  siteIndex(id: string): number {
    const k = this.siteIndexOf.get(id);
    return k === undefined ? -1 : k;
  }

  /** Site index of a cluster (id or index). Complexity: O(1). */
  siteOfCluster(c: string | number): number {
    return this.siteOf[this.ci(c, 'cluster')];
  }

  /** Reserved grid capacity of a site (id or index) in a slot, W; GRID_UNLIMITED when unlimited. */
  gridCapW(site: string | number, slot: number): number {
    const s = this.siteOfArg(site);
    const t = this.slotIdx(slot);
    return s.capW === null ? GRID_UNLIMITED : s.capW[t];
  }

  /** Grid W drawn in a slot by the bookings on all the clusters of a site (id or index). */
  gridUsedW(site: string | number, slot: number): number {
    const s = this.siteOfArg(site);
    const t = this.slotIdx(slot);
    this.liveSite(s);
    return s.usedW[t];
  }

  /**
   * The raw per-slot arrays of one site, for read-only use: `capW` (Int32 W, GRID_UNLIMITED where
   * unlimited) and `usedW` (the grid W its bookings draw; exact integers in a Float64Array, since a
   * draw can pass Int32). Mutating them voids every guarantee. Complexity: O(1) (O(slots) the first
   * time for a site that never had a cap).
   */
  siteTimeline(site: string | number): { capW: Int32Array; usedW: Float64Array } {
    const s = this.siteOfArg(site);
    this.liveSite(s);
    return { capW: s.caps(), usedW: s.usedW };
  }

  /**
   * Sets a site's reserved grid capacity over [start, end), clipped to the horizon; `mw` null =
   * unlimited there. Throws SchedulerConflictError (GRID_LIMIT), naming the slot and changing
   * nothing, if the grid W already drawn there would exceed it; SchedulerInputError for bad input.
   * Complexity: O(clipped length + 64 x blocks touched), O(slots) when the site gets its first cap.
   */
  setGridCapacity(site: string, start: number, end: number, mw: number | null): void {
    this.epoch++;
    const s = this.siteOfArg(site, 'site');
    checkRange('setGridCapacity: ', 'range', start, end);
    const w = checkGridMw('setGridCapacity: ', 'mw', mw);
    const from = clip(start, this.slots);
    const to = clip(end, this.slots);
    this.liveSite(s);
    const t = s.firstOver(from, to, w);
    if (t >= 0)
      throw new SchedulerConflictError(
        'GRID_LIMIT',
        `setGridCapacity ${site} [${start}, ${end}) to ${mw} MW: slot ${t} has ${s.usedW[t]} W of grid drawn by bookings; nothing changed`,
      );
    s.setCaps(from, to, w);
    this.recount();
  }

  /**
   * Bulk-loads a site's reserved grid capacity for [fromSlot, fromSlot + capW.length): Int32 W per
   * slot, GRID_UNLIMITED for none. Each must be >= the grid W already drawn there; otherwise
   * SchedulerInputError naming the slot, and nothing changes. Complexity: O(length).
   */
  loadSiteSlots(site: string, fromSlot: number, capW: ArrayLike<number>): void {
    this.epoch++;
    const s = this.siteOfArg(site, 'site');
    const len = checkSiteSlots(capW, fromSlot, this.slots);
    this.liveSite(s);
    const t = s.firstOver(fromSlot, fromSlot + len, capW);
    if (t >= 0)
      fail(
        'loadSiteSlots: ',
        `capW[${t - fromSlot}]`,
        `>= the grid W drawn in slot ${t} (${s.usedW[t]}) or GRID_UNLIMITED`,
        capW[t - fromSlot],
      );
    s.setCaps(fromSlot, fromSlot + len, capW);
    this.recount();
  }

  /**
   * Sets a cluster's grid price over [start, end), clipped to the horizon (a time-of-use tariff).
   * Complexity: O(clipped length + 64 x blocks touched), O(slots) the first time the price varies.
   */
  setGridPrice(c: string, start: number, end: number, pricePerMwh: number): void {
    this.epoch++;
    const tl = this.timelines[this.ci(c, 'cluster')];
    checkRange('setGridPrice: ', 'range', start, end);
    checkGridPrice('setGridPrice: ', 'pricePerMwh', pricePerMwh);
    tl.setPrices(clip(start, this.slots), clip(end, this.slots), pricePerMwh);
    this.recount();
  }
}
