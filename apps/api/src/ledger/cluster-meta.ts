import type { Fleet } from '@pflex/scheduler';
import type { ClusterLedger, ClusterMeta } from './ledger.repository';

/** The catalogue entry of a loaded cluster (its rows left out). */
export function metaOf(c: ClusterLedger): ClusterMeta {
  return {
    id: c.id,
    ownerOrgId: c.ownerOrgId,
    name: c.name,
    region: c.region,
    capacityTflops: c.capacityTflops,
    kwPerPflops: c.kwPerPflops,
    pue: c.pue,
    pricePerPflopsHour: c.pricePerPflopsHour,
    gridPricePerMwh: c.gridPricePerMwh,
    siteId: c.siteId,
    gridTariff: c.gridTariff,
    postedGridPrices: c.postedGridPrices,
    createdAt: c.createdAt,
  };
}

/**
 * Whether the fleet already schedules cluster `m.id` as its fresh catalogue entry `m` says (its
 * entry was `was`): same power, prices, site and tariff, so that names and owners can be updated
 * in place without rebuilding the fleet.
 */
export function sameScheduling(f: Fleet, was: ClusterMeta | undefined, m: ClusterMeta): boolean {
  const i = f.clusterIndex(m.id);
  return (
    i >= 0 &&
    f.kwPerPflops[i] === m.kwPerPflops &&
    f.pue[i] === m.pue &&
    f.pricePerPflopsHour[i] === m.pricePerPflopsHour &&
    f.gridPricePerMwh[i] === m.gridPricePerMwh &&
    was !== undefined &&
    was.siteId === m.siteId &&
    JSON.stringify(was.gridTariff) === JSON.stringify(m.gridTariff) &&
    JSON.stringify(was.postedGridPrices) === JSON.stringify(m.postedGridPrices)
  );
}
