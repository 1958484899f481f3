import { Inject, Injectable } from '@nestjs/common';
import { SqlSession } from '@pflex/persistence';
import { Objective, Placement } from '@pflex/scheduler';
import { centsOf, money, priceTotal } from '../common/money';
import { HOUR_MS } from '../common/time.utils';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { GroupInsert, LedgerRepository, VERSION_PLACEHOLDER, VoucherRow } from '../ledger/ledger.repository';
import type { LedgerPort } from '../ledger/ledger.port';
import { BookingEventTuple, bookingPayloads, ledgerPayloads } from '../ledger/ledger-wire';
import { chooseCover, coverRequestOf, VoucherCover, VouchersService } from '../vouchers/vouchers.service';
import { StoredBooking } from './utils/booking-models';

/** Where a booking landed on the in-memory timelines. */
export interface Landing {
  pl: Placement;
  /** fleet slot of its first hour */
  slot: number;
  /** epoch hour of its first hour */
  startH: number;
  cover: VoucherCover | null;
}

/** A placed booking, ready to be written: whose, which request, where. */
export interface Landed {
  id: string;
  orgId: string;
  key: string;
  fingerprint: string;
  objective: Objective;
  minGreenShare: number | null;
  landing: Landing;
  /** the round request it clears, if any (carried on its booking event) */
  roundRequestId?: string;
  /** set by `write`: when the booking is stored as created (epoch ms), the same in its first answer */
  createdAt?: number;
}

/**
 * The one write path of new bookings (group commits and round clearings alike): voucher covers
 * in order, then ONE set-based statement — bookings from arrays, summed per-(cluster, hour)
 * ledger deltas (CHECK-guarded), the versions of the clusters written raised after the rows,
 * voucher draws with their ledger rows, notifications with the versions filled in by SQL —
 * with COMMIT sent right behind it.
 */
@Injectable()
export class BookingWriter {
  constructor(
    @Inject(LedgerRepository) private readonly repo: LedgerPort,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly vouchers: VouchersService,
  ) {}

  /** Voucher covers in order, each draw lowering what the next booking can get (`vouchers` locked by the caller). */
  covers(placed: Landed[], vouchers: VoucherRow[]): void {
    const left = new Map(vouchers.map((v) => [v.id, centsOf(Number(v.remaining))]));
    const byOrg = new Map<string, VoucherRow[]>();
    for (const v of vouchers) byOrg.set(v.org_id, [...(byOrg.get(v.org_id) ?? []), v]);
    for (const m of placed) {
      const mine = byOrg.get(m.orgId);
      if (!mine) continue;
      const l = m.landing;
      const startsAt = l.startH * HOUR_MS;
      const cover = chooseCover(mine, coverRequestOf(l.pl, startsAt), (v) => left.get(v.id)!);
      l.cover = null;
      if (cover) {
        left.set(cover.voucherId, left.get(cover.voucherId)! - centsOf(cover.amount));
        l.cover = cover;
      }
    }
  }

