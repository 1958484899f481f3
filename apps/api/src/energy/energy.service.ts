import { Injectable } from '@nestjs/common';
import { GreenWindowEntity, PG_ERROR, pgErrorCode, retryTransient } from '@pflex/persistence';
import { GREEN_WINDOW_LIMITS, mwToWatts } from '@pflex/scheduler';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { isUuid } from '../common/ids';
import { HOUR_MS, requireRange } from '../common/time.utils';
import { ClustersService } from '../clusters/clusters.service';
import { LedgerService } from '../ledger/ledger.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { AddGreenWindowArgs, GreenWindowsArgs } from './dtos/green-window.args';
import { GreenSourceEnum, GreenWindowModel } from './dtos/green-window.model';
import { EnergyErrorCode, EnergyException, revisedBelowWindows } from './energy.exception';
import type { LedgerChange } from '../ledger/ledger-wire';
import { LedgerAdminRepository } from '../ledger/ledger-admin.repository';
import { VouchersService } from '../vouchers/vouchers.service';
import { GreenRevisionsService } from './green-revisions.service';
import { MAX_RANGE_HOURS } from './revision-supply';
import { requireIdempotencyKey } from '../bookings/idempotency-key';
import { createOnce, replayOf } from '../common/keyed-create';

/**
 * Green windows add W (and W x price, for the supply-weighted slot price) to the ledger hours
 * they cover, in the same transaction as the window row; removing subtracts the same W (and its
 * price weight, see `addGreenIn` for hours a revision lowered), and the ledger's CHECK
 * (allocated <= supply) refuses a removal that would strand bookings. A window added tops up the
 * bookings there that hold less green than promised.
 */
