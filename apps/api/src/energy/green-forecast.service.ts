import { Injectable } from '@nestjs/common';
import { GreenWindowEntity, PG_ERROR, pgErrorCode } from '@pflex/persistence';
import { mwToWatts } from '@pflex/scheduler';
import { DataSource, EntityManager } from 'typeorm';
import { InputException } from '../common/errors';
import { HOUR_MS, iso, requireHour, requireRange } from '../common/time.utils';
import { ClustersService } from '../clusters/clusters.service';
import { LedgerService } from '../ledger/ledger.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { VouchersService } from '../vouchers/vouchers.service';
import { GreenForecastImportModel } from './dtos/green-forecast.model';
import { ImportGreenForecastArgs } from './dtos/green-forecast.args';
import { GreenSourceEnum } from './dtos/green-window.model';
import { EnergyErrorCode, EnergyException, revisedBelowWindows } from './energy.exception';
import { EnergyService, MAX_RANGE_HOURS, toGreenWindowModel } from './energy.service';
import { GreenRevisionsService } from './green-revisions.service';
import { LedgerAdminRepository } from '../ledger/ledger-admin.repository';

/** The ledger's ceiling on a cluster hour's green supply (cluster_hours_green_check), W. */
const MAX_SUPPLY_W = 2_000_000_000;

interface Row {
  index: number;
  fromH: number;
  toH: number;
  w: number;
  mw: number;
  price: number;
}

/**
 * Replaces the green windows of [from, to) with a forecast, in one transaction, through the
 * same ledger path as addGreenWindow / removeGreenWindow: each window added or taken away is one
 * `LedgerService.change` (a version and a change-feed message each). Everything is checked
 * before the first write, against the ledger rows of the range locked FOR UPDATE, so an error
 * saves nothing and names the row; the ledger's CHECKs stay the last word.
 */
