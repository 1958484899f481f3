import { Injectable } from '@nestjs/common';
import { sqlPoolOf, SqlPool, SqlSession } from '@pflex/persistence';
import { DataSource } from 'typeorm';
import type { GridTariff } from '../clusters/tariff';
import { S, VERSION_PLACEHOLDER } from './ledger.statements';
import type { LedgerPort } from './ledger.port';

export { VERSION_PLACEHOLDER };

/** A cluster's catalogue entry as the hot paths need it (kept current from the change feed). */
export interface ClusterMeta {
  id: string;
  ownerOrgId: string;
  name: string;
  region: string;
  capacityTflops: number;
  kwPerPflops: number;
  pue: number;
  pricePerPflopsHour: number;
  gridPricePerMwh: number;
  /** the site (grid connection) it belongs to, null: its own, uncapped */
  siteId: string | null;
  /** time-of-use grid tariff, null: flat gridPricePerMwh */
  gridTariff: GridTariff | null;
  /** grid prices posted hour by hour over the timelines' hours: [epoch hour, price per MWh] */
  postedGridPrices: [number, number][];
  /** ms */
  createdAt: number;
}

/** A site's reserved grid capacity: the hours that have one (epoch hours) and the W reserved. */
export interface SiteCaps {
  siteId: string;
  hours: number[];
  capW: number[];
}

/** A cluster as the timelines need it, with its ledger rows and version read in one snapshot. */
export interface ClusterLedger extends ClusterMeta {
  version: number;
  /** ledger rows from the requested hour on, by hour: epoch hour, capacity, booked, supply W, alloc W, green price per MWh */
  hours: Int32Array;
  capacity: Int32Array;
  booked: Int32Array;
  supply: Int32Array;
  alloc: Int32Array;
  price: Float64Array;
  /** grid W the hour's bookings draw (draw minus the green each took) */
  grid: Float64Array;
}

/** One confirmed booking row as the hot path reads it back (idempotent replays). */
export interface BookingRow {
  id: string;
  org_id: string;
  cluster_id: string;
  starts_at: string;
  ends_at: string;
  hours: number;
  tflops: number;
  draw_w: number;
  green_w: number[];
  green_w_promised: (number | string)[];
  sla_credit: string | number;
  objective: string;
  min_green_share: number | null;
  green_mwh: number;
  grid_mwh: number;
  green_share: number;
  price_compute: number;
  price_green_energy: number;
  price_grid_energy: number;
  price_total: number;
  voucher_id: string | null;
  voucher_amount: string | number;
  status: 'CONFIRMED' | 'CANCELLED';
  idempotency_key: string;
  request_fingerprint: string;
  created_at: string;
  cancelled_at: string | null;
}

/** A voucher with money left, as the group commit locks it. */
export interface VoucherRow {
  id: string;
  org_id: string;
  percent_covered: number;
  remaining: string;
  spent: string;
  valid_from: string;
  valid_until: string;
  created_at: string;
  cluster_ids: string[] | null;
  min_green_share: number | null;
}

export interface GroupLocks {
  versions: Map<string, number>;
  rules: Map<string, { maxPflopsHoursPer7Days: number | null; maxClusterShare: number | null }>;
  vouchers: VoucherRow[];
  existing: BookingRow[];
}

/** A startup's confirmed booking as the access rules see it. */
export interface UsageRow {
  org_id: string;
  cluster_id: string;
  h: number;
  hours: number;
  tflops: number;
}

/** Column arrays of the bookings a group inserts (same index = same booking). */
export interface GroupInsert {
  id: string[];
  org: string[];
  cluster: string[];
  startH: number[];
  hours: number[];
  tflops: number[];
  drawW: number[];
  /** all bookings' per-hour green W, concatenated; booking i's are at greenOff[i] .. + hours[i] */
  greenFlat: number[];
  greenOff: number[];
  /** all bookings' grid price per MWh of each hour, concatenated like greenFlat (same offsets) */
  gridPriceFlat: number[];
  objective: string[];
  minGreenShare: (number | null)[];
  greenMwh: number[];
  gridMwh: number[];
  greenShare: number[];
  priceCompute: number[];
  priceGreen: number[];
  /** the booking's green price per MWh, unrounded (its green energy before rounding / green MWh); null without green */
  greenPrice: (number | null)[];
  priceGrid: number[];
  priceTotal: number[];
  voucherId: (string | null)[];
  voucherAmount: string[];
  key: string[];
  fingerprint: string[];
}

