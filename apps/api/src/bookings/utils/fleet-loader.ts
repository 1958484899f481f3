import { ClusterEntity } from '@pflex/persistence';
import { Fleet } from '@pflex/scheduler';
import { EntityManager } from 'typeorm';
import { HOUR_MS } from '../../common/time.utils';
import { HeldTflops, shareLimitTflops } from '../../quotas/quotas.service';

interface LedgerRow {
  cluster_id: string;
  slot: number;
  capacity_tflops: number;
  booked_tflops: number;
  s: number;
  a: number;
  p: number;
}

/** A startup's access rule on cluster share, with what it already holds per cluster and slot. */
export interface ShareCap {
  share: number;
  held: HeldTflops;
}

/**
 * Builds a scheduler Fleet for [from, to) from the ledger: slot 0 is `from`'s hour. One indexed
 * SELECT over (cluster_id, hour); hours without a ledger row keep capacity 0, so nothing is
 * ever placed where the database could not record it. With `shareCap`, a startup's free room
 * per slot is cut to what its cluster share allows. With `lock`, the rows are locked in
 * (cluster_id, hour) order, which serialises competing bookings on the same hours.
 * Complexity: O(clusters x hours).
 */
export async function loadFleet(m: EntityManager, clusters: ClusterEntity[], from: number, to: number, lock: boolean, shareCap?: ShareCap): Promise<Fleet> {
  const slots = (to - from) / HOUR_MS;
  const fleet = Fleet.fromSpec({
    slots,
    clusters: clusters.map((c) => ({
      id: c.id,
      capacityPflops: 0,
      kwPerPflops: c.kwPerPflops,
      pue: c.pue,
      pricePerPflopsHour: c.pricePerPflopsHour,
      gridPricePerMwh: c.gridPricePerMwh,
    })),
  });
  const rows: LedgerRow[] = await m.query(
    `SELECT cluster_id, (extract(epoch FROM hour - $2::timestamptz) / 3600)::int AS slot, capacity_tflops, booked_tflops,
            green_supply_w::float8 AS s, green_alloc_w::float8 AS a,
            (CASE WHEN green_supply_w > 0 THEN green_price_weight / green_supply_w ELSE 0 END)::float8 AS p
     FROM cluster_hours WHERE cluster_id = ANY($1::uuid[]) AND hour >= $2 AND hour < $3
     ORDER BY cluster_id, hour${lock ? ' FOR UPDATE' : ''}`,
    [clusters.map((c) => c.id), new Date(from), new Date(to)],
  );
  const byCluster = new Map<string, { capacityTflops: Int32Array; bookedTflops: Int32Array; greenSupplyW: Float64Array; greenAllocW: Float64Array; greenPricePerMwh: Float64Array }>();
  for (const c of clusters) {
    byCluster.set(c.id, {
      capacityTflops: new Int32Array(slots),
      bookedTflops: new Int32Array(slots),
      greenSupplyW: new Float64Array(slots),
      greenAllocW: new Float64Array(slots),
      greenPricePerMwh: new Float64Array(slots),
    });
  }
  for (const r of rows) {
    const d = byCluster.get(r.cluster_id)!;
    d.capacityTflops[r.slot] = r.capacity_tflops;
    d.bookedTflops[r.slot] = r.booked_tflops;
    if (shareCap) {
      // the startup may add only what its cluster share leaves: show the rest as taken
      const room = Math.max(0, shareLimitTflops(shareCap.share, r.capacity_tflops) - shareCap.held.get(r.cluster_id)![r.slot]);
      if (r.capacity_tflops - r.booked_tflops > room) d.bookedTflops[r.slot] = r.capacity_tflops - room;
    }
    d.greenSupplyW[r.slot] = Number(r.s);
    d.greenAllocW[r.slot] = Number(r.a);
    d.greenPricePerMwh[r.slot] = Number(r.p);
  }
  for (const [id, d] of byCluster) fleet.loadSlots(id, 0, d);
  return fleet;
}
