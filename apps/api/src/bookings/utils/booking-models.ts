import { meetsGreenShare, tflopsToPflops, wattsToMw, whToMwh, type Placement } from '@pflex/scheduler';
import type { TariffTable } from '../../clusters/tariff';
import { centsOf, priceWithVoucher, splitCents } from '../../common/money';
import { HOUR_MS } from '../../common/time.utils';
import type { BookingRow } from '../../ledger/ledger.repository';
import type { VoucherCover } from '../../vouchers/vouchers.service';
import {
  BookingModel,
  BookingStatusEnum,
  GridPeriodCostModel,
  ObjectiveEnum,
  PlacementModel,
} from '../dtos/booking.model';

/** A booking's stored figures, from a TypeORM entity or a plain row (numbers as numbers). */
export interface StoredBooking {
  id: string;
  orgId: string;
  clusterId: string;
  status: string;
  startsAt: Date;
  endsAt: Date;
  hours: number;
  tflops: number;
  drawW: number;
  objective: string;
  minGreenShare: number | null;
  greenShare: number;
  greenMwh: number;
  gridMwh: number;
  priceCompute: number;
  priceGreenEnergy: number;
  priceGridEnergy: number;
  priceTotal: number;
  voucherId: string | null;
  voucherAmount: number;
  idempotencyKey: string;
  createdAt: Date;
  cancelledAt: Date | null;
  /** green MWh allocated when booked (supply revisions may lower greenMwh below it, never raise it above) */
  greenMwhPromised: number;
  /** SLA credit owed to the startup now */
  slaCredit: number;
}

export function storedFromRow(r: BookingRow): StoredBooking {
  return {
    id: r.id,
    orgId: r.org_id,
    clusterId: r.cluster_id,
    status: r.status,
    startsAt: new Date(r.starts_at),
    endsAt: new Date(r.ends_at),
    hours: r.hours,
    tflops: r.tflops,
    drawW: Number(r.draw_w),
    objective: r.objective,
    minGreenShare: r.min_green_share,
    greenShare: r.green_share,
    greenMwh: r.green_mwh,
    gridMwh: r.grid_mwh,
    priceCompute: r.price_compute,
    priceGreenEnergy: r.price_green_energy,
    priceGridEnergy: r.price_grid_energy,
    priceTotal: r.price_total,
    voucherId: r.voucher_id,
    voucherAmount: Number(r.voucher_amount),
    idempotencyKey: r.idempotency_key,
    createdAt: new Date(r.created_at),
    cancelledAt: r.cancelled_at ? new Date(r.cancelled_at) : null,
    greenMwhPromised: r.green_w_promised.reduce((a: number, g) => a + Number(g), 0) / 1e6,
    slaCredit: Number(r.sla_credit),
  };
}

export function bookingModel(b: StoredBooking, clusterName: string): BookingModel {
  return {
    id: b.id,
    organizationId: b.orgId,
    clusterId: b.clusterId,
    clusterName,
    status: b.status as BookingStatusEnum,
    startsAt: b.startsAt,
    endsAt: b.endsAt,
    hours: b.hours,
    pflops: tflopsToPflops(b.tflops),
    objective: b.objective as ObjectiveEnum,
    minGreenShare: b.minGreenShare,
    greenShare: b.greenShare,
    greenMwh: b.greenMwh,
    gridMwh: b.gridMwh,
    energyMwh: whToMwh(b.drawW * b.hours),
    powerMw: wattsToMw(b.drawW),
    price: priceWithVoucher(
      { compute: b.priceCompute, greenEnergy: b.priceGreenEnergy, gridEnergy: b.priceGridEnergy },
      b.voucherAmount,
    ),
    voucherId: b.voucherId,
    idempotencyKey: b.idempotencyKey,
    createdAt: b.createdAt,
    cancelledAt: b.cancelledAt,
    greenMwhPromised: b.greenMwhPromised,
    // a cancelled booking draws no energy: no share to meet
    slaMet:
      b.minGreenShare == null || b.status === 'CANCELLED'
        ? null
        : meetsGreenShare(Math.round(b.greenMwh * 1e6), b.drawW, b.hours, b.minGreenShare),
    slaCredit: b.slaCredit,
  };
}

/**
 * A placement's grid energy per period of its cluster's tariff (slot 0 = epoch hour `slot0H`): one
 * entry per period and price, in the order the run meets them (posted hours: one per price).
 */
export function gridPeriodsOf(pl: Placement, slot0H: number, tariff: TariffTable): GridPeriodCostModel[] {
  const periods = new Map<string, GridPeriodCostModel & { wh: number }>();
  for (let i = 0; i < pl.hours; i++) {
    const h = slot0H + pl.start + i;
    const k = tariff.periodAt(h);
    const price = tariff.priceAt(h);
    const key = `${k}:${price}`;
    let e = periods.get(key);
    if (!e)
      periods.set(key, (e = { period: tariff.nameOf(k), hours: 0, gridMwh: 0, pricePerMwh: price, cost: 0, wh: 0 }));
    e.hours++;
    e.wh += pl.drawW - pl.greenW[i];
  }
  const list = [...periods.values()];
  // whole cents that add up to the price's grid energy
  const cents = splitCents(
    list.map((e) => whToMwh(e.wh) * e.pricePerMwh),
    centsOf(pl.price.gridEnergy),
  );
  return list.map((e, i) => ({
    period: e.period,
    hours: e.hours,
    gridMwh: whToMwh(e.wh),
    pricePerMwh: e.pricePerMwh,
    cost: cents[i] / 100,
  }));
}

/** A placement found on timelines whose slot 0 is epoch hour `slot0H`, as a quote shows it. */
export function placementModel(
  pl: Placement,
  slot0H: number,
  clusterName: string,
  cover: VoucherCover | null,
): PlacementModel {
  const startsAt = (slot0H + pl.start) * HOUR_MS;
  return {
    clusterId: pl.cluster,
    clusterName,
    startsAt: new Date(startsAt),
    endsAt: new Date(startsAt + pl.hours * HOUR_MS),
    hours: pl.hours,
    pflops: tflopsToPflops(pl.tflops),
    greenShare: pl.greenShare,
    greenMwh: pl.greenMwh,
    gridMwh: pl.gridMwh,
    energyMwh: pl.energyMwh,
    powerMw: wattsToMw(pl.drawW),
    price: priceWithVoucher(pl.price, cover?.amount ?? 0),
    voucherId: cover?.voucherId ?? null,
  };
}
