import { Fleet, GRID_UNLIMITED, JobRequest } from '@pflex/scheduler';
import { HeldTflops, heldTflops, shareLimitTflops } from '../../quotas/quotas.service';
import type { ClusterMeta } from '../../ledger/timelines.service';

/** A request checked at the boundary: epoch hours, the clusters it allows in tie-break order. */
export interface ValidRequest {
  pflops: number;
  hours: number;
  /** epoch hours */
  earliestH: number;
  deadlineH: number;
  clusters: ClusterMeta[];
  minGreenShare?: number;
}

/** A startup's access rule on cluster share, with what it already holds per cluster and slot of the request's window. */
export interface ShareCap {
  share: number;
  held: HeldTflops;
}

/**
 * Where a startup's request is placed under its cluster share (the one rule for bookCompute and
 * clearing rounds): the request's window of `main` cut to the share, given what the startup
 * holds (`mine`), with slot 0 = the request's earliest hour; or `main` itself (slot 0 = `mainBaseH`)
 * when it has no share rule.
 */
export function shareRoom(
  main: Fleet,
  mainBaseH: number,
  v: ValidRequest,
  share: number | null,
  mine: readonly { cluster_id: string; h: number; hours: number; tflops: number }[],
): { on: Fleet; slot0: number; cap: ShareCap | null } {
  if (share == null) return { on: main, slot0: mainBaseH, cap: null };
  const held = heldTflops(
    mine,
    v.clusters.map((c) => c.id),
    v.earliestH,
    v.deadlineH - v.earliestH,
  );
  const cap = { share, held };
  return { on: shareCappedWindow(main, mainBaseH, v, cap), slot0: v.earliestH, cap };
}

/** The request as a scheduler job on timelines whose slot 0 is epoch hour `slot0H`. */
export function jobOf(v: ValidRequest, slot0H: number): JobRequest {
  return {
    pflops: v.pflops,
    hours: v.hours,
    earliest: v.earliestH - slot0H,
    deadline: v.deadlineH - slot0H,
    clusters: v.clusters.map((c) => c.id),
    ...(v.minGreenShare !== undefined ? { minGreenShare: v.minGreenShare } : {}),
  };
}

/**
 * The request's window [earliestH, deadlineH) of the in-memory timelines, copied into a small
 * Fleet of its clusters (slot 0 = earliestH), where a startup's free room per slot is cut to
 * what its cluster share allows (the rest shows as taken). Only startups with a share rule pay
 * for the copy. Complexity: O(clusters x window hours).
 */
export function shareCappedWindow(main: Fleet, mainBaseH: number, v: ValidRequest, cap: ShareCap): Fleet {
  return fleetWindow(main, mainBaseH, v.clusters, v.earliestH, v.deadlineH, cap);
}

/**
 * Hours [fromH, toH) of the clusters' in-memory timelines copied into a Fleet of their own
 * (slot 0 = fromH; clusters in the given order), optionally cut to a startup's cluster share.
 * Grid prices come along; a site's reserved grid is what its clusters outside the copy leave.
 * Complexity: O(clusters x hours).
 */
export function fleetWindow(
  main: Fleet,
  mainBaseH: number,
  clusters: readonly ClusterMeta[],
  fromH: number,
  toH: number,
  cap: ShareCap | null = null,
): Fleet {
  const slots = toH - fromH;
  const from = fromH - mainBaseH;
  const sites = [...new Set(clusters.flatMap((c) => (c.siteId ? [c.siteId] : [])))];
  const f = Fleet.fromSpec({
    slots,
    sites: sites.map((id) => ({ id })),
    clusters: clusters.map((c) => ({
      id: c.id,
      capacityPflops: 0,
      kwPerPflops: c.kwPerPflops,
      pue: c.pue,
      pricePerPflopsHour: c.pricePerPflopsHour,
      gridPricePerMwh: c.gridPricePerMwh,
      ...(c.siteId ? { site: c.siteId } : {}),
    })),
  });
  for (const c of clusters) {
    const t = main.timeline(c.id);
    const held = cap?.held.get(c.id);
    const booked = new Int32Array(slots);
    const alloc = new Int32Array(slots);
    const price = new Float64Array(slots);
    for (let i = 0; i < slots; i++) {
      const k = from + i;
      const capTf = k < t.capacityTflops.length ? t.capacityTflops[k] : 0;
      const b = k < t.freeTflops.length ? capTf - t.freeTflops[k] : 0;
      if (cap && held) {
        const room = Math.max(0, shareLimitTflops(cap.share, capTf) - held[i]);
        booked[i] = capTf - b > room ? capTf - room : b;
      } else booked[i] = b;
      const s = k < t.greenSupplyW.length ? t.greenSupplyW[k] : 0;
      alloc[i] = k < t.greenFreeW.length ? s - t.greenFreeW[k] : 0;
      price[i] = s > 0 ? t.greenPriceWeight[k] / s : 0;
    }
    const end = Math.min(from + slots, t.capacityTflops.length);
    const pad = <A extends Int32Array | Float64Array>(a: A, out: A): A => {
      if (end > from) out.set(a.subarray(from, end));
      return out;
    };
    const gridPrice = t.gridPrice ? pad(t.gridPrice, new Float64Array(slots).fill(c.gridPricePerMwh)) : undefined;
    f.loadSlots(c.id, 0, {
      capacityTflops: pad(t.capacityTflops, new Int32Array(slots)),
      bookedTflops: booked,
      greenSupplyW: pad(t.greenSupplyW, new Int32Array(slots)),
      greenAllocW: alloc,
      greenPricePerMwh: price,
      gridW: pad(t.gridW, new Float64Array(slots)),
      ...(gridPrice ? { gridPricePerMwh: gridPrice } : {}),
    });
  }
  for (const id of sites) {
    const site = main.siteTimeline(id);
    const mine = f.siteTimeline(id).usedW;
    const caps = new Int32Array(slots).fill(GRID_UNLIMITED);
    for (let i = 0; i < slots; i++) {
      const k = from + i;
      if (k >= site.capW.length || site.capW[k] === GRID_UNLIMITED) continue;
      // what the site's clusters outside the copy draw is taken off its reserved capacity
      caps[i] = Math.max(mine[i], site.capW[k] - (site.usedW[k] - mine[i]));
    }
    f.loadSiteSlots(id, 0, caps);
  }
  return f;
}