  /**
   * Writes the bookings and commits: `beforeCommit` (a round's own rows) runs after the write,
   * otherwise COMMIT goes out right behind it, so the version rows stay locked for one round
   * trip. Returns the new version of every cluster written.
   */
  async write(
    s: SqlSession,
    tx: { commit(): Promise<void> },
    placed: Landed[],
    vouchers: VoucherRow[],
    beforeCommit?: () => Promise<void>,
  ): Promise<Map<string, number>> {
    const clusters = [...new Set(placed.map((m) => m.landing.pl.cluster))].sort();
    const b: GroupInsert = {
      id: [],
      org: [],
      cluster: [],
      startH: [],
      hours: [],
      tflops: [],
      drawW: [],
      greenFlat: [],
      greenOff: [],
      gridPriceFlat: [],
      objective: [],
      minGreenShare: [],
      greenMwh: [],
      gridMwh: [],
      greenShare: [],
      priceCompute: [],
      priceGreen: [],
      greenPrice: [],
      priceGrid: [],
      priceTotal: [],
      voucherId: [],
      voucherAmount: [],
      key: [],
      fingerprint: [],
    };
    const deltas = new Map<string, Map<number, [number, number, number]>>();
    const spent = new Map(vouchers.map((v) => [v.id, centsOf(Number(v.spent))]));
    const draws = new Map<string, number>();
    const vd = {
      voucher: [] as string[],
      amount: [] as string[],
      ledgerVoucher: [] as string[],
      ledgerBooking: [] as string[],
      ledgerAmount: [] as string[],
      ledgerSpentAfter: [] as string[],
    };
    const events: BookingEventTuple[] = [];
    const voucherOrgs = new Set<string>();
    for (const m of placed) {
      const l = m.landing;
      const pl = l.pl;
      b.id.push(m.id);
      b.org.push(m.orgId);
      b.cluster.push(pl.cluster);
      b.startH.push(l.startH);
      b.hours.push(pl.hours);
      b.tflops.push(pl.tflops);
      b.drawW.push(pl.drawW);
      b.greenOff.push(b.greenFlat.length);
      for (let i = 0; i < pl.hours; i++) {
        b.greenFlat.push(pl.greenW[i]);
        b.gridPriceFlat.push(pl.gridPricePerMwh[i]);
      }
      b.objective.push(m.objective);
      b.minGreenShare.push(m.minGreenShare);
      b.greenMwh.push(pl.greenMwh);
      b.gridMwh.push(pl.gridMwh);
      b.greenShare.push(pl.greenShare);
      // stored as clients read them: whole cents per part, the total their sum (common/money)
      b.priceCompute.push(money(pl.price.compute));
      b.priceGreen.push(money(pl.price.greenEnergy));
      // the green price the booking keeps (a supply revision prices its green MWh at it): from the
      // green energy before rounding, so that 1 of 2 MWh at 333.333 is 333.33, not half of 666.67
      b.greenPrice.push(pl.greenMwh > 0 ? pl.price.greenEnergy / pl.greenMwh : null);
      b.priceGrid.push(money(pl.price.gridEnergy));
      b.priceTotal.push(priceTotal(pl.price));
      b.voucherId.push(l.cover?.voucherId ?? null);
      b.voucherAmount.push((l.cover?.amount ?? 0).toFixed(2));
      b.key.push(m.key);
      b.fingerprint.push(m.fingerprint);
      let per = deltas.get(pl.cluster);
      if (!per) deltas.set(pl.cluster, (per = new Map<number, [number, number, number]>()));
      for (let i = 0; i < pl.hours; i++) {
        const h = l.startH + i;
        const cur = per.get(h) ?? [0, 0, 0];
        cur[0] += pl.tflops;
        cur[1] += pl.greenW[i];
        cur[2] += pl.drawW - pl.greenW[i];
        per.set(h, cur);
      }
      if (l.cover) {
        const c = centsOf(l.cover.amount);
        const after = spent.get(l.cover.voucherId)! + c;
        spent.set(l.cover.voucherId, after);
        draws.set(l.cover.voucherId, (draws.get(l.cover.voucherId) ?? 0) + c);
        vd.ledgerVoucher.push(l.cover.voucherId);
        vd.ledgerBooking.push(m.id);
        vd.ledgerAmount.push((c / 100).toFixed(2));
        vd.ledgerSpentAfter.push((after / 100).toFixed(2));
        voucherOrgs.add(m.orgId);
      }
      events.push(
        m.roundRequestId
          ? [m.id, m.orgId, pl.cluster, l.startH, l.startH + pl.hours, 'C', m.roundRequestId]
          : [m.id, m.orgId, pl.cluster, l.startH, l.startH + pl.hours, 'C'],
      );
    }
    for (const [v, c] of draws) {
      vd.voucher.push(v);
      vd.amount.push((c / 100).toFixed(2));
    }
    const d = {
      cluster: [] as string[],
      hour: [] as number[],
      tflops: [] as number[],
      greenW: [] as number[],
      gridW: [] as number[],
    };
    const encode = (x: Record<string, unknown> & { k: string }) => this.feed.encode(x);
    const payloads: string[] = [];
    const payloadClusters: (string | null)[] = [];
    for (const c of clusters) {
      const per = [...deltas.get(c)!.entries()].sort((x, y) => x[0] - y[0]);
      const h = per.map((e) => e[0]);
      const tf = per.map((e) => e[1][0]);
      const g = per.map((e) => e[1][1]);
      const gw = per.map((e) => e[1][2]);
      for (let i = 0; i < h.length; i++) {
        d.cluster.push(c);
        d.hour.push(h[i]);
        d.tflops.push(tf[i]);
        d.greenW.push(g[i]);
        d.gridW.push(gw[i]);
      }
      for (const x of ledgerPayloads(encode, c, VERSION_PLACEHOLDER, { t: 'd', h, tf, g, gw }, true)) {
        payloads.push(x);
        payloadClusters.push(c);
      }
    }
    for (const x of bookingPayloads(encode, events, [...voucherOrgs])) {
      payloads.push(x);
      payloadClusters.push(null);
    }
    const now = this.config.now();
    for (const m of placed) m.createdAt = now;
    const written = this.repo.writeGroup(s, b, d, payloadClusters, vd, this.feed.channel, payloads, now);
    if (beforeCommit) {
      const versions = await written;
      await beforeCommit();
      await tx.commit();
      this.vouchers.changed(voucherOrgs);
      return versions;
    }
    // the write and COMMIT go out back to back: the version rows stay locked for one round trip
    const committing = tx.commit();
    const [w, c] = await Promise.allSettled([written, committing]);
    if (w.status === 'rejected') throw w.reason;
    if (c.status === 'rejected') throw c.reason;
    this.vouchers.changed(voucherOrgs);
    return w.value;
  }

  /** The booking as stored by `write`, for the caller's answer. */
  stored(m: Landed): StoredBooking {
    const createdAt = new Date(m.createdAt!);
    const l = m.landing;
    const pl = l.pl;
    return {
      id: m.id,
      orgId: m.orgId,
      clusterId: pl.cluster,
      status: 'CONFIRMED',
      startsAt: new Date(l.startH * HOUR_MS),
      endsAt: new Date((l.startH + pl.hours) * HOUR_MS),
      hours: pl.hours,
      tflops: pl.tflops,
      drawW: pl.drawW,
      objective: m.objective,
      minGreenShare: m.minGreenShare,
      greenShare: pl.greenShare,
      greenMwh: pl.greenMwh,
      gridMwh: pl.gridMwh,
      priceCompute: money(pl.price.compute),
      priceGreenEnergy: money(pl.price.greenEnergy),
      priceGridEnergy: money(pl.price.gridEnergy),
      priceTotal: priceTotal(pl.price),
      voucherId: l.cover?.voucherId ?? null,
      voucherAmount: l.cover?.amount ?? 0,
      idempotencyKey: m.key,
      createdAt,
      cancelledAt: null,
      greenMwhPromised: pl.greenMwh,
      slaCredit: 0,
    };
  }
}
