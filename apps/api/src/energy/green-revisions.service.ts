import { Injectable } from '@nestjs/common';
import {
  GreenRevisionBookingEntity,
  GreenRevisionEntity,
  PG_ERROR,
  pgErrorCode,
  retryTransient,
  SlaSettingsEntity,
} from '@pflex/persistence';
import { applyRevision, wattsToMw, whToMwh, type RevisedBooking, type RevisedHour } from '@pflex/scheduler';
import { DataSource, EntityManager } from 'typeorm';
import { ClustersService } from '../clusters/clusters.service';
import { centsOf } from '../common/money';
import { HOUR_MS, iso, requireRange } from '../common/time.utils';
import { ChangeFeed } from '../events/change-feed.service';
import { LedgerAdminRepository } from '../ledger/ledger-admin.repository';
import { BookingEventTuple, bookingPayloads } from '../ledger/ledger-wire';
import { SITE_GRID_ADD, SITE_GRID_TAKE } from '../ledger/ledger.statements';
import { LedgerService } from '../ledger/ledger.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { VouchersService } from '../vouchers/vouchers.service';
import {
  BookingGreenRevisionModel,
  GreenRevisionModel,
  GreenRevisionsArgs,
  ReviseGreenSupplyArgs,
} from './dtos/green-revision.dtos';
import { EnergyErrorCode, EnergyException } from './energy.exception';
import { bookingRevisionModel, revisionModels } from './green-revision.models';
import { ImportedSupply, MAX_RANGE_HOURS, revisedSupplyW } from './revision-supply';
import { HeldRow, revisedFigures } from './revised-booking';

/**
 * Green supply revisions and the SLA credits they cause. A revision sets a cluster's green
 * supply hour by hour over a range, below what is allocated too; in the same transaction the
 * green of every revised hour is shared again among the bookings running in it by the rule in
 * libs/scheduler (green-revision.ts: promises when the supply covers them, SLA needs first, the
 * rest pro rata to draw), the bookings' figures and prices are updated, a booking below its
 * minGreenShare gets its credit set to missing MWh x grid price x the bureau's penalty factor
 * (a CREDIT or REVERSAL entry for the change), and every process reloads the cluster.
 */