@Injectable()
export class EnergyService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
    private readonly ledger: LedgerService,
    private readonly admin: LedgerAdminRepository,
    private readonly timelines: TimelinesService,
    private readonly revisions: GreenRevisionsService,
    private readonly vouchers: VouchersService,
  ) {}

  async add(p: Principal, a: AddGreenWindowArgs): Promise<GreenWindowModel> {
    const [from, to] = requireRange('startsAt', a.startsAt, 'endsAt', a.endsAt);
    const outside = this.ledger.outsideHorizon(from, to, 'startsAt', 'endsAt');
    if (outside) throw new EnergyException(EnergyErrorCode.OUTSIDE_HORIZON, outside.message, outside.field);
    const w = mwToWatts(a.megawatts);
    const key = a.idempotencyKey == null ? null : requireIdempotencyKey(a.idempotencyKey);
    // what the request asks for, as stored: a retry must ask for exactly this
    const fingerprint = JSON.stringify([from, to, w, a.source, a.pricePerMwh]);
    // a deadlock with a concurrent write on the cluster (a forecast, a cancellation) rolled
    // everything back: tried again; a concurrent call with the same key inserted first: read again
    const [model, version, revised] = await createOnce(key, () =>
      retryTransient(() => this.addOnce(p, a, from, to, w, key, fingerprint)),
    );
    if (version !== null) await this.timelines.sync(model.clusterId, version);
    if (revised) this.vouchers.changedAll();
    return model;
  }

  private addOnce(
    p: Principal,
    a: AddGreenWindowArgs,
    from: number,
    to: number,
    w: number,
    key: string | null,
    fingerprint: string,
  ): Promise<readonly [GreenWindowModel, number | null, boolean]> {
    return this.ds.transaction(async (m) => {
      const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
      const prior =
        key === null
          ? null
          : replayOf(
              await m.findOneBy(GreenWindowEntity, { clusterId: c.id, idempotencyKey: key }),
              fingerprint,
              (x) => `green window ${x.id}`,
            );
      if (prior) return [toGreenWindowModel(prior), null, false] as const;
      const win = await m.save(
        m.create(GreenWindowEntity, {
          clusterId: c.id,
          startsAt: new Date(from),
          endsAt: new Date(to),
          megawatts: a.megawatts,
          greenW: String(w),
          source: a.source,
          pricePerMwh: a.pricePerMwh,
          idempotencyKey: key,
          requestFingerprint: key === null ? null : fingerprint,
        }),
      );
      let v: number | null;
      try {
        v = await this.ledger.change(m, c.id, () => this.adjustSupplyIn(m, c.id, from, to, w, a.pricePerMwh));
      } catch (e) {
        if (pgErrorCode(e) === PG_ERROR.CHECK_VIOLATION)
          throw new EnergyException(
            EnergyErrorCode.SUPPLY_LIMIT,
            `megawatts: total green supply of the cluster would exceed ${GREEN_WINDOW_LIMITS.mw.max} MW in some hour`,
            'megawatts',
          );
        throw e;
      }
      // bookings there that hold less green than promised (an earlier cut) are topped up from it
      // by the SLA rule, as a forecast's more green tops them up
      const more = await this.topUpIn(m, p, c.id, from / HOUR_MS, to / HOUR_MS, w, 'green window added');
      return [toGreenWindowModel(win), more?.version ?? v!, more !== null] as const;
    });
  }

  /**
   * After a green window added `addedW` over [fromH, toH), inside its transaction: tops up the
   * bookings there that hold less green than promised, by the SLA rule, over the hours from the
   * first such booking's start to the last one's end (the revision records the window's MW as the
   * change of supply). Null when no such booking runs there or none could gain.
   */
  private async topUpIn(
    m: EntityManager,
    p: Principal,
    clusterId: string,
    fromH: number,
    toH: number,
    addedW: number,
    reason: string,
  ): Promise<{ id: string; version: number } | null> {
    const [span]: { f: number | null; t: number | null }[] = await m.query(
      `SELECT min(extract(epoch FROM starts_at) / 3600)::int AS f, max(extract(epoch FROM ends_at) / 3600)::int AS t FROM bookings
       WHERE cluster_id = $1 AND status = 'CONFIRMED' AND starts_at < to_timestamp($3 * 3600.0) AND ends_at > to_timestamp($2 * 3600.0)
         AND green_w <> green_w_promised`,
      [clusterId, fromH, toH],
    );
    if (span.f === null || span.t === null) return null;
    const f = Math.max(fromH, span.f);
    const n = Math.min(toH, span.t) - f;
    const now: { s: string }[] = await m.query(
      `SELECT green_supply_w::text AS s FROM cluster_hours WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) ORDER BY hour`,
      [clusterId, f, f + n],
    );
    const afterW = now.map((h) => Number(h.s));
    const added = { beforeW: afterW.map((s) => s - addedW), afterW };
    return this.revisions.reshareForImportIn(m, p, clusterId, f, n, null, added, reason);
  }

  async remove(p: Principal, id: string): Promise<GreenWindowModel> {
    const [model, version] = await retryTransient(() =>
      this.ds.transaction(async (m) => {
        // the cluster first, then the window: the order every write on the cluster locks in
        const found = isUuid(id) ? await m.findOneBy(GreenWindowEntity, { id }) : null;
        if (found) await this.clusters.lockForWrite(m, p, found.clusterId, 'id');
        const win = found
          ? await m.findOne(GreenWindowEntity, { where: { id }, lock: { mode: 'pessimistic_write' } })
          : null;
        if (!win)
          throw new EnergyException(EnergyErrorCode.GREEN_WINDOW_NOT_FOUND, `green window ${id} not found`, 'id');
        const [from, to] = [win.startsAt.getTime(), win.endsAt.getTime()];
        const [low]: { hour: Date; s: string }[] = await m.query(
          `SELECT hour, green_supply_w::text AS s FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3 AND green_supply_w < $4 ORDER BY hour LIMIT 1`,
          [win.clusterId, new Date(from), new Date(to), win.greenW],
        );
        if (low) throw revisedBelowWindows(low.hour.toISOString(), Number(low.s), Number(win.greenW), 'id');
        const model = toGreenWindowModel(win);
        await m.delete(GreenWindowEntity, { id: win.id });
        const v = await this.ledger.change(m, win.clusterId, async () => {
          try {
            await m.query('SAVEPOINT remove_green');
            const d = await this.adjustSupplyIn(m, win.clusterId, from, to, -Number(win.greenW), win.pricePerMwh);
            await m.query('RELEASE SAVEPOINT remove_green');
            return d;
          } catch (e) {
            if (pgErrorCode(e) !== PG_ERROR.CHECK_VIOLATION) throw e;
            await m.query('ROLLBACK TO SAVEPOINT remove_green');
            const hours = await this.admin.strandedHoursIn(
              m,
              win.clusterId,
              from / HOUR_MS,
              to / HOUR_MS,
              Number(win.greenW),
            );
            throw new EnergyException(
              EnergyErrorCode.GREEN_STILL_ALLOCATED,
              `green power already allocated to bookings would exceed the remaining supply in ${hours.length}${hours.length === 24 ? '+' : ''} hour(s), first at ${hours[0]?.toISOString()}`,
              'id',
              { hours: hours.map((h) => h.toISOString()) },
            );
          }
        });
        return [model, v!] as const;
      }),
    );
    await this.timelines.sync(model.clusterId, version);
    return model;
  }

  async list(p: Principal, a: GreenWindowsArgs): Promise<GreenWindowModel[]> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_RANGE_HOURS);
    const c = await this.clusters.readable(this.ds.manager, p, a.clusterId, 'clusterId');
    const rows = await windowsOverlapping(this.ds.manager, c.id, from, to)
      .take(a.first ?? 100)
      .getMany();
    return rows.map(toGreenWindowModel);
  }

  /**
   * Inside `ledger.change`, after the window is written (or deleted): adds (or removes, w < 0) its
   * supply; the change every process applies. A removal may not be additive in price (see
   * `addGreenIn`), so every process reads those hours again.
   */
  async adjustSupplyIn(
    m: EntityManager,
    clusterId: string,
    from: number,
    to: number,
    w: number,
    price: number,
  ): Promise<LedgerChange> {
    await this.admin.addGreenIn(m, clusterId, [{ fromH: from / HOUR_MS, toH: to / HOUR_MS, w, price }]);
    return w > 0
      ? { t: 'gw', f: from / HOUR_MS, to: to / HOUR_MS, w, p: price }
      : { t: 'cl', f: from / HOUR_MS, to: to / HOUR_MS };
  }
}

export function toGreenWindowModel(w: GreenWindowEntity): GreenWindowModel {
  return {
    id: w.id,
    clusterId: w.clusterId,
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    megawatts: w.megawatts,
    source: w.source as GreenSourceEnum,
    pricePerMwh: w.pricePerMwh,
    createdAt: w.createdAt,
  };
}

/** A cluster's green windows overlapping [from, to) (epoch ms), in start order, then id. */
export function windowsOverlapping(
  m: EntityManager,
  clusterId: string,
  from: number,
  to: number,
): SelectQueryBuilder<GreenWindowEntity> {
  return m
    .getRepository(GreenWindowEntity)
    .createQueryBuilder('w')
    .where('w.cluster_id = :c AND w.starts_at < :to AND w.ends_at > :from', {
      c: clusterId,
      from: new Date(from),
      to: new Date(to),
    })
    .orderBy('w.starts_at', 'ASC')
    .addOrderBy('w.id', 'ASC');
}
