import { requiredGreenWh, whToMwh, type RevisedBooking } from '@pflex/scheduler';
import { centsOf, money, priceTotal, shareCents, type PriceParts } from '../common/money';

/** A confirmed booking running in the revised range, locked. */
export interface HeldRow {
  id: string;
  org_id: string;
  h: number;
  hours: number;
  draw_w: string;
  g: string[];
  gp: string[];
  min_green_share: number | null;
  green_share: number;
  price_compute: number;
  price_total: number;
  green_price_per_mwh: number | null;
  /** grid price per MWh of each hour when booked */
  grid_prices: string[];
  voucher_id: string | null;
  /** the voucher's percentCovered (null without one) */
  voucher_percent: number | null;
  voucher_amount: string;
  sla_credit: string;
}

/** A booking's figures after its green changed to `bk.greenW`. */
export interface RevisedFigures {
  greenMwh: number;
  gridMwh: number;
  greenShare: number;
  parts: PriceParts;
  total: number;
  /** cents the voucher covers now; below what it drew, the rest goes back to it */
  voucherCents: number;
  /** cents of SLA credit owed now */
  creditCents: number;
  missingWh: number;
}

/**
 * The figures of booking `b` (as stored) with the green `bk` holds now: green MWh at the booking's
 * green price, grid MWh at each hour's price when it was booked (a tariff set since does not
 * apply); the voucher keeps covering its percentCovered of the price, never more than it drew (a
 * rise draws nothing more); the SLA credit is the missing MWh x the booking's average grid price x
 * `penaltyFactor`.
 */
export function revisedFigures(b: HeldRow, bk: RevisedBooking, penaltyFactor: number): RevisedFigures {
  const greenWh = bk.greenW.reduce((x, g) => x + g, 0);
  const energyWh = bk.drawW * bk.hours;
  let gridCost = 0;
  let priceSum = 0;
  for (let k = 0; k < bk.hours; k++) {
    const price = Number(b.grid_prices[k]);
    gridCost += (bk.drawW - bk.greenW[k]) * price;
    priceSum += price;
  }
  const greenMwh = whToMwh(greenWh);
  const parts = {
    compute: b.price_compute,
    greenEnergy: money(greenMwh * (b.green_price_per_mwh ?? 0)),
    gridEnergy: money(whToMwh(gridCost)),
  };
  const total = priceTotal(parts);
  const drawn = centsOf(Number(b.voucher_amount));
  const missingWh = Math.max(0, requiredGreenWh(bk.minGreenShare, bk.drawW, bk.hours) - greenWh);
  return {
    greenMwh,
    gridMwh: whToMwh(energyWh - greenWh),
    greenShare: energyWh > 0 ? greenWh / energyWh : 0,
    parts,
    total,
    voucherCents: b.voucher_id ? Math.min(drawn, shareCents(centsOf(total), b.voucher_percent ?? 0)) : drawn,
    creditCents: centsOf(money((whToMwh(missingWh) * priceSum * penaltyFactor) / bk.hours)),
    missingWh,
  };
}