@Injectable()
export class GreenRevisionsService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
    private readonly ledger: LedgerService,
    private readonly timelines: TimelinesService,
    private readonly feed: ChangeFeed,
    private readonly admin: LedgerAdminRepository,
    private readonly vouchers: VouchersService,
  ) {}

  async revise(p: Principal, a: ReviseGreenSupplyArgs): Promise<GreenRevisionModel> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_RANGE_HOURS);
    const outside = this.ledger.outsideHorizon(from, to);
    if (outside) throw new EnergyException(EnergyErrorCode.OUTSIDE_HORIZON, outside.message, outside.field);
    const n = (to - from) / HOUR_MS;
    const reason = a.reason.trim();
    if (reason.length === 0)
      throw new EnergyException(EnergyErrorCode.INVALID_REVISION, 'reason must not be blank', 'reason');
    const supply = revisedSupplyW(a, n);
    // a deadlock with a cancellation or a booking on the same hours: try again from a fresh read
    return retryTransient(async () => {
      const [revisionId, clusterId, version] = await this.ds.transaction(async (m) => {
        const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
        let id = '';
        const v = await this.ledger.change(m, c.id, async () => {
          id = await this.apply(
            m,
            p,
            c.id,
            from,
            supply,
            a.pricePerMwh ?? null,
            reason,
            null,
            a.hourlyMegawatts != null ? 'hourlyMegawatts' : 'megawatts',
          );
          // every process reloads the cluster: supply, allocation and prices changed hour by hour
          return { t: 'cl', f: from / HOUR_MS, to: to / HOUR_MS };
        });
        return [id, c.id, v!] as const;
      });
      await this.timelines.sync(clusterId, version);
      this.vouchers.changedAll();
      return (await revisionModels(this.ds, [revisionId]))[0];
    });
  }

  /** Revisions of a cluster overlapping [from, to), latest first: the cluster's operator and the bureau. */
  async list(p: Principal, a: GreenRevisionsArgs): Promise<GreenRevisionModel[]> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_RANGE_HOURS);
    const c = await this.clusters.readable(this.ds.manager, p, a.clusterId, 'clusterId');
    if (p.role === 'STARTUP') return [];
    const rows = await this.ds
      .getRepository(GreenRevisionEntity)
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .where('r.cluster_id = :c AND r.starts_at < :to AND r.ends_at > :from', {
        c: c.id,
        from: new Date(from),
        to: new Date(to),
      })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'ASC')
      .limit(a.first ?? 20)
      .getRawMany<{ id: string }>();
    return revisionModels(
      this.ds,
      rows.map((r) => r.id),
    );
  }

  /** What revision `revisionId` did to booking `bookingId` (for its GREEN_REVISED event). */
  async bookingRevision(revisionId: string, bookingId: string): Promise<BookingGreenRevisionModel | null> {
    const rev = await this.ds.manager.findOneBy(GreenRevisionEntity, { id: revisionId });
    const row = await this.ds.manager.findOneBy(GreenRevisionBookingEntity, { revisionId, bookingId });
    const b: { gp: string[]; h: number }[] = row
      ? await this.ds.query(
          `SELECT green_w_promised::text[] AS gp, (extract(epoch FROM starts_at) / 3600)::int AS h FROM bookings WHERE id = $1`,
          [bookingId],
        )
      : [];
    return rev && row ? bookingRevisionModel(row, rev, b[0]) : null;
  }

  /**
   * For a forecast import, inside its transaction: shares the green of [fromH, fromH + n) again by
   * the same rule. Before the import's window changes, `supplyW` is what each hour will keep
   * (never more than it has now): the windows then carry the supply change, and this records the
   * re-sharing (a revision `via_windows`). After them, `supplyW` is null: the supply as it stands
   * now, to top up bookings that lost green earlier. Either way the revision's history shows the
   * import's own change, `imported`: each hour's supply before the import and after it. Does
   * nothing (returns null) when no hour strands allocated green and no booking below its promise
   * could gain.
   */
  async reshareForImportIn(
    m: EntityManager,
    p: Principal,
    clusterId: string,
    fromH: number,
    n: number,
    supplyW: number[] | null,
    imported: ImportedSupply,
    reason: string,
  ): Promise<{ id: string; version: number } | null> {
    const hours: { s: string; a: string }[] = await m.query(
      `SELECT green_supply_w::text AS s, green_alloc_w::text AS a FROM cluster_hours WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) ORDER BY hour`,
      [clusterId, fromH, fromH + n],
    );
    const target = supplyW ?? hours.map((h) => Number(h.s));
    const stranded = hours.some((h, k) => Number(h.a) > target[k]);
    const room = hours.some((h, k) => Number(h.a) < target[k]);
    const [short]: { yes: boolean }[] = room
      ? await m.query(
          `SELECT EXISTS (SELECT 1 FROM bookings b WHERE b.cluster_id = $1 AND b.status = 'CONFIRMED' AND b.starts_at < to_timestamp($3 * 3600.0) AND b.ends_at > to_timestamp($2 * 3600.0)
                           AND b.green_w <> b.green_w_promised) AS yes`,
          [clusterId, fromH, fromH + n],
        )
      : [{ yes: false }];
    if (!stranded && !short.yes) return null;
    let id = '';
    const version = await this.ledger.change(m, clusterId, async () => {
      id = await this.apply(m, p, clusterId, fromH * HOUR_MS, target, null, reason, imported, 'rows', true);
      return id ? { t: 'cl', f: fromH, to: fromH + n } : null;
    });
    return id && version !== null ? { id, version } : null;
  }

  /**
   * Inside the ledger change: rows, bookings, credits, history and events of one revision; returns
   * its id. `viaWindows`: a forecast import's re-sharing, whose windows set the supply (only the
   * allocation changes here); its history records the import's supply before and after.
   */
  private async apply(
    m: EntityManager,
    p: Principal,
    clusterId: string,
    from: number,
    supplyW: number[],
    pricePerMwh: number | null,
    reason: string,
    viaWindows: ImportedSupply | null,
    /** the argument that set the supply, named by a GRID_LIMIT (`hourlyMegawatts[k]` for its hour k) */
    supplyField: 'megawatts' | 'hourlyMegawatts' | 'rows',
    /** write nothing (and return '') when no booking's green would change */
    onlyIfChanged = false,
  ): Promise<string> {
    const n = supplyW.length;
    const fromH = from / HOUR_MS;
    const rows: { h: number; s: string; a: string; pw: string }[] = await m.query(
      `SELECT (extract(epoch FROM hour) / 3600)::int AS h, green_supply_w::text AS s, green_alloc_w::text AS a, green_price_weight::text AS pw
       FROM cluster_hours WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) ORDER BY hour FOR UPDATE`,
      [clusterId, fromH, fromH + n],
    );
    if (rows.length !== n)
      throw new EnergyException(
        EnergyErrorCode.OUTSIDE_HORIZON,
        `the ledger has ${rows.length} of the ${n} hours of [from, to)`,
        'to',
      );
    const held: HeldRow[] = await m.query(
      `SELECT id, org_id, (extract(epoch FROM starts_at) / 3600)::int AS h, hours, draw_w::text, green_w::text[] AS g, green_w_promised::text[] AS gp, min_green_share,
              green_share, price_compute, price_total, green_price_per_mwh, grid_price_per_mwh::text[] AS grid_prices, voucher_id, voucher_amount::text, sla_credit::text,
              (SELECT v.percent_covered FROM vouchers v WHERE v.id = bookings.voucher_id) AS voucher_percent
       FROM bookings WHERE cluster_id = $1 AND status = 'CONFIRMED' AND starts_at < to_timestamp($3 * 3600.0) AND ends_at > to_timestamp($2 * 3600.0)
       ORDER BY starts_at, id FOR UPDATE`,
      [clusterId, fromH, fromH + n],
    );
    const factor = (await m.findOneByOrFail(SlaSettingsEntity, { id: 1 })).penaltyFactor;

    // the rule, on copies
    const bookings: RevisedBooking[] = held.map((b) => ({
      drawW: Number(b.draw_w),
      hours: b.hours,
      minGreenShare: b.min_green_share ?? 0,
      greenW: b.g.map(Number),
      promisedW: b.gp.map(Number),
    }));
    const before = bookings.map((b) => b.greenW.slice());
    const hours: RevisedHour[] = rows.map((r, i) => ({
      supplyW: supplyW[i],
      holders: held.flatMap((b, j) => (r.h >= b.h && r.h < b.h + b.hours ? [{ b: j, k: r.h - b.h }] : [])),
    }));
    applyRevision(bookings, hours);
    if (onlyIfChanged && bookings.every((b, j) => b.greenW.every((g, k) => g === before[j][k]))) return '';

    // an hour raised from no green at all (a revision to 0 undone) takes its green windows' price
    const bare = pricePerMwh === null && !viaWindows ? rows.filter((r, i) => Number(r.s) === 0 && supplyW[i] > 0) : [];
    const windowPrice = await this.admin.windowPricesIn(
      m,
      clusterId,
      bare.map((r) => r.h),
    );

    // the ledger rows: supply, allocation (the bookings' new green), the green price weight
    const led = { h: [] as number[], s: [] as number[], a: [] as number[], pw: [] as number[] };
    rows.forEach((r, i) => {
      const s0 = Number(r.s);
      const s1 = viaWindows ? s0 : supplyW[i];
      const pw0 = Number(r.pw);
      let pw1: number;
      if (s1 <= s0) pw1 = s0 > 0 ? (pw0 * s1) / s0 : 0;
      else {
        const price = pricePerMwh ?? (s0 > 0 ? pw0 / s0 : (windowPrice.get(r.h) ?? null));
        if (price === null) {
          throw new EnergyException(
            EnergyErrorCode.INVALID_REVISION,
            `pricePerMwh is needed: the hour ${iso(r.h * HOUR_MS)} had no green supply and has no green window to take a price from`,
            'pricePerMwh',
          );
        }
        pw1 = pw0 + (s1 - s0) * price;
      }
      let delta = 0;
      for (const { b, k } of hours[i].holders) delta += bookings[b].greenW[k] - before[b][k];
      led.h.push(r.h);
      led.s.push(s1);
      led.a.push(Number(r.a) + delta);
      led.pw.push(pw1);
    });
    // green a booking loses is drawn from the grid instead (and the reverse): its site's rows follow, CHECK-guarded
    const gridDelta = rows.map((r, i) => Number(r.a) - led.a[i]);
    const [{ site }]: { site: string | null }[] = await m.query(`SELECT site_id AS site FROM clusters WHERE id = $1`, [
      clusterId,
    ]);
    const over = site === null ? null : await this.admin.firstOverReservationIn(m, site, led.h, gridDelta);
    if (over) {
      const at = iso(over.h * HOUR_MS);
      throw new EnergyException(
        EnergyErrorCode.GRID_LIMIT,
        `the bookings' green this change of supply takes away would be drawn from the grid: site ${site} would draw ${wattsToMw(over.drawnW)} MW at ${at}, more than the ${wattsToMw(over.capW)} MW reserved; raise it with setGridCapacity first (nothing changed)`,
        supplyField === 'hourlyMegawatts' ? `hourlyMegawatts[${over.h - fromH}]` : supplyField,
        { hour: at, drawnMw: wattsToMw(over.drawnW), reservedMw: wattsToMw(over.capW) },
      );
    }
    await m.query(
      `UPDATE cluster_hours h SET green_supply_w = x.s, green_alloc_w = x.a, green_price_weight = x.pw, grid_w = h.grid_w + h.green_alloc_w - x.a
       FROM unnest($2::int[], $3::bigint[], $4::bigint[], $5::numeric[]) AS x(hr, s, a, pw)
       WHERE h.cluster_id = $1 AND h.hour = to_timestamp(x.hr * 3600.0)`,
      [clusterId, led.h, led.s, led.a, led.pw],
    );
    try {
      await m.query(`SAVEPOINT revision_grid`);
      const args = [led.h.map(() => clusterId), led.h, gridDelta];
      await m.query(SITE_GRID_TAKE('$1', '$2', '$3'), args);
      await m.query(SITE_GRID_ADD('$1', '$2', '$3'), args);
      await m.query(`RELEASE SAVEPOINT revision_grid`);
    } catch (e) {
      if (pgErrorCode(e) !== PG_ERROR.CHECK_VIOLATION) throw e;
      throw new EnergyException(
        EnergyErrorCode.GRID_LIMIT,
        "the bookings' green this change of supply takes away would be drawn from the grid, beyond the capacity reserved for the cluster's site; raise it with setGridCapacity first (nothing changed)",
        supplyField,
      );
    }
    const [rev]: { id: string }[] = await m.query(
      `INSERT INTO green_revisions (cluster_id, by_org_id, reason, starts_at, ends_at, supply_before_w, supply_after_w, penalty_factor, via_windows)
       VALUES ($1, $2, $3, to_timestamp($4 * 3600.0), to_timestamp($5 * 3600.0), $6::bigint[], $7::bigint[], $8, $9) RETURNING id`,
      [
        clusterId,
        p.orgId,
        reason,
        fromH,
        fromH + n,
        viaWindows ? viaWindows.beforeW : rows.map((r) => r.s),
        viaWindows ? viaWindows.afterW : supplyW,
        factor,
        viaWindows !== null,
      ],
    );
    const revisionId: string = rev.id;

    // the bookings whose green changed: figures, price, voucher money above the new price, credit
    const now = new Date();
    const events: BookingEventTuple[] = [];
    const voucherOrgs = new Set<string>();
    const upd = {
      id: [] as string[],
      gFlat: [] as number[],
      off: [] as number[],
      gm: [] as number[],
      grm: [] as number[],
      gs: [] as number[],
      pg: [] as number[],
      pgr: [] as number[],
      pt: [] as number[],
      va: [] as string[],
      cr: [] as string[],
    };
    const hist = {
      id: [] as string[],
      bFlat: [] as number[],
      aFlat: [] as number[],
      off: [] as number[],
      hr: [] as number[],
      gsb: [] as number[],
      gsa: [] as number[],
      ptb: [] as number[],
      pta: [] as number[],
      br: [] as boolean[],
      ca: [] as string[],
    };
    const credits = {
      b: [] as string[],
      org: [] as string[],
      kind: [] as string[],
      amount: [] as string[],
      miss: [] as number[],
    };
    for (let j = 0; j < held.length; j++) {
      const b = held[j];
      const bk = bookings[j];
      if (bk.greenW.every((g, k) => g === before[j][k])) continue;
      const f = revisedFigures(b, bk, factor);
      const drawn = centsOf(Number(b.voucher_amount));
      if (f.voucherCents < drawn) {
        // what the voucher no longer covers goes back to it
        const back = ((drawn - f.voucherCents) / 100).toFixed(2);
        // an UPDATE's rows come as [rows, count]
        const [[v]]: [[{ spent: string }]] = await m.query(
          `UPDATE vouchers SET spent = spent - $2::numeric WHERE id = $1 RETURNING spent::text AS spent`,
          [b.voucher_id, back],
        );
        await m.query(
          `INSERT INTO voucher_ledger (voucher_id, booking_id, kind, amount, spent_after) VALUES ($1, $2, 'ADJUST', $3::numeric, $4::numeric)`,
          [b.voucher_id, b.id, back, v.spent],
        );
        voucherOrgs.add(b.org_id);
      }
      const credit = f.creditCents;
      const was = centsOf(Number(b.sla_credit));
      if (credit !== was) {
        credits.b.push(b.id);
        credits.org.push(b.org_id);
        credits.kind.push(credit > was ? 'CREDIT' : 'REVERSAL');
        credits.amount.push((Math.abs(credit - was) / 100).toFixed(2));
        credits.miss.push(whToMwh(f.missingWh));
      }
      upd.id.push(b.id);
      upd.off.push(upd.gFlat.length);
      upd.gFlat.push(...bk.greenW);
      upd.gm.push(f.greenMwh);
      upd.grm.push(f.gridMwh);
      upd.gs.push(f.greenShare);
      upd.pg.push(f.parts.greenEnergy);
      upd.pgr.push(f.parts.gridEnergy);
      upd.pt.push(f.total);
      upd.va.push((f.voucherCents / 100).toFixed(2));
      upd.cr.push((credit / 100).toFixed(2));
      hist.id.push(b.id);
      hist.off.push(hist.bFlat.length);
      hist.hr.push(bk.hours);
      hist.bFlat.push(...before[j]);
      hist.aFlat.push(...bk.greenW);
      hist.gsb.push(b.green_share);
      hist.gsa.push(f.greenShare);
      hist.ptb.push(b.price_total);
      hist.pta.push(f.total);
      hist.br.push(f.missingWh > 0);
      hist.ca.push((credit / 100).toFixed(2));
      events.push([b.id, b.org_id, clusterId, b.h, b.h + b.hours, 'G', revisionId]);
    }
    if (upd.id.length > 0) {
      await m.query(
        `UPDATE bookings b SET green_w = ($2::bigint[])[x.off + 1 : x.off + b.hours], green_mwh = x.gm, grid_mwh = x.grm, green_share = x.gs,
                price_green_energy = x.pg, price_grid_energy = x.pgr, price_total = x.pt, voucher_amount = x.va, sla_credit = x.cr
         FROM unnest($1::uuid[], $3::int[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::numeric[], $11::numeric[])
              AS x(id, off, gm, grm, gs, pg, pgr, pt, va, cr)
         WHERE b.id = x.id`,
        [upd.id, upd.gFlat, upd.off, upd.gm, upd.grm, upd.gs, upd.pg, upd.pgr, upd.pt, upd.va, upd.cr],
      );
      await m.query(
        `INSERT INTO green_revision_bookings (revision_id, booking_id, green_w_before, green_w_after, green_share_before, green_share_after, price_total_before, price_total_after, breached, credit_after)
         SELECT $1, x.id, ($2::bigint[])[x.off + 1 : x.off + x.hr], ($3::bigint[])[x.off + 1 : x.off + x.hr], x.gsb, x.gsa, x.ptb, x.pta, x.br, x.ca
         FROM unnest($4::uuid[], $5::int[], $6::int[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::bool[], $12::numeric[]) AS x(id, off, hr, gsb, gsa, ptb, pta, br, ca)`,
        [
          revisionId,
          hist.bFlat,
          hist.aFlat,
          hist.id,
          hist.off,
          hist.hr,
          hist.gsb,
          hist.gsa,
          hist.ptb,
          hist.pta,
          hist.br,
          hist.ca,
        ],
      );
    }
    if (credits.b.length > 0) {
      await m.query(
        `INSERT INTO sla_credits (booking_id, org_id, operator_org_id, revision_id, kind, amount, missing_mwh, created_at)
         SELECT x.b, x.o, c.owner_org_id, $1, x.k, x.a, x.miss, $2 FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::numeric[], $7::float8[]) AS x(b, o, k, a, miss)
         JOIN clusters c ON c.id = $8`,
        [revisionId, now, credits.b, credits.org, credits.kind, credits.amount, credits.miss, clusterId],
      );
    }
    const payloads = bookingPayloads((x) => this.feed.encode(x), events, [...voucherOrgs]);
    if (payloads.length > 0)
      await m.query(`SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p`, [this.feed.channel, payloads]);
    return revisionId;
  }
}
