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
