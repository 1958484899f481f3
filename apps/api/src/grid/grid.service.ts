import { Injectable } from '@nestjs/common';
import { PG_ERROR, pgErrorCode, retryTransient, SiteEntity } from '@pflex/persistence';
import { CLUSTER_LIMITS, mwToWatts, wattsToMw } from '@pflex/scheduler';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../common/ids';
import { HOUR_MS, iso, requireHour, requireRange } from '../common/time.utils';
import { ClustersService, toClusterModel } from '../clusters/clusters.service';
import { ClusterModel } from '../clusters/dtos/cluster.model';
import { checkTariff, GridTariff, TariffError, tariffOf } from '../clusters/tariff';
import { InputException } from '../common/errors';
import { ChangeFeed } from '../events/change-feed.service';
import { SITE_GRID_ADD_TO, SITE_GRID_TAKE_FROM } from '../ledger/ledger.statements';
import { LedgerService } from '../ledger/ledger.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import {
  CreateSiteInput,
  GridCapacityChangeModel,
  GridPriceHourModel,
  GridPricesArgs,
  PostGridPricesArgs,
  SetClusterSiteArgs,
  SetGridCapacityArgs,
  SetGridTariffArgs,
  SiteGridArgs,
  SiteGridHourModel,
  SiteModel,
} from './dtos/grid.dtos';
import { GridErrorCode, GridException } from './grid.exception';
import { LedgerAdminRepository } from '../ledger/ledger-admin.repository';

/** Site-hours the grid ledger shows at most per query. */
export const MAX_GRID_HOURS = 31 * 24;

/**
 * The grid side: sites (grid connections shared by clusters), the capacity reserved for each
 * hour by hour, and clusters' time-of-use tariffs. The per-site-hour ledger rows and their CHECK
 * keep bookings within the reserved capacity; the booking paths update them.
 */
