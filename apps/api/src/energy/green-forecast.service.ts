import { Injectable } from '@nestjs/common';
import { GreenSource, GreenWindowEntity, PG_ERROR, pgErrorCode, retryTransient } from '@pflex/persistence';
import { randomUUID } from 'node:crypto';
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
import { toGreenWindowModel, windowsOverlapping } from './energy.service';
import { MAX_RANGE_HOURS } from './revision-supply';
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
 * Replaces the green windows of [from, to) with a forecast, in one transaction and a handful of
 * set-based statements whatever the number of rows (one INSERT of the windows, one DELETE of the
 * old ones, one ledger write of each hour's net change: one `LedgerService.change`, one version
 * and change-feed message), so the cluster's rows are locked for milliseconds, not seconds.
 * Everything is checked before the first write, against the ledger rows of the range locked FOR
 * UPDATE, so an error saves nothing and names the row; the ledger's CHECKs stay the last word.
 */
@Injectable()
export class GreenForecastService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
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

    // a deadlock with a concurrent write on the cluster (a cancellation, a window removed) rolled
    // everything back: tried again
    const [model, version] = await retryTransient(() =>
      this.ds.transaction(async (m) => {
        const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
        const ledgerHours = await this.admin.greenHoursForUpdateIn(m, c.id, fromH, toH);
        const old = await windowsOverlapping(m, c.id, from, to).setLock('pessimistic_write').getMany();
        const removals = old.map((w) => ({
          w,
          fromH: Math.max(w.startsAt.getTime(), from) / HOUR_MS,
          toH: Math.min(w.endsAt.getTime(), to) / HOUR_MS,
          watts: Number(w.greenW),
        }));
        const plan = planOrder(fromH, toH, ledgerHours, rows, removals);
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
        }
        let added: GreenWindowEntity[];
        try {
          added = await insertWindows(m, c.id, source, rows);
          await cutWindows(m, old, from, to);
          // the windows' net change per hour in one ledger write, one version, one feed message
          // (every process reads the cluster again); planOrder checked each hour's end state
          const spans = rows
            .map((r) => ({ fromH: r.fromH, toH: r.toH, w: r.w, price: r.price }))
            .concat(removals.map((x) => ({ fromH: x.fromH, toH: x.toH, w: -x.watts, price: x.w.pricePerMwh })));
          if (spans.length > 0)
            v = await this.ledger.change(m, c.id, async () => {
              await this.admin.addGreenIn(m, c.id, spans);
              return { t: 'cl', f: fromH, to: toH };
            });
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
      }),
    );
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
 * Checks the supply after the import against the ledger, hour by hour: none below 0 and none
 * above the ceiling (the import is one write of each hour's net change, so only the end state
 * counts); returns the supply after it and the hours where allocated green would not stay
 * covered, for the caller to share the green again first.
 */
function planOrder(
  fromH: number,
  toH: number,
  ledgerHours: { h: number; supply: number; alloc: number }[],
  rows: Row[],
  removals: { fromH: number; toH: number; watts: number }[],
): { stranded: number[]; after: number[] } {
  const n = toH - fromH;
  const added = new Float64Array(n);
  const removed = new Float64Array(n);
  for (const r of rows) for (let h = r.fromH; h < r.toH; h++) added[h - fromH] += r.w;
  for (const x of removals) for (let h = x.fromH; h < x.toH; h++) removed[h - fromH] += x.watts;
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
  }
  return { stranded, after: supplyAfter };
}

/** The forecast's windows, in one INSERT (ids made here, so that they come back in row order). */
async function insertWindows(
  m: EntityManager,
  cluster: string,
  source: GreenSource,
  rows: Row[],
): Promise<GreenWindowEntity[]> {
  if (rows.length === 0) return [];
  const ids = rows.map(() => randomUUID());
  const made: { id: string; created_at: Date }[] = await m.query(
    `INSERT INTO green_windows (id, cluster_id, starts_at, ends_at, megawatts, green_w, source, price_per_mwh)
     SELECT x.id, $1, to_timestamp(x.f * 3600.0), to_timestamp(x.t * 3600.0), x.mw, x.w, $2, x.p
     FROM unnest($3::uuid[], $4::int[], $5::int[], $6::float8[], $7::bigint[], $8::float8[]) AS x(id, f, t, mw, w, p)
     RETURNING id, created_at`,
    [
      cluster,
      source,
      ids,
      rows.map((r) => r.fromH),
      rows.map((r) => r.toH),
      rows.map((r) => r.mw),
      rows.map((r) => String(r.w)),
      rows.map((r) => r.price),
    ],
  );
  const createdAt = new Map(made.map((x) => [x.id, new Date(x.created_at)]));
  return rows.map((r, i) =>
    Object.assign(new GreenWindowEntity(), {
      id: ids[i],
      clusterId: cluster,
      startsAt: new Date(r.fromH * HOUR_MS),
      endsAt: new Date(r.toH * HOUR_MS),
      megawatts: r.mw,
      greenW: String(r.w),
      source,
      pricePerMwh: r.price,
      createdAt: createdAt.get(ids[i])!,
    }),
  );
}

/** Takes [from, to) out of the old windows: the ones inside it in one DELETE, the few reaching beyond it cut one by one. */
async function cutWindows(m: EntityManager, old: GreenWindowEntity[], from: number, to: number): Promise<void> {
  const inside = old.filter((w) => w.startsAt.getTime() >= from && w.endsAt.getTime() <= to).map((w) => w.id);
  if (inside.length > 0) await m.query(`DELETE FROM green_windows WHERE id = ANY($1::uuid[])`, [inside]);
  for (const w of old) if (w.startsAt.getTime() < from || w.endsAt.getTime() > to) await cutWindow(m, w, from, to);
}

/** Takes [from, to) out of a window reaching beyond it: keeps the part(s) outside the range. */
async function cutWindow(m: EntityManager, w: GreenWindowEntity, from: number, to: number): Promise<void> {
  const s = w.startsAt.getTime();
  const e = w.endsAt.getTime();
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
