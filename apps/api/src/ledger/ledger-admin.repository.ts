import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { HOUR_SQL, VERSION_PLACEHOLDER } from './ledger.statements';

/**
 * The ledger's SQL for operators' writes, inside their TypeORM transactions (capacity, green
 * windows and forecasts, new ledger rows, posted grid prices, the version bump that announces
 * them); the booking hot path's is in LedgerRepository.
 */
@Injectable()
export class LedgerAdminRepository {
  /**
   * After an admin transaction changed one cluster's rows: raises its version (the row lock
   * taken here, after the rows', is held to COMMIT) and sends the payloads with that version.
   */
  async bumpIn(m: EntityManager, cluster: string, channel: string, payloads: string[]): Promise<number> {
    const [[row]]: [[{ version: number }]] = await m.query(
      `UPDATE ledger_versions SET version = version + 1 WHERE cluster_id = $1 RETURNING version::float8 AS version`,
      [cluster],
    );
    const v = Number(row.version);
    await m.query(`SELECT pg_notify($1, replace(p, $3, $4)) FROM unnest($2::text[]) AS p`, [
      channel,
      payloads,
      `"v":${VERSION_PLACEHOLDER},`,
      `"v":${v},`,
    ]);
    return v;
  }

  /** A new cluster's version row. */
  async createVersionIn(m: EntityManager, cluster: string): Promise<void> {
    await m.query(`INSERT INTO ledger_versions (cluster_id, version) VALUES ($1, 0)`, [cluster]);
  }

  /** Ledger rows missing over [fromH, toH) for the clusters, created at each cluster's capacity; returns the new ranges per cluster. */
  async materialiseIn(
    m: EntityManager,
    clusters: string[],
    fromH: number,
    toH: number,
  ): Promise<{ cluster: string; from: number; to: number; tflops: number; n: number }[]> {
    return m.query(
      `WITH ins AS (
         INSERT INTO cluster_hours (cluster_id, hour, capacity_tflops)
         SELECT c.id, h, c.capacity_tflops
         FROM clusters c CROSS JOIN generate_series(to_timestamp($2 * 3600.0), to_timestamp(($3 - 1) * 3600.0), interval '1 hour') AS h
         WHERE c.id = ANY($1::uuid[])
         ON CONFLICT (cluster_id, hour) DO NOTHING
         RETURNING cluster_id, hour, capacity_tflops)
       SELECT cluster_id AS cluster, min(${HOUR_SQL('hour')}) AS "from", max(${HOUR_SQL('hour')}) + 1 AS "to", min(capacity_tflops) AS tflops, count(*)::int AS n
       FROM ins GROUP BY cluster_id`,
      [clusters, fromH, toH],
    );
  }