/** Summed per (cluster, hour) ledger deltas, ordered by cluster then hour. */
export interface LedgerDeltas {
  cluster: string[];
  hour: number[];
  tflops: number[];
  greenW: number[];
  /** grid W added: the bookings' draw minus the green they took */
  gridW: number[];
}

export interface VoucherDraws {
  /** one entry per voucher: the group's total */
  voucher: string[];
  amount: string[];
  /** one entry per drawing booking, in order */
  ledgerVoucher: string[];
  ledgerBooking: string[];
  ledgerAmount: string[];
  ledgerSpentAfter: string[];
}

/**
 * The one home of every statement on the ledger (cluster_hours, ledger_versions) and of the
 * booking hot path. Hot paths (group commit, cancel, timeline loads) run on plain `pg` prepared
 * statements over TypeORM's pool; the operators' rare writes (capacity, green windows, cluster
 * registration) run inside their TypeORM transactions through the `m` they pass.
 *
 * Rule for every writer: change the ledger rows, then raise the cluster's ledger_versions row
 * by one (its lock, held to COMMIT, orders the versions as the commits) and pg_notify the change
 * with that version, all in one transaction. Rows are always locked before version rows, so
 * writers never deadlock on the two. The CHECK constraints of cluster_hours are the guard.
 */
@Injectable()
export class LedgerRepository implements LedgerPort {
  readonly pool: SqlPool;

  constructor(ds: DataSource) {
    this.pool = sqlPoolOf(ds);
  }

