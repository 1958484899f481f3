import { Injectable } from '@nestjs/common';
import { REQUEST_KEY_JSONPATH } from '@pflex/scheduler';
import { DataSource } from 'typeorm';
import { InputException } from '../common/errors';
import { HOUR_MS, requireRange } from '../common/time.utils';
import type { Principal } from '../security/principal';
import { KpisArgs } from './dtos/kpis.args';
import { KpisModel } from './dtos/kpis.model';
import { GridFigures, gridFigures, GridRow, kpiFigures, KpiRow } from './utils/kpi-figures';

export const MAX_KPI_HOURS = 8784;

/**
 * One SQL statement over the ledger (cluster_hours) and the confirmed bookings that overlap the
 * range, clipped to whole hours inside it; the peak is a sweep over booking starts and ends
 * (window sum), so the cost grows with the bookings in range, not with hours x bookings.
 * Units in SQL: TFLOPS, W, Wh; converted once at the end.
 */
export const KPI_SQL = `
WITH sc AS (
  SELECT id FROM clusters WHERE ($3::text IS NULL OR region = $3::text) AND ($4::uuid IS NULL OR owner_org_id = $4::uuid)
),
led AS (
  SELECT COALESCE(SUM(h.capacity_tflops), 0)::float8 AS cap, COALESCE(SUM(h.booked_tflops), 0)::float8 AS booked,
         COALESCE(SUM(h.green_supply_w), 0)::float8 AS gsup, COALESCE(SUM(h.green_alloc_w), 0)::float8 AS galloc
  FROM cluster_hours h WHERE h.cluster_id IN (SELECT id FROM sc) AND h.hour >= $1 AND h.hour < $2
),
bk AS (
  SELECT b.org_id, b.draw_w::float8 AS draw, b.hours, b.voucher_amount::float8 AS voucher, b.created_at, b.request_fingerprint,
         EXTRACT(EPOCH FROM (LEAST(b.ends_at, $2::timestamptz) - GREATEST(b.starts_at, $1::timestamptz)))::float8 / 3600 AS inside,
         GREATEST(b.starts_at, $1::timestamptz) AS s, LEAST(b.ends_at, $2::timestamptz) AS e
  FROM bookings b WHERE b.cluster_id IN (SELECT id FROM sc) AND b.status = 'CONFIRMED' AND b.starts_at < $2 AND b.ends_at > $1
),
agg AS (
  SELECT COUNT(*)::int AS n, COUNT(DISTINCT org_id)::int AS startups,
         COALESCE(SUM(draw * inside), 0)::float8 AS wh, COALESCE(SUM(voucher * inside / hours), 0)::float8 AS voucher
  FROM bk
),
sweep AS (
  SELECT SUM(d) OVER (ORDER BY t) AS run FROM (SELECT s AS t, draw AS d FROM bk UNION ALL SELECT e AS t, -draw AS d FROM bk) ev
),
med AS (
  SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM (b.created_at - q.first_quoted_at)))::float8 AS secs
  FROM bk b JOIN quote_log q ON q.org_id = b.org_id
   AND q.request_key = md5(jsonb_path_query_array(b.request_fingerprint::jsonb, '${REQUEST_KEY_JSONPATH}')::text)
   AND q.first_quoted_at <= b.created_at
),
gp AS (
  SELECT COALESCE(SUM(b.green_w_promised[i]), 0)::float8 AS promised, COALESCE(SUM(b.green_w[i]), 0)::float8 AS delivered
  FROM bookings b, generate_subscripts(b.green_w, 1) AS i
  WHERE b.cluster_id IN (SELECT id FROM sc) AND b.status = 'CONFIRMED' AND b.starts_at < $2 AND b.ends_at > $1
    AND b.starts_at + make_interval(hours => i - 1) >= $1 AND b.starts_at + make_interval(hours => i - 1) < $2
),
sla AS (
  SELECT COUNT(*)::int AS sla_n,
         COUNT(*) FILTER (WHERE (SELECT SUM(g) FROM unnest(b.green_w) g) < ceil(b.min_green_share * b.draw_w * b.hours - 1e-6))::int AS breaches,
         COALESCE(SUM(b.sla_credit), 0)::float8 AS credits
  FROM bookings b WHERE b.cluster_id IN (SELECT id FROM sc) AND b.status = 'CONFIRMED' AND b.min_green_share > 0 AND b.starts_at < $2 AND b.ends_at > $1
),
vl AS (
  SELECT COALESCE(SUM(v.cap - v.spent), 0)::float8 AS remaining FROM vouchers v
  -- an operator sees only vouchers that name one of its clusters: a voucher usable anywhere is the
  -- market's, and its balance would show other operators' sales; with no cluster in scope (a region
  -- without one) no voucher is usable there
  WHERE v.valid_from < $2 AND v.valid_until > $1 AND ((v.cluster_ids IS NULL AND $4::uuid IS NULL AND EXISTS (SELECT 1 FROM sc)) OR v.cluster_ids && ARRAY(SELECT id FROM sc))
)
SELECT (SELECT COUNT(*) FROM sc)::int AS clusters, led.cap, led.booked, led.gsup, led.galloc, agg.n, agg.startups, agg.wh, agg.voucher,
       (SELECT COALESCE(MAX(run), 0)::float8 FROM sweep) AS peak_w, med.secs, vl.remaining, gp.promised, gp.delivered, sla.sla_n, sla.breaches, sla.credits
FROM led, agg, med, vl, gp, sla`;