@Injectable()
export class GreenForecastService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
    private readonly energy: EnergyService,
    private readonly ledger: LedgerService,
    private readonly admin: LedgerAdminRepository,
    private readonly timelines: TimelinesService,
    private readonly revisions: GreenRevisionsService,
    private readonly vouchers: VouchersService,
  ) {}

  async import(p: Principal, a: ImportGreenForecastArgs): Promise<GreenForecastImportModel> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_RANGE_HOURS);
    const outside = this.ledger.outsideHorizon(from, to);
    if (outside) throw new EnergyException(EnergyErrorCode.OUTSIDE_HORIZON, outside.message, outside.field);
    const rows = checkRows(a, from, to);
    const source = a.source ?? GreenSourceEnum.OTHER;
    const fromH = from / HOUR_MS;
    const toH = to / HOUR_MS;

    const [model, version] = await this.ds.transaction(async (m) => {
      const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
      const ledgerHours = await this.admin.greenHoursForUpdateIn(m, c.id, fromH, toH);
      const old = await m
        .getRepository(GreenWindowEntity)
        .createQueryBuilder('w')
        .setLock('pessimistic_write')
        .where('w.cluster_id = :c AND w.starts_at < :to AND w.ends_at > :from', {
          c: c.id,
          from: new Date(from),
          to: new Date(to),
        })
        .orderBy('w.starts_at', 'ASC')
        .addOrderBy('w.id', 'ASC')
        .getMany();
      const removals = old.map((w) => ({
        w,
        fromH: Math.max(w.startsAt.getTime(), from) / HOUR_MS,
        toH: Math.min(w.endsAt.getTime(), to) / HOUR_MS,
        watts: Number(w.greenW),
      }));
      let plan = planOrder(fromH, toH, ledgerHours, rows, removals);
      // what the revisions this import causes record as its supply change, hour by hour
      const imported = { beforeW: ledgerHours.map((h) => h.supply), afterW: plan.after };
      let v: number | null = null;
      const revisions: string[] = [];
      if (plan.stranded.length > 0) {
        // the forecast leaves less green than bookings hold: share what stays by the SLA rule first
        const cut = await this.revisions.reshareForImportIn(
          m,
          p,
          c.id,
          fromH,
          toH - fromH,
          plan.after.map((s, k) => Math.min(s, ledgerHours[k].supply)),
          imported,
          'forecast import: less green',
        );
        if (cut) {
          v = cut.version;
          revisions.push(cut.id);
        }
        plan = planOrder(fromH, toH, await this.admin.greenHoursForUpdateIn(m, c.id, fromH, toH), rows, removals);
      }
      const addsFirst = plan.addsFirst;

      const add = async (r: Row): Promise<GreenWindowEntity> => {
        const win = await m.save(
          m.create(GreenWindowEntity, {
            clusterId: c.id,
            startsAt: new Date(r.fromH * HOUR_MS),
            endsAt: new Date(r.toH * HOUR_MS),
            megawatts: r.mw,
            greenW: String(r.w),
            source,
            pricePerMwh: r.price,
          }),
        );
        v = await this.ledger.change(m, c.id, () =>
          this.energy.adjustSupplyIn(m, c.id, r.fromH * HOUR_MS, r.toH * HOUR_MS, r.w, r.price),
        );
        return win;
      };
      const remove = async (x: (typeof removals)[number]): Promise<void> => {
        v = await this.ledger.change(m, c.id, () =>
          this.energy.adjustSupplyIn(m, c.id, x.fromH * HOUR_MS, x.toH * HOUR_MS, -x.watts, x.w.pricePerMwh),
        );
        await cutWindow(m, x.w, from, to);
      };
      const added: GreenWindowEntity[] = [];
      try {
        if (!addsFirst) for (const x of removals) await remove(x);
        for (const r of rows) added.push(await add(r));
        if (addsFirst) for (const x of removals) await remove(x);
      } catch (e) {
        // the pre-check read the locked rows, so only something unforeseen gets here
        if (pgErrorCode(e) === PG_ERROR.CHECK_VIOLATION) {
          throw new EnergyException(
            EnergyErrorCode.CONCURRENT_ALLOCATION,
            'the green supply or its allocation changed while the forecast was imported; nothing was saved, try again',
            'rows',
          );
        }
        throw e;
      }
      // more green where bookings had lost some: top them up by the same rule
      const more = await this.revisions.reshareForImportIn(
        m,
        p,
        c.id,
        fromH,
        toH - fromH,
        null,
        imported,
        'forecast import: more green',
      );
      if (more) {
        v = more.version;
        revisions.push(more.id);
      }
      const result: GreenForecastImportModel = {
        clusterId: c.id,
        from: new Date(from),
        to: new Date(to),
        windowsReplaced: old.length,
        windows: added.map(toGreenWindowModel),
        revisionIds: revisions,
      };
      return [result, v] as const;
    });
    if (version !== null) await this.timelines.sync(model.clusterId, version);
    if (model.revisionIds.length > 0) this.vouchers.changedAll();
    return model;
  }
}

/** Validates every row against the range; BAD_USER_INPUT naming `rows[i].field` and the row. */
function checkRows(a: ImportGreenForecastArgs, from: number, to: number): Row[] {
  const out: Row[] = [];
  a.rows.forEach((r, i) => {
    const f = (k: string) => `rows[${i}].${k}`;
    const s = requireRowHour(f('startsAt'), r.startsAt, i);
    const e = requireRowHour(f('endsAt'), r.endsAt, i);
    const bad = (field: string, msg: string) =>
      new EnergyException(EnergyErrorCode.INVALID_FORECAST_ROW, `${f(field)} ${msg}`, f(field), { row: i });
    if (e <= s) throw bad('endsAt', `must be after startsAt (${iso(s)}), got ${iso(e)}`);
    if (s < from) throw bad('startsAt', `must not be before from (${iso(from)}), got ${iso(s)}`);
    if (e > to) throw bad('endsAt', `must not be after to (${iso(to)}), got ${iso(e)}`);
    const w = mwToWatts(r.megawatts);
    if (w > 0) out.push({ index: i, fromH: s / HOUR_MS, toH: e / HOUR_MS, w, mw: r.megawatts, price: r.pricePerMwh });
  });
  return out;
}

