import { greenShare, tflopsToPflops, wattsToMw, whToMwh } from '@pflex/scheduler';
import { GridTariff, TariffTable } from '../../clusters/tariff';
import { money } from '../../common/money';
import type { KpisModel } from '../dtos/kpis.model';

/** The KPI statement's one row. Units as in SQL: TFLOPS(-hours), W, Wh; money as numbers. */
export interface KpiRow {
  clusters: number;
  /** TFLOPS-hours of capacity, and booked, in the range */
  cap: number;
  booked: number;
  /** green Wh offered, and allocated */
  gsup: number;
  galloc: number;
  /** confirmed bookings overlapping the range, and their organizations */
  n: number;
  startups: number;
  /** Wh the bookings draw inside the range */
  wh: number;
  /** voucher money of the bookings, pro rata of their hours inside the range */
  voucher: number;
  /** highest W committed at once */
  peak_w: number;
  secs: number | null;
  /** money left on the vouchers valid in the range */
  remaining: number;
  /** green Wh promised at booking, and still allocated */
  promised: number;
  delivered: number;
  sla_n: number;
  breaches: number;
  credits: number;
}

/** The grid statement's one row. */
export interface GridRow {
  /** [cluster, local weekday (0 = Sunday), local hour, grid Wh drawn] over the range */
  wk: [string, number, number, number][] | null;
  /** tariffed clusters of the scope: [tariff, flat grid price] */
  tariffs: Record<string, [GridTariff, number]> | null;
  /** highest grid W drawn in an hour of the range */
  peak: number;
  /** highest share of a reserved capacity drawn, over capped site-hours */
  share: number | null;
  /** capped site-hours in the range */
  capped: number;
}

export type KpiFigures = Omit<KpisModel, 'from' | 'to' | 'region' | keyof GridFigures>;
export type GridFigures = Pick<
  KpisModel,
  'gridMwhDrawn' | 'peakGridMegawatts' | 'peakShareOfReservedGrid' | 'valleyShare'
>;

/** The KPI row in the API's units over a range of `hours` hours: PFLOPS-hours, MW, MWh, shares, money in cents. */
export function kpiFigures(r: KpiRow, hours: number): KpiFigures {
  return {
    clusters: r.clusters,
    pflopsHoursAvailable: tflopsToPflops(r.cap),
    pflopsHoursBooked: tflopsToPflops(r.booked),
    utilization: r.cap > 0 ? r.booked / r.cap : 0,
    peakMegawattsCommitted: wattsToMw(r.peak_w),
    averageMegawattsCommitted: whToMwh(r.wh) / hours,
    bookedEnergyMwh: whToMwh(r.wh),
    greenShare: greenShare(r.galloc, r.wh),
    greenMwhUsed: whToMwh(r.galloc),
    greenMwhOffered: whToMwh(r.gsup),
    bookings: r.n,
    startupsServed: r.startups,
    medianQuoteToBookingSeconds: r.secs,
    voucherMoneySpent: money(r.voucher),
    voucherMoneyLeft: money(r.remaining),
    greenMwhPromised: r.promised / 1e6,
    greenMwhDelivered: r.delivered / 1e6,
    slaBookings: r.sla_n,
    slaBreaches: r.breaches,
    slaAttainment: r.sla_n > 0 ? (r.sla_n - r.breaches) / r.sla_n : null,
    slaCreditsOwed: money(r.credits),
  };
}

/**
 * The grid row in the API's units, and the valley share: of the grid Wh drawn by clusters with a
 * time-of-use tariff, the part drawn in hours priced at their tariff's lowest price (null when no
 * tariffed cluster drew any). Untariffed clusters count in the grid drawn, not in the share.
 */
export function gridFigures(g: GridRow): GridFigures {
  const tables = new Map(Object.entries(g.tariffs ?? {}).map(([id, [t, flat]]) => [id, new TariffTable(t, flat)]));
  let all = 0;
  let tariffed = 0;
  let valley = 0;
  for (const [cluster, dow, hr, wh] of g.wk ?? []) {
    all += wh;
    const t = tables.get(cluster);
    if (!t) continue;
    tariffed += wh;
    // an epoch hour with that local weekday (0 = Sunday) and hour: 1970-01-04 was a Sunday
    const h = (3 + dow) * 24 + hr - t.tariff!.utcOffsetHours;
    if (t.priceAt(h) === t.lowestPrice()) valley += wh;
  }
  return {
    gridMwhDrawn: whToMwh(all),
    peakGridMegawatts: wattsToMw(g.peak),
    peakShareOfReservedGrid: g.capped > 0 ? (g.share ?? 0) : null,
    valleyShare: tariffed > 0 ? valley / tariffed : null,
  };
}