@Injectable()
export class GridService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
    private readonly ledger: LedgerService,
    private readonly timelines: TimelinesService,
    private readonly feed: ChangeFeed,
    private readonly admin: LedgerAdminRepository,
  ) {}

  async createSite(p: Principal, input: CreateSiteInput): Promise<SiteModel> {
    const s = await this.ds.manager.save(
      this.ds.manager.create(SiteEntity, { ownerOrgId: p.orgId, name: input.name.trim(), region: input.region.trim() }),
    );
    return {
      id: s.id,
      ownerOrganizationId: s.ownerOrgId,
      name: s.name,
      region: s.region,
      clusterIds: [],
      createdAt: s.createdAt,
    };
  }

  /** Sites, oldest first: an operator sees its own, startups and the bureau all. */
  async sites(p: Principal): Promise<SiteModel[]> {
    const rows: (SiteEntity & { cluster_ids: string[] | null })[] = await this.ds.query(
      `SELECT s.id, s.owner_org_id AS "ownerOrgId", s.name, s.region, s.created_at AS "createdAt",
              (SELECT array_agg(c.id ORDER BY c.created_at, c.id) FROM clusters c WHERE c.site_id = s.id) AS cluster_ids
       FROM sites s WHERE $1::uuid IS NULL OR s.owner_org_id = $1 ORDER BY s.created_at, s.id LIMIT 1000`,
      [p.role === 'OPERATOR' ? p.orgId : null],
    );
    return rows.map((s) => ({
      id: s.id,
      ownerOrganizationId: s.ownerOrgId,
      name: s.name,
      region: s.region,
      clusterIds: s.cluster_ids ?? [],
      createdAt: s.createdAt,
    }));
  }

  /**
   * Puts a cluster behind a site's connection (or, with null, back on its own): the grid its
   * bookings draw moves from the old site's ledger rows to the new one's, refused with GRID_LIMIT
   * if the new site's reserved capacity cannot take it. The operator must own both.
   */
  async setClusterSite(p: Principal, a: SetClusterSiteArgs): Promise<ClusterModel> {
    const what = 'the site to put the cluster behind, or null to make it its own site again (no grid cap)';
    const siteId = given(a.siteId, 'siteId', what);
    // an empty id would be taken for null just the same
    if (siteId !== null && siteId.trim() === '')
      throw new InputException('siteId', `siteId is required: ${what}, got ${JSON.stringify(siteId)}`);
    const [model, version] = await retryTransient(() =>
      this.ds.transaction(async (m) => {
        const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
        const to = siteId !== null ? (await this.writableSite(m, p, siteId, 'siteId')).id : null;
        if (to !== null && p.role === 'OPERATOR' && to !== c.siteId) {
          const s = await m.findOneByOrFail(SiteEntity, { id: to });
          if (s.ownerOrgId !== c.ownerOrgId)
            throw new GridException(GridErrorCode.NOT_SITE_OWNER, `site ${to} belongs to another operator`, 'siteId');
        }
        const from = c.siteId;
        let v = -1;
        if (from !== to) {
          // FOR UPDATE: bookings being written on the cluster (FOR KEY SHARE) wait, then see the new site
          await m.query(`SELECT 1 FROM clusters WHERE id = $1 FOR UPDATE`, [c.id]);
          const grid: { h: number; w: string }[] = await m.query(
            `SELECT (extract(epoch FROM hour) / 3600)::int AS h, grid_w::text AS w FROM cluster_hours WHERE cluster_id = $1 AND grid_w > 0 ORDER BY hour`,
            [c.id],
          );
          const hours = grid.map((g) => g.h);
          const w = grid.map((g) => Number(g.w));
          const over = to === null ? null : await this.admin.firstOverReservationIn(m, to, hours, w);
          if (over) {
            throw this.overCap(
              new Date(over.h * HOUR_MS),
              over.drawnW,
              wattsToMw(over.capW),
              'siteId',
              `with the ${wattsToMw(w[hours.indexOf(over.h)])} MW this cluster's bookings draw, site ${to}'s bookings would draw`,
            );
          }
          v = (await this.ledger.change(m, c.id, async () => {
            // the cluster's draw leaves the old site, then joins the new one (its rows CHECK-guarded)
            if (from) await m.query(SITE_GRID_TAKE_FROM('$1', '$2', '$3'), [from, hours, w]);
            await m.query(`UPDATE clusters SET site_id = $2 WHERE id = $1`, [c.id, to]);
            if (to) await this.checked(() => m.query(SITE_GRID_ADD_TO('$1', '$2', '$3'), [to, hours, w]), 'siteId', to);
            return { t: 'cl' };
          }))!;
        }
        c.siteId = to;
        return [toClusterModel(c), v] as const;
      }),
    );
    if (version >= 0) await this.timelines.sync(model.id, version);
    return model;
  }

  /**
   * Reserves grid capacity for a site over [from, to) of the bookable horizon (null: no cap).
   * Refused with GRID_LIMIT, naming the first hour, where bookings already draw more.
   */
  async setGridCapacity(p: Principal, a: SetGridCapacityArgs): Promise<GridCapacityChangeModel> {
    const [from, to] = requireRange('from', a.from, 'to', a.to);
    const outside = this.ledger.outsideHorizon(from, to);
    if (outside) throw new GridException(GridErrorCode.OUTSIDE_HORIZON, outside.message, outside.field);
    const mw = given(a.megawatts, 'megawatts', 'the MW to reserve, or null to remove the reservation');
    const capW = mw === null ? null : mwToWatts(mw);
    const siteId = await retryTransient(() =>
      this.ds.transaction(async (m) => {
        const s = await this.writableSite(m, p, a.siteId, 'siteId');
        const over: { hour: Date; w: string }[] = await m.query(
          `SELECT hour, grid_used_w::text AS w FROM site_hours WHERE site_id = $1 AND hour >= $2 AND hour < $3 AND $4::bigint IS NOT NULL AND grid_used_w > $4::bigint
           ORDER BY hour LIMIT 1 FOR UPDATE`,
          [s.id, new Date(from), new Date(to), capW === null ? null : String(capW)],
        );
        if (over.length > 0) throw this.overCap(over[0].hour, Number(over[0].w), mw!, 'megawatts');
        await this.checked(
          () =>
            m.query(
              `INSERT INTO site_hours AS s (site_id, hour, grid_cap_w) SELECT $1, h, $4::bigint FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 hour', interval '1 hour') AS h
               ON CONFLICT (site_id, hour) DO UPDATE SET grid_cap_w = excluded.grid_cap_w`,
              [s.id, new Date(from), new Date(to), capW === null ? null : String(capW)],
            ),
          'megawatts',
        );
        await m.query(`SELECT pg_notify($1, $2)`, [this.feed.channel, this.feed.encode({ k: 's', s: s.id })]);
        return s.id;
      }),
    );
    await this.timelines.refreshSite(siteId);
    return { siteId, from: new Date(from), to: new Date(to), megawatts: mw };
  }

  /** Sets or removes (null) a cluster's time-of-use tariff; prices of bookings made from now on follow it. */
  async setGridTariff(p: Principal, a: SetGridTariffArgs): Promise<ClusterModel> {
    const input = given(a.tariff, 'tariff', 'the periods, or null for the flat gridPricePerMwh in every hour');
    const tariff: GridTariff | null = input
      ? {
          utcOffsetHours: input.utcOffsetHours,
          periods: input.periods.map((x) => ({
            name: x.name.trim(),
            pricePerMwh: x.pricePerMwh,
            hours: x.hours.map((r) => [r[0], r[1]] as [number, number]),
            days: x.days,
          })),
        }
      : null;
    if (tariff) {
      input!.periods.forEach((x, i) =>
        x.hours.forEach((r, k) => {
          if (r.length !== 2)
            throw new GridException(
              GridErrorCode.INVALID_TARIFF,
              `tariff.periods[${i}].hours[${k}] must be a [from, to) pair`,
              `tariff.periods[${i}].hours[${k}]`,
            );
        }),
      );
      try {
        checkTariff(tariff);
      } catch (e) {
        if (e instanceof TariffError)
          throw new GridException(GridErrorCode.INVALID_TARIFF, `tariff.${e.message}`, `tariff.${e.field}`);
        throw e;
      }
    }
    const [model, version] = await this.ds.transaction(async (m) => {
      const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
      await m.query(`UPDATE clusters SET grid_tariff = $2 WHERE id = $1`, [
        c.id,
        tariff === null ? null : JSON.stringify(tariff),
      ]);
      c.gridTariff = tariff;
      const v = await this.ledger.change(m, c.id, async () => ({ t: 'cl' }));
      return [toClusterModel(c), v!] as const;
    });
    await this.timelines.sync(model.id, version);
    return model;
  }

  /**
   * Posts grid prices hour by hour from `from` (an hourly series, e.g. day-ahead prices): they
   * replace what was posted for those hours and take precedence over the tariff; a null hour has
   * none. Inside the bookable horizon; prices within the cluster grid price range.
   */
  async postGridPrices(p: Principal, a: PostGridPricesArgs): Promise<ClusterModel> {
    const from = requireHour('from', a.from);
    const n = a.pricesPerMwh.length;
    const { start, end } = this.ledger.horizon();
    if (from < start)
      throw new GridException(
        GridErrorCode.OUTSIDE_HORIZON,
        `from must not be before the current hour ${iso(start)}`,
        'from',
      );
    if (from + n * HOUR_MS > end) {
      throw new GridException(
        GridErrorCode.OUTSIDE_HORIZON,
        `the ${n} hours from ${iso(from)} reach past the end of the bookable horizon ${iso(end)}`,
        'pricesPerMwh',
      );
    }
    const { min, max } = CLUSTER_LIMITS.gridPricePerMwh;
    a.pricesPerMwh.forEach((v, i) => {
      if (v !== null && !(Number.isFinite(v) && v >= min && v <= max)) {
        throw new InputException(
          `pricesPerMwh[${i}]`,
          `pricesPerMwh[${i}] must be a price per MWh in [${min}, ${max}] or null, got ${v}`,
        );
      }
    });
    const fromH = from / HOUR_MS;
    const [model, version] = await this.ds.transaction(async (m) => {
      const c = await this.clusters.lockForWrite(m, p, a.clusterId, 'clusterId');
      const v = await this.ledger.change(m, c.id, async () => {
        await m.query(
          `DELETE FROM grid_price_hours WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0)`,
          [c.id, fromH, fromH + n],
        );
        await m.query(
          `INSERT INTO grid_price_hours (cluster_id, hour, price_per_mwh)
           SELECT $1, to_timestamp(($2 + x.i - 1) * 3600.0), x.p FROM unnest($3::float8[]) WITH ORDINALITY AS x(p, i) WHERE x.p IS NOT NULL`,
          [c.id, fromH, a.pricesPerMwh],
        );
        // every process reloads the cluster's prices
        return { t: 'cl' };
      });
      return [toClusterModel(c), v!] as const;
    });
    await this.timelines.sync(model.id, version);
    return model;
  }

  /** A cluster's grid price hour by hour over [from, to) (at most 31 days), and where each comes from. */
  async gridPrices(p: Principal, a: GridPricesArgs): Promise<GridPriceHourModel[]> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_GRID_HOURS);
    const c = await this.clusters.readable(this.ds.manager, p, a.clusterId, 'clusterId');
    const t = tariffOf(c, await this.admin.postedGridPricesIn(this.ds.manager, c.id, from / HOUR_MS, to / HOUR_MS));
    const out: GridPriceHourModel[] = [];
    for (let h = from / HOUR_MS; h < to / HOUR_MS; h++)
      out.push({ hour: new Date(h * HOUR_MS), pricePerMwh: t.priceAt(h), period: t.nameOf(t.periodAt(h)) });
    return out;
  }

  /** A site's grid hour by hour over [from, to): drawn vs reserved. */
  async siteGrid(p: Principal, a: SiteGridArgs): Promise<SiteGridHourModel[]> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_GRID_HOURS);
    const s = await this.readableSite(this.ds.manager, p, a.siteId, 'siteId');
    const rows: { h: number; used: string | null; cap: string | null }[] = await this.ds.query(
      `SELECT (extract(epoch FROM g) / 3600)::int AS h, sh.grid_used_w::text AS used, sh.grid_cap_w::text AS cap
       FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 hour', interval '1 hour') AS g
       LEFT JOIN site_hours sh ON sh.site_id = $1 AND sh.hour = g ORDER BY g`,
      [s.id, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({
      hour: new Date(r.h * HOUR_MS),
      drawnMw: wattsToMw(Number(r.used ?? 0)),
      reservedMw: r.cap === null ? null : wattsToMw(Number(r.cap)),
    }));
  }

  private async checked<T>(fn: () => Promise<T>, field: string, siteId?: string): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (pgErrorCode(e) === PG_ERROR.CHECK_VIOLATION) {
        throw new GridException(
          GridErrorCode.GRID_LIMIT,
          `the grid drawn would exceed the capacity reserved for ${siteId ? `site ${siteId}` : 'the site'} in some hour; nothing changed`,
          field,
        );
      }
      throw e;
    }
  }

  /** GRID_LIMIT naming the hour, the grid MW bookings would draw there and the MW reserved. */
  private overCap(hour: Date, usedW: number, mw: number, field: string, who = 'bookings already draw'): GridException {
    return new GridException(
      GridErrorCode.GRID_LIMIT,
      `${who} ${wattsToMw(usedW)} MW from the grid at ${hour.toISOString()}, more than the ${mw} MW reserved; nothing changed`,
      field,
      {
        hour: hour.toISOString(),
        drawnMw: wattsToMw(usedW),
        reservedMw: mw,
      },
    );
  }

  private async readableSite(m: EntityManager, p: Principal, id: string, field: string): Promise<SiteEntity> {
    const s = isUuid(id) ? await m.findOneBy(SiteEntity, { id }) : null;
    if (!s) throw new GridException(GridErrorCode.SITE_NOT_FOUND, `site ${id} not found`, field);
    if (p.role === 'OPERATOR' && s.ownerOrgId !== p.orgId)
      throw new GridException(GridErrorCode.NOT_SITE_OWNER, `site ${id} belongs to another operator`, field);
    return s;
  }

  /** The owning operator or the bureau (which reserves grid capacity for the compute commons); the site row locked. */
  private async writableSite(m: EntityManager, p: Principal, id: string, field: string): Promise<SiteEntity> {
    const s = isUuid(id) ? await m.findOne(SiteEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!s) throw new GridException(GridErrorCode.SITE_NOT_FOUND, `site ${id} not found`, field);
    if (p.role !== 'BUREAU' && s.ownerOrgId !== p.orgId)
      throw new GridException(GridErrorCode.NOT_SITE_OWNER, `site ${id} belongs to another operator`, field);
    return s;
  }
}

/**
 * A nullable argument that must be given: null removes (a site, a reservation, a tariff), and
 * omitting it is refused, since a misspelt variable would otherwise remove it unnoticed.
 */
function given<T>(v: T | null | undefined, field: string, what: string): T | null {
  if (v === undefined) throw new InputException(field, `${field} is required: ${what}`);
  return v;
}