  /**
   * Runs `fn` in a transaction on a pooled connection; rolls back on any error. BEGIN is sent
   * ahead of `fn`'s first statement without waiting for its answer, and `tx.commit()` sends
   * COMMIT right behind the statement before it, so neither costs a turn of the event loop
   * while rows are locked.
   */
  async transaction<T>(fn: (s: SqlSession, tx: { commit(): Promise<void> }) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken = false;
    let committed = false;
    const begun = c.exec('BEGIN');
    begun.catch(() => undefined);
    try {
      const out = await fn(c, {
        commit: () => {
          committed = true;
          return c.exec('COMMIT').then(() => undefined);
        },
      });
      await begun;
      if (!committed) await c.exec('COMMIT');
      return out;
    } catch (e) {
      await c.exec('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    } finally {
      c.release(broken);
    }
  }

  /**
   * Clusters (all, or the listed ones) with their ledger rows in [fromH, toH) and version, one
   * snapshot; `withRows` false: the catalogue entries and posted prices only (no hours).
   */
  async load(
    s: SqlSession | null,
    clusterIds: string[] | null,
    fromH: number,
    toH: number,
    withRows = true,
  ): Promise<ClusterLedger[]> {
    const run = async (q: SqlSession) =>
      q.query<{
        id: string;
        owner_org_id: string;
        name: string;
        region: string;
        capacity_tflops: number;
        kw_per_pflops: number;
        pue: number;
        price_per_pflops_hour: number;
        grid_price_per_mwh: number;
        site_id: string | null;
        grid_tariff: GridTariff | null;
        posted: [number, number][] | null;
        created_at: number;
        version: number;
        rows:
          | [
              number[] | null,
              number[] | null,
              number[] | null,
              number[] | null,
              number[] | null,
              number[] | null,
              (number | string)[] | null,
            ]
          | null;
      }>(S.load, [clusterIds, fromH, toH, withRows]);
    const rows = s ? await run(s) : await this.session(run);
    return rows.map((r) => {
      const [h, cap, bk, sup, al, pr, gw] = r.rows ?? [null, null, null, null, null, null, null];
      return {
        id: r.id,
        ownerOrgId: r.owner_org_id,
        name: r.name,
        region: r.region,
        capacityTflops: r.capacity_tflops,
        kwPerPflops: r.kw_per_pflops,
        pue: r.pue,
        pricePerPflopsHour: r.price_per_pflops_hour,
        gridPricePerMwh: r.grid_price_per_mwh,
        siteId: r.site_id,
        gridTariff: r.grid_tariff,
        postedGridPrices: r.posted ?? [],
        createdAt: r.created_at,
        version: Number(r.version),
        hours: Int32Array.from(h ?? []),
        capacity: Int32Array.from(cap ?? []),
        booked: Int32Array.from(bk ?? []),
        supply: Int32Array.from(sup ?? []),
        alloc: Int32Array.from(al ?? []),
        price: Float64Array.from(pr ?? []),
        grid: Float64Array.from(gw ?? [], Number),
      };
    });
  }

  /** Reserved grid capacity of the sites (all, or the listed ones) in [fromH, toH): hours without a row or cap have none. */
  async siteCaps(s: SqlSession | null, siteIds: string[] | null, fromH: number, toH: number): Promise<SiteCaps[]> {
    const run = (q: SqlSession) =>
      q.query<{ site_id: string; h: number[]; cap: number[] }>(S.siteCaps, [siteIds, fromH, toH]);
    const rows = s ? await run(s) : await this.session(run);
    return rows.map((r) => ({ siteId: r.site_id, hours: r.h, capW: r.cap }));
  }

  /** Group commit, first statement: the versions of the clusters placed on, the access rules and vouchers of the members' organizations (locked), and bookings already made with the members' idempotency keys. */
  async lockGroup(
    s: SqlSession,
    clusters: string[],
    orgs: string[],
    keyOrgs: string[],
    keys: string[],
    fromH: number,
  ): Promise<GroupLocks> {
    const [r] = await s.query<{
      ver: [string, number][] | null;
      rul: [string, number | null, number | null][] | null;
      vou: VoucherRow[] | null;
      idem: BookingRow[] | null;
    }>(S.groupLock, [clusters, orgs, keyOrgs, keys, fromH]);
    return {
      versions: new Map((r.ver ?? []).map(([c, v]) => [c, Number(v)])),
      rules: new Map((r.rul ?? []).map(([o, w, sh]) => [o, { maxPflopsHoursPer7Days: w, maxClusterShare: sh }])),
      vouchers: r.vou ?? [],
      existing: r.idem ?? [],
    };
  }

  /** The versions of the clusters, locked until the transaction ends (a round clearing's write). */
  async lockVersions(s: SqlSession, clusters: string[]): Promise<Map<string, number>> {
    const rows = await s.query<{ cluster_id: string; version: string }>(S.lockVersions, [clusters]);
    return new Map(rows.map((r) => [r.cluster_id, Number(r.version)]));
  }

  /** Confirmed bookings of the organizations overlapping [fromH, toH) (read after their rules are locked). */
  usage(s: SqlSession, orgs: string[], fromH: number, toH: number): Promise<UsageRow[]> {
    return s.query<UsageRow>(S.usage, [orgs, fromH, toH]);
  }

  /**
   * Group commit, the write: inserts the bookings, adds the summed deltas to the ledger rows
   * (CHECK-guarded), then raises the versions of the clusters written, draws vouchers (CHECK
   * spent <= cap) with their ledger rows, and sends the notifications (`payloadClusters[i]`:
   * the cluster whose version payload i carries, or null); one statement. Returns each
   * written cluster's new version. Throws if a ledger row is missing.
   */
  async writeGroup(
    s: SqlSession,
    b: GroupInsert,
    d: LedgerDeltas,
    payloadClusters: (string | null)[],
    v: VoucherDraws,
    channel: string,
    payloads: string[],
    nowMs: number,
  ): Promise<Map<string, number>> {
    const [r] = await s.query<{ ins: number; led: number; ver: [string, number][] | null; nt: number }>(S.groupWrite, [
      b.id,
      b.org,
      b.cluster,
      b.startH,
      b.hours,
      b.tflops,
      b.drawW,
      b.greenFlat,
      b.greenOff,
      b.objective,
      b.minGreenShare,
      b.greenMwh,
      b.gridMwh,
      b.greenShare,
      b.priceCompute,
      b.priceGreen,
      b.priceGrid,
      b.priceTotal,
      b.voucherId,
      b.voucherAmount,
      b.key,
      b.fingerprint,
      d.cluster,
      d.hour,
      d.tflops,
      d.greenW,
      payloadClusters,
      v.voucher,
      v.amount,
      v.ledgerVoucher,
      v.ledgerBooking,
      v.ledgerAmount,
      v.ledgerSpentAfter,
      channel,
      payloads,
      nowMs,
      d.gridW,
      b.gridPriceFlat,
      b.greenPrice,
    ]);
    if (r.ins !== b.id.length || r.led !== d.hour.length) {
      throw new Error(
        `group write incomplete: ${r.ins}/${b.id.length} bookings, ${r.led}/${d.hour.length} ledger rows`,
      );
    }
    return new Map((r.ver ?? []).map(([c, ver]) => [c, Number(ver)]));
  }

  /** Cancel, first statement: the booking, locked. */
  async lockBooking(s: SqlSession, id: string): Promise<BookingRow | null> {
    const [r] = await s.query<{ b: BookingRow }>(S.cancelLock, [id]);
    return r ? r.b : null;
  }

  /** Cancel, the write: releases exactly what the booking took, refunds its voucher, raises the version, notifies; returns the cluster's new version. */
  async writeCancel(
    s: SqlSession,
    b: BookingRow,
    hours: number[],
    nowMs: number,
    channel: string,
    payloads: string[],
    payloadClusters: (string | null)[],
  ): Promise<number> {
    const amount = String(b.voucher_amount ?? '0');
    const [r] = await s.query<{ led: number; bk: number; version: string }>(S.cancelWrite, [
      b.cluster_id,
      b.tflops,
      hours,
      b.green_w,
      nowMs,
      b.id,
      amount,
      b.voucher_id,
      channel,
      payloads,
      payloadClusters,
      b.draw_w,
    ]);
    if (r.led !== b.hours || r.bk !== 1)
      throw new Error(`cancel of ${b.id} incomplete: ${r.led}/${b.hours} ledger rows, ${r.bk} booking`);
    return Number(r.version);
  }

  // ---------------------------------------------------------------------------------------
  // reads for operators, dashboards and metrics

  /** One cluster's ledger hours in [from, to) ms, with its owner. */
  hours(
    cluster: string,
    from: number,
    to: number,
  ): Promise<
    {
      hour: Date;
      capacity_tflops: number;
      booked_tflops: number;
      s: string;
      a: string;
      gw: string;
      site_used: string | null;
      site_cap: string | null;
      site_id: string | null;
      owner_org_id: string;
    }[]
  > {
    return this.session((c) =>
      c.exec(
        `SELECT h.hour, h.capacity_tflops, h.booked_tflops, h.green_supply_w AS s, h.green_alloc_w AS a, h.grid_w AS gw, c.owner_org_id, c.site_id,
                CASE WHEN c.site_id IS NULL THEN NULL ELSE COALESCE(sh.grid_used_w, 0) END AS site_used, sh.grid_cap_w AS site_cap
         FROM cluster_hours h JOIN clusters c ON c.id = h.cluster_id LEFT JOIN site_hours sh ON sh.site_id = c.site_id AND sh.hour = h.hour
         WHERE h.cluster_id = $1 AND h.hour >= $2 AND h.hour < $3 ORDER BY h.hour`,
        [cluster, new Date(from), new Date(to)],
      ),
    );
  }

  /** Every cluster's figures in the hour starting at `hour` ms (metrics gauges). */
  clustersNow(hour: number): Promise<
    {
      id: string;
      region: string;
      capacity: number | null;
      booked: number | null;
      green: string | null;
      draw: string | null;
    }[]
  > {
    return this.session((c) =>
      c.exec(
        // the hour's draw from the ledger (green taken + grid drawn = the bookings' draw), not by
        // summing the bookings running in it
        `SELECT c.id, c.region, h.capacity_tflops AS capacity, h.booked_tflops AS booked, h.green_alloc_w AS green,
                COALESCE(h.green_alloc_w + h.grid_w, 0) AS draw
         FROM clusters c LEFT JOIN cluster_hours h ON h.cluster_id = c.id AND h.hour = $1 ORDER BY c.id`,
        [new Date(hour)],
      ),
    );
  }

  /** Runs `fn` on a pooled connection outside any transaction. */
  private async session<T>(fn: (s: SqlSession) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      return await fn(c);
    } finally {
      c.release();
    }
  }
}