  /** Hours of [fromH, toH) whose booked TFLOPS exceed `tflops`. */
  async firstOverIn(m: EntityManager, cluster: string, fromH: number, toH: number, tflops: number): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `SELECT 1 FROM cluster_hours WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) AND booked_tflops > $4 LIMIT 1`,
      [cluster, fromH, toH, tflops],
    );
    return rows.length > 0;
  }

  /**
   * Confirmed bookings holding more than `tflops` in some hour of [fromH, toH): the first `limit`
   * by start (then id), and how many there are in all (`total` on each row).
   */
  async capacityConflictsIn(
    m: EntityManager,
    cluster: string,
    fromH: number,
    toH: number,
    tflops: number,
    limit: number,
  ): Promise<{ id: string; starts_at: Date; ends_at: Date; total: number }[]> {
    return m.query(
      `SELECT x.id, x.starts_at, x.ends_at, (count(*) OVER ())::int AS total FROM (
         SELECT DISTINCT b.id, b.starts_at, b.ends_at FROM bookings b
         JOIN cluster_hours h ON h.cluster_id = b.cluster_id AND h.hour >= b.starts_at AND h.hour < b.ends_at
         WHERE b.cluster_id = $1 AND b.status = 'CONFIRMED' AND h.hour >= to_timestamp($2 * 3600.0) AND h.hour < to_timestamp($3 * 3600.0) AND h.booked_tflops > $4) x
       ORDER BY x.starts_at, x.id LIMIT $5`,
      [cluster, fromH, toH, tflops, limit],
    );
  }

  /** Sets capacity over [fromH, toH) (CHECK-guarded). */
  async setCapacityIn(m: EntityManager, cluster: string, fromH: number, toH: number, tflops: number): Promise<void> {
    await m.query(
      `UPDATE cluster_hours SET capacity_tflops = $4 WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0)`,
      [cluster, fromH, toH, tflops],
    );
  }

  /**
   * The first of `hours` (epoch hours) in which site `siteId` would draw more grid than it has
   * reserved with `addW[i]` more W drawn in hours[i]; null if none. A pre-check that names the
   * hour: the CHECK on site_hours still decides under concurrency.
   */
  async firstOverReservationIn(
    m: EntityManager,
    siteId: string,
    hours: number[],
    addW: number[],
  ): Promise<{ h: number; drawnW: number; capW: number } | null> {
    const rows: { h: number; drawn: string; cap: string }[] = await m.query(
      `SELECT x.h, (s.grid_used_w + x.w)::text AS drawn, s.grid_cap_w::text AS cap
       FROM unnest($2::int[], $3::bigint[]) AS x(h, w) JOIN site_hours s ON s.site_id = $1 AND s.hour = to_timestamp(x.h * 3600.0)
       WHERE x.w > 0 AND s.grid_cap_w IS NOT NULL AND s.grid_used_w + x.w > s.grid_cap_w ORDER BY x.h LIMIT 1`,
      [siteId, hours, addW],
    );
    return rows.length ? { h: Number(rows[0].h), drawnW: Number(rows[0].drawn), capW: Number(rows[0].cap) } : null;
  }

  /** Grid prices a cluster posted for [fromH, toH), by hour: [epoch hour, price per MWh]. */
  async postedGridPricesIn(m: EntityManager, cluster: string, fromH: number, toH: number): Promise<[number, number][]> {
    const rows: { h: number; p: number }[] = await m.query(
      `SELECT ${HOUR_SQL('hour')} AS h, price_per_mwh AS p FROM grid_price_hours
       WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) ORDER BY hour`,
      [cluster, fromH, toH],
    );
    return rows.map((r) => [Number(r.h), Number(r.p)]);
  }

  /**
   * Adds green windows' supply and price weight to the ledger (a negative `w` takes one away), in
   * one statement: span i covers [fromH[i], toH[i]) with w[i] W at price[i] per MWh; the spans are
   * summed per hour first, so the CHECKs judge each hour's end state. Call it after the windows
   * themselves are written. A window taken away takes its MW at its own price, except where a
   * revision lowered the hour (its weight shrank with its MW): there the sum could go below 0, and
   * the MW left take the MW-weighted price of the hour's windows instead. An hour left without
   * green has no price weight.
   */
  async addGreenIn(
    m: EntityManager,
    cluster: string,
    spans: { fromH: number; toH: number; w: number; price: number }[],
  ): Promise<void> {
    if (spans.length === 0) return;
    const lo = Math.min(...spans.map((x) => x.fromH));
    const hi = Math.max(...spans.map((x) => x.toH));
    await m.query(
      `UPDATE cluster_hours h SET green_supply_w = h.green_supply_w + d.w, green_price_weight = CASE
         WHEN h.green_supply_w + d.w <= 0 THEN 0
         WHEN h.green_price_weight + d.pw >= 0 THEN h.green_price_weight + d.pw
         ELSE (h.green_supply_w + d.w)::numeric * COALESCE(
           (SELECT sum(w.green_w::numeric * w.price_per_mwh::numeric) / nullif(sum(w.green_w::numeric), 0) FROM green_windows w
            WHERE w.cluster_id = $1 AND w.starts_at <= h.hour AND w.ends_at > h.hour), 0)
         END
       FROM (SELECT g AS hr, sum(x.w)::bigint AS w, sum(x.w::numeric * x.p::numeric) AS pw
             FROM unnest($2::int[], $3::int[], $4::bigint[], $5::text[]) AS x(f, t, w, p), generate_series(x.f, x.t - 1) AS g
             GROUP BY g) d
       WHERE h.cluster_id = $1 AND h.hour >= to_timestamp($6 * 3600.0) AND h.hour < to_timestamp($7 * 3600.0)
         AND h.hour = to_timestamp(d.hr * 3600.0)`,
      [
        cluster,
        spans.map((x) => x.fromH),
        spans.map((x) => x.toH),
        spans.map((x) => String(x.w)),
        spans.map((x) => String(x.price)),
        lo,
        hi,
      ],
    );
  }

  /** The MW-weighted average price of the green windows of each of `hours` (epoch hours) that has one. */
  async windowPricesIn(m: EntityManager, cluster: string, hours: number[]): Promise<Map<number, number>> {
    if (hours.length === 0) return new Map();
    const rows: { h: number; p: number }[] = await m.query(
      `SELECT x.hr AS h, sum(w.green_w::float8 * w.price_per_mwh) / sum(w.green_w::float8) AS p
       FROM unnest($2::int[]) AS x(hr)
       JOIN green_windows w ON w.cluster_id = $1 AND w.starts_at <= to_timestamp(x.hr * 3600.0) AND w.ends_at > to_timestamp(x.hr * 3600.0)
       GROUP BY x.hr`,
      [cluster, hours],
    );
    return new Map(rows.map((x) => [Number(x.h), Number(x.p)]));
  }

  /** Green supply and allocation (W) of [fromH, toH), by hour, the rows locked until COMMIT (forecast imports). */
  async greenHoursForUpdateIn(
    m: EntityManager,
    cluster: string,
    fromH: number,
    toH: number,
  ): Promise<{ h: number; supply: number; alloc: number }[]> {
    const rows: { h: number; s: string; a: string }[] = await m.query(
      `SELECT ${HOUR_SQL('hour')} AS h, green_supply_w::text AS s, green_alloc_w::text AS a FROM cluster_hours
       WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) ORDER BY hour FOR UPDATE`,
      [cluster, fromH, toH],
    );
    return rows.map((r) => ({ h: Number(r.h), supply: Number(r.s), alloc: Number(r.a) }));
  }

  /** Hours of [fromH, toH) where removing `w` W of supply would strand allocated green (at most 24). */
  async strandedHoursIn(m: EntityManager, cluster: string, fromH: number, toH: number, w: number): Promise<Date[]> {
    const rows: { hour: Date }[] = await m.query(
      `SELECT hour FROM cluster_hours WHERE cluster_id = $1 AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0) AND green_alloc_w > green_supply_w - $4 ORDER BY hour LIMIT 24`,
      [cluster, fromH, toH, String(w)],
    );
    return rows.map((r) => r.hour);
  }
}