function requireRowHour(field: string, d: Date, row: number): number {
  try {
    return requireHour(field, d);
  } catch (e) {
    if (e instanceof InputException)
      throw new EnergyException(EnergyErrorCode.INVALID_FORECAST_ROW, e.message, field, { row });
    throw e;
  }
}

/**
 * Checks the supply after the import against the ledger (no hour above the ceiling; the hours
 * where allocated green would not stay covered are returned, for the caller to share the green
 * again first) and picks an order of writes whose every step the ledger's CHECKs accept: new
 * windows first (nothing allocated is ever uncovered), or, when that would pass the ceiling on
 * the way, the old ones out first.
 */
function planOrder(
  fromH: number,
  toH: number,
  ledgerHours: { h: number; supply: number; alloc: number }[],
  rows: Row[],
  removals: { fromH: number; toH: number; watts: number }[],
): { addsFirst: boolean; stranded: number[]; after: number[] } {
  const n = toH - fromH;
  const added = new Float64Array(n);
  const removed = new Float64Array(n);
  for (const r of rows) for (let h = r.fromH; h < r.toH; h++) added[h - fromH] += r.w;
  for (const x of removals) for (let h = x.fromH; h < x.toH; h++) removed[h - fromH] += x.watts;
  let addsFirst = true;
  let removesFirst = true;
  const stranded: number[] = [];
  const supplyAfter: number[] = [];
  for (const l of ledgerHours) {
    const k = l.h - fromH;
    const after = l.supply - removed[k] + added[k];
    if (after < 0) throw revisedBelowWindows(iso(l.h * HOUR_MS), l.supply, removed[k] - added[k], 'rows');
    supplyAfter.push(after);
    if (after > MAX_SUPPLY_W) {
      // the last row over that hour is the one that passes the limit
      const r = rows.findLast((x) => x.fromH <= l.h && l.h < x.toH)!;
      throw new EnergyException(
        EnergyErrorCode.SUPPLY_LIMIT,
        `rows[${r.index}].megawatts: the cluster's green supply would be ${after / 1e6} MW at ${iso(l.h * HOUR_MS)}, above the limit of ${MAX_SUPPLY_W / 1e6} MW`,
        `rows[${r.index}].megawatts`,
        { row: r.index },
      );
    }
    if (after < l.alloc) stranded.push(l.h);
    if (l.supply + added[k] > MAX_SUPPLY_W) addsFirst = false;
    if (l.supply - removed[k] < l.alloc) removesFirst = false;
  }
  // with green stranded, the caller shares it again first and plans anew
  if (stranded.length > 0) return { addsFirst: true, stranded, after: supplyAfter };
  if (!addsFirst && !removesFirst) {
    throw new EnergyException(
      EnergyErrorCode.SUPPLY_LIMIT,
      `rows: replacing these windows in one step would pass ${MAX_SUPPLY_W / 1e6} MW in some hour while bookings hold green; import a shorter range first`,
      'rows',
    );
  }
  return { addsFirst, stranded, after: supplyAfter };
}

/** Takes [from, to) out of a window: deletes it, or keeps the part(s) outside the range. */
async function cutWindow(m: EntityManager, w: GreenWindowEntity, from: number, to: number): Promise<void> {
  const s = w.startsAt.getTime();
  const e = w.endsAt.getTime();
  if (s >= from && e <= to) {
    await m.delete(GreenWindowEntity, { id: w.id });
    return;
  }
  if (s < from && e > to) {
    await m.save(
      m.create(GreenWindowEntity, {
        clusterId: w.clusterId,
        startsAt: new Date(to),
        endsAt: w.endsAt,
        megawatts: w.megawatts,
        greenW: w.greenW,
        source: w.source,
        pricePerMwh: w.pricePerMwh,
      }),
    );
  }
  await m.update(GreenWindowEntity, { id: w.id }, s < from ? { endsAt: new Date(from) } : { startsAt: new Date(to) });
}