/**
 * The grid side over the same scope: grid Wh drawn per cluster and local hour of the week (its
 * tariff's time; 168 rows per cluster at most, whatever the range), the scope's peak grid draw in
 * an hour, and the highest share of a reserved capacity drawn at any capped site-hour of the
 * scope's sites.
 */
const GRID_SQL = `
WITH sc AS (
  SELECT id, site_id, grid_tariff, grid_price_per_mwh FROM clusters WHERE ($3::text IS NULL OR region = $3::text) AND ($4::uuid IS NULL OR owner_org_id = $4::uuid)
),
wk AS (
  SELECT h.cluster_id, (extract(isodow FROM h.hour + make_interval(hours => COALESCE((sc.grid_tariff->>'utcOffsetHours')::int, 0))))::int % 7 AS dow,
         (extract(hour FROM h.hour + make_interval(hours => COALESCE((sc.grid_tariff->>'utcOffsetHours')::int, 0))))::int AS hr, SUM(h.grid_w)::float8 AS wh
  FROM cluster_hours h JOIN sc ON sc.id = h.cluster_id WHERE h.hour >= $1 AND h.hour < $2 AND h.grid_w > 0 GROUP BY 1, 2, 3
),
pk AS (
  SELECT COALESCE(MAX(w), 0)::float8 AS peak FROM (SELECT SUM(h.grid_w) AS w FROM cluster_hours h WHERE h.cluster_id IN (SELECT id FROM sc) AND h.hour >= $1 AND h.hour < $2 GROUP BY h.hour) x
),
rs AS (
  SELECT MAX(s.grid_used_w::float8 / NULLIF(s.grid_cap_w, 0)) AS share, COUNT(*) FILTER (WHERE s.grid_cap_w IS NOT NULL)::int AS capped
  FROM site_hours s WHERE s.site_id IN (SELECT site_id FROM sc WHERE site_id IS NOT NULL) AND s.hour >= $1 AND s.hour < $2 AND s.grid_cap_w IS NOT NULL
)
SELECT (SELECT json_agg(json_build_array(wk.cluster_id, wk.dow, wk.hr, wk.wh)) FROM wk) AS wk,
       (SELECT json_object_agg(id, json_build_array(grid_tariff, grid_price_per_mwh)) FROM sc WHERE grid_tariff IS NOT NULL) AS tariffs,
       pk.peak, rs.share, rs.capped
FROM pk, rs`;

@Injectable()
export class KpisService {
  constructor(private readonly ds: DataSource) {}

  /** Bureau: every cluster; operator: its own clusters only (the role guard keeps startups out). */
  async kpis(p: Principal, a: KpisArgs): Promise<KpisModel> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_KPI_HOURS);
    // regions are kept trimmed; a blank one is no region, not "every region"
    const region = a.region == null ? null : a.region.trim();
    if (region === '') throw new InputException('region', 'region must not be blank: leave it out for every region');
    const owner = p.role === 'BUREAU' ? null : p.orgId;
    const [r]: KpiRow[] = await this.ds.query(KPI_SQL, [new Date(from), new Date(to), region, owner]);
    const hours = (to - from) / HOUR_MS;
    const grid = await this.grid(from, to, region, owner);
    return { ...grid, from: new Date(from), to: new Date(to), region, ...kpiFigures(r, hours) };
  }

  /** Grid MWh drawn, the peak grid MW, the highest share of a reserved capacity drawn, and the share of grid MWh drawn in valley hours. */
  private async grid(from: number, to: number, region: string | null, owner: string | null): Promise<GridFigures> {
    const [g]: GridRow[] = await this.ds.query(GRID_SQL, [new Date(from), new Date(to), region, owner]);
    return gridFigures(g);
  }
}
