import { CLUSTER_LIMITS, GRID_UNLIMITED, MAX_GREEN_W } from '../domain/limits';
import { mwToWatts, tflopsToPflops, toTflops, wattsToMw } from '../domain/units';
import { SchedulerConflictError } from '../errors';
import type { GreenWindow } from '../types';
import { checkNonNeg3, fail } from '../validate';
import { FleetGrid } from './fleet-grid';
import { refreshFree, refreshGreenFree } from './summaries';
import type { Timeline } from './timeline';
import { checkRange, checkSlotData, checkWindow, clip, type SlotData } from './validation';

/**
 * A Fleet's supply side: writes of capacity and green supply into the timelines (a capacity
 * change, a green window, a bulk load of a window from the API's ledger). Each keeps the
 * summaries and bumps the epoch (fleet.ts has placement and bookings; fleet-grid.ts sites and
 * tariffs).
 */
export abstract class FleetSupply extends FleetGrid {
  /**
   * Bulk-loads per-slot state for [fromSlot, fromSlot + length) of one cluster, replacing it
   * (the API rebuilds a window from its ledger). Units: TFLOPS and W integers, price per MWh.
   * All arrays must have the same length; booked <= capacity and alloc <= supply per slot.
   * Optional: `gridW`, the grid W the cluster's bookings draw per slot (absent = 0 there): the
   * site's used grid changes by the difference, and must stay within the site's cap in every slot
   * (else SchedulerInputError); `gridPricePerMwh`, the grid price per slot (absent = unchanged).
   * Handles of bookings inside the window are not adjusted.
   * Complexity: O(length).
   */
  loadSlots(cluster: string, fromSlot: number, data: SlotData): void {
    this.epoch++;
    const ci = this.ci(cluster, 'cluster');
    const tl = this.timelines[ci];
    const site = this.sites[this.siteOf[ci]];
    const len = checkSlotData(data, fromSlot, this.slots);
    this.liveGrid(ci);
    const gw = data.gridW;
    const oldGw = tl.gridW;
    if (site.capW !== null && site.cappedSlots > 0) {
      const cap = site.capW;
      for (let i = 0; i < len; i++) {
        const t = fromSlot + i;
        const nw = gw === undefined ? 0 : gw[i];
        if (cap[t] !== GRID_UNLIMITED && site.usedW[t] - oldGw[t] + nw > cap[t])
          fail(
            'loadSlots: ',
            gw === undefined ? 'data.gridW' : `data.gridW[${i}]`,
            `such that site ${this.siteIds[this.siteOf[ci]]} stays within its grid cap of ${cap[t]} W in slot ${t} (other clusters draw ${site.usedW[t] - oldGw[t]} W)`,
            nw,
          );
      }
    }
    const { capacityTflops: c, bookedTflops: b, greenSupplyW: s, greenAllocW: a, greenPricePerMwh: p } = data;
    for (let i = 0; i < len; i++) {
      const t = fromSlot + i;
      tl.capacityTf[t] = c[i];
      tl.freeTf[t] = c[i] - b[i];
      tl.greenSupplyW[t] = s[i];
      tl.greenFreeW[t] = s[i] - a[i];
      tl.greenPriceWeight[t] = s[i] * p[i];
      tl.lowerPriceFloor(s[i] > 0, p[i]);
      const nw = gw === undefined ? 0 : gw[i];
      if (!site.shared) site.usedW[t] += nw - oldGw[t];
      oldGw[t] = nw;
    }
    if (data.gridPricePerMwh !== undefined) {
      tl.setPrices(fromSlot, fromSlot + len, data.gridPricePerMwh);
      this.recount();
    }
    refreshFree(tl, fromSlot, fromSlot + len);
    refreshGreenFree(tl, fromSlot, fromSlot + len);
    site.refreshFree(fromSlot, fromSlot + len);
  }

  /**
   * Sets the capacity of a cluster over [start, end) (maintenance, expansion), clipped to the
   * horizon [0, slots). Throws SchedulerConflictError, changing nothing, if booked work would
   * exceed the new capacity. Complexity: O(clipped length).
   */
  setCapacity(cluster: string, start: number, end: number, pflops: number): void {
    this.epoch++;
    const tl = this.timelines[this.ci(cluster, 'cluster')];
    checkRange('setCapacity: ', 'range', start, end);
    checkNonNeg3('setCapacity: ', 'pflops', pflops, CLUSTER_LIMITS.capacityPflops.max);
    const tf = toTflops(pflops);
    const cap = tl.capacityTf;
    const free = tl.freeTf;
    const from = clip(start, this.slots);
    const to = clip(end, this.slots);
    for (let t = from; t < to; t++) {
      if (cap[t] - free[t] > tf)
        throw new SchedulerConflictError(
          'NO_CAPACITY',
          `setCapacity ${cluster} [${start}, ${end}) to ${pflops} PFLOPS: slot ${t} has ${tflopsToPflops(cap[t] - free[t])} PFLOPS booked; nothing changed`,
        );
    }
    tl.setCapacity(from, to, tf);
    refreshFree(tl, from, to);
  }

  /**
   * Adds a green supply window to a cluster, clipped to the horizon [0, slots); overlapping
   * windows add up and the slot price becomes the MW-weighted average.
   * Complexity: O(clipped length).
   */
  addGreenWindow(cluster: string, w: GreenWindow): void {
    this.epoch++;
    const tl = this.timelines[this.ci(cluster, 'cluster')];
    checkWindow('addGreenWindow: ', 'window', w);
    const watts = mwToWatts(w.mw);
    const from = clip(w.start, this.slots);
    const to = clip(w.end, this.slots);
    const t = this.slotOverGreenLimit(tl, from, to, watts);
    if (t >= 0)
      fail(
        'addGreenWindow: ',
        'window.mw',
        `such that supply stays within ${wattsToMw(MAX_GREEN_W)} MW in slot ${t}`,
        w.mw,
      );
    tl.addGreen(from, to, watts, w.pricePerMwh);
    refreshGreenFree(tl, from, to);
  }

  /** First slot of [from, to) where `watts` more green would exceed MAX_GREEN_W, -1 if none. */
  protected slotOverGreenLimit(tl: Timeline, from: number, to: number, watts: number): number {
    const sup = tl.greenSupplyW;
    for (let t = from; t < to; t++) if (sup[t] + watts > MAX_GREEN_W) return t;
    return -1;
  }
}
