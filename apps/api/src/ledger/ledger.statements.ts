import type { SqlStatement } from '@pflex/persistence';

/**
 * The prepared statements of the ledger's hot paths (timeline loads, group commit, cancel), in
 * one place to read and review; LedgerRepository runs them.
 */

export const HOUR_SQL = (col: string) => `(extract(epoch FROM ${col}) / 3600)::int`;

/** Ledger payloads are encoded with this version; SQL puts in the one the transaction got. */
export const VERSION_PLACEHOLDER = -1;
const VERSIONED = `CASE WHEN ver.version IS NULL THEN p.payload ELSE replace(p.payload, '"v":${VERSION_PLACEHOLDER},', '"v":' || ver.version || ',') END`;

/**
 * The grid W of (cluster, hour) deltas (three parallel arrays, SQL expressions) summed per site-hour
 * of the clusters' sites, in (site, hour) order, keeping the sums of one sign (`>` 0 or `<` 0).
 */
const perSite = (clusters: string, hours: string, gridW: string, sign: '>' | '<') =>
  `SELECT c.site_id, to_timestamp(d.hr * 3600.0) AS hour, sum(d.gw) AS gw FROM unnest(${clusters}::uuid[], ${hours}::int[], ${gridW}::bigint[]) AS d(c, hr, gw)
   JOIN (SELECT id, site_id FROM clusters WHERE id = ANY(${clusters}::uuid[]) FOR KEY SHARE) c ON c.id = d.c
   WHERE c.site_id IS NOT NULL GROUP BY 1, 2 HAVING sum(d.gw) ${sign} 0 ORDER BY 1, 2`;

/*
 * The clusters' rows are read FOR KEY SHARE (the lock a booking's foreign key takes anyway): a
 * cluster moving to another site (setClusterSite holds its row FOR UPDATE while it moves the grid
 * its bookings draw) is seen either before the move (and its draw moves with it) or after (and it
 * goes to the new site), never half way. Operators' other writes do not block bookings.
 */

/**
 * Adds the positive grid deltas to the clusters' sites: one upsert per site-hour, in (site, hour)
 * order so that concurrent writers lock site rows in one order. The CHECK on site_hours refuses
 * what would exceed a reserved capacity. (PostgreSQL checks an upsert's proposed row before
 * the conflict, so a negative delta cannot take this path: SITE_GRID_TAKE.)
 */
export const SITE_GRID_ADD = (clusters: string, hours: string, gridW: string) =>
  siteUpsert(perSite(clusters, hours, gridW, '>'));

/** Applies the negative grid deltas to the clusters' sites (rows that hold that draw exist). */
export const SITE_GRID_TAKE = (clusters: string, hours: string, gridW: string) =>
  `UPDATE site_hours s SET grid_used_w = s.grid_used_w + x.gw FROM (${perSite(clusters, hours, gridW, '<')}) x
   WHERE s.site_id = x.site_id AND s.hour = x.hour RETURNING 1`;

/** Adds positive grid W to one site (SQL expression), per hour of two parallel arrays: a cluster joining it. */
export const SITE_GRID_ADD_TO = (site: string, hours: string, gridW: string) =>
  siteUpsert(
    `SELECT ${site}::uuid, to_timestamp(d.hr * 3600.0), d.gw FROM unnest(${hours}::int[], ${gridW}::bigint[]) AS d(hr, gw) WHERE d.gw > 0 ORDER BY 2`,
  );

/** Takes grid W from one site, per hour: a cluster leaving it. */
export const SITE_GRID_TAKE_FROM = (site: string, hours: string, gridW: string) =>
  `UPDATE site_hours s SET grid_used_w = s.grid_used_w - d.gw FROM unnest(${hours}::int[], ${gridW}::bigint[]) AS d(hr, gw)
   WHERE s.site_id = ${site}::uuid AND s.hour = to_timestamp(d.hr * 3600.0) RETURNING 1`;

function siteUpsert(rows: string): string {
  return `INSERT INTO site_hours AS s (site_id, hour, grid_used_w) ${rows}
   ON CONFLICT (site_id, hour) DO UPDATE SET grid_used_w = s.grid_used_w + excluded.grid_used_w RETURNING 1`;
}

export const S = {
  load: {
    name: 'pflex_ledger_load',
    text: `SELECT c.id, c.owner_org_id, c.name, c.region, c.capacity_tflops, c.kw_per_pflops, c.pue, c.price_per_pflops_hour, c.grid_price_per_mwh, c.site_id, c.grid_tariff,
                  (extract(epoch FROM c.created_at) * 1000)::float8 AS created_at, v.version::float8 AS version,
                  CASE WHEN $4::boolean THEN (SELECT json_build_array(
                     array_agg(${HOUR_SQL('h.hour')} ORDER BY h.hour), array_agg(h.capacity_tflops ORDER BY h.hour), array_agg(h.booked_tflops ORDER BY h.hour),
                     array_agg(h.green_supply_w ORDER BY h.hour), array_agg(h.green_alloc_w ORDER BY h.hour),
                     array_agg(CASE WHEN h.green_supply_w > 0 THEN (h.green_price_weight / h.green_supply_w)::float8 ELSE 0 END ORDER BY h.hour),
                     array_agg(h.grid_w ORDER BY h.hour))
                   FROM cluster_hours h WHERE h.cluster_id = c.id AND h.hour >= to_timestamp($2 * 3600.0) AND h.hour < to_timestamp($3 * 3600.0)) END AS rows,
                  (SELECT json_agg(json_build_array(${HOUR_SQL('g.hour')}, g.price_per_mwh) ORDER BY g.hour) FROM grid_price_hours g
                   WHERE g.cluster_id = c.id AND g.hour >= to_timestamp($2 * 3600.0) AND g.hour < to_timestamp($3 * 3600.0)) AS posted
           FROM clusters c JOIN ledger_versions v ON v.cluster_id = c.id
           WHERE ($1::uuid[] IS NULL OR c.id = ANY($1::uuid[]))
           ORDER BY c.created_at, c.id`,
  },
  siteCaps: {
    name: 'pflex_site_caps',
    text: `SELECT site_id, array_agg(${HOUR_SQL('hour')} ORDER BY hour) AS h, array_agg(grid_cap_w::float8 ORDER BY hour) AS cap
           FROM site_hours WHERE grid_cap_w IS NOT NULL AND ($1::uuid[] IS NULL OR site_id = ANY($1::uuid[]))
             AND hour >= to_timestamp($2 * 3600.0) AND hour < to_timestamp($3 * 3600.0)
           GROUP BY site_id`,
  },
  groupLock: {
    name: 'pflex_group_lock',
    // the members' access rules and vouchers locked (organization, then voucher order); the
    // versions of the clusters placed on only read, to see whether the timelines are behind; the
    // keys looked up one by one (LATERAL ... LIMIT 1): a plain join's cached generic plan, made
    // while `bookings` was small, hash-joins a scan of the whole table on every group commit
    text: `WITH ver AS (SELECT cluster_id, version FROM ledger_versions WHERE cluster_id = ANY($1::uuid[])),
           rul AS (SELECT org_id, max_pflops_hours_per_7_days AS w, max_cluster_share AS s FROM access_rules WHERE org_id = ANY($2::uuid[]) ORDER BY org_id FOR UPDATE),
           vou AS (SELECT id, org_id, percent_covered, (cap - spent)::text AS remaining, spent::text AS spent, valid_from, valid_until, cluster_ids, min_green_share, created_at
                   FROM vouchers WHERE org_id = ANY($2::uuid[]) AND spent < cap AND valid_until > to_timestamp($5 * 3600.0) ORDER BY id FOR UPDATE),
           idem AS (SELECT b.* FROM unnest($3::uuid[], $4::text[]) AS k(org, key)
                    CROSS JOIN LATERAL (SELECT * FROM bookings x WHERE x.org_id = k.org AND x.idempotency_key = k.key LIMIT 1) b)
           SELECT (SELECT json_agg(json_build_array(cluster_id, version)) FROM ver) AS ver,
                  (SELECT json_agg(json_build_array(org_id, w, s)) FROM rul) AS rul,
                  (SELECT json_agg(vou) FROM vou) AS vou,
                  (SELECT json_agg(idem) FROM idem) AS idem`,
  },
  lockVersions: {
    name: 'pflex_lock_versions',
    // a round clearing holds its clusters' versions while it writes: no other writer slips in
    text: `SELECT cluster_id, version FROM ledger_versions WHERE cluster_id = ANY($1::uuid[]) ORDER BY cluster_id FOR UPDATE`,
  },
  usage: {
    name: 'pflex_usage',
    text: `SELECT org_id, cluster_id, ${HOUR_SQL('starts_at')} AS h, hours, tflops FROM bookings
           WHERE org_id = ANY($1::uuid[]) AND status = 'CONFIRMED' AND starts_at < to_timestamp($3 * 3600.0) AND ends_at > to_timestamp($2 * 3600.0)`,
  },
  groupWrite: {
    name: 'pflex_group_write',
    text: `WITH ins AS (
             INSERT INTO bookings (id, org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, green_price_per_mwh, grid_price_per_mwh, objective,
                                   min_green_share, green_mwh, grid_mwh, green_share, price_compute, price_green_energy, price_grid_energy, price_total, voucher_id, voucher_amount,
                                   status, idempotency_key, request_fingerprint, created_at)
             SELECT x.id, x.org, x.cl, to_timestamp(x.h * 3600.0), to_timestamp((x.h + x.hr) * 3600.0), x.hr, x.tf, x.dw, ($8::bigint[])[x.off + 1 : x.off + x.hr],
                    ($8::bigint[])[x.off + 1 : x.off + x.hr], x.gp, ($38::float8[])[x.off + 1 : x.off + x.hr], x.obj, x.mgs,
                    x.gm, x.grm, x.gs, x.pc, x.pg, x.pgr, x.pt, x.vid, x.vam, 'CONFIRMED', x.k, x.fp, to_timestamp($36 / 1000.0)
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::int[], $6::int[], $7::bigint[], $9::int[], $10::text[], $11::float8[], $12::float8[], $13::float8[],
                         $14::float8[], $15::float8[], $16::float8[], $17::float8[], $18::float8[], $19::uuid[], $20::numeric[], $21::text[], $22::text[], $39::float8[])
                  AS x(id, org, cl, h, hr, tf, dw, off, obj, mgs, gm, grm, gs, pc, pg, pgr, pt, vid, vam, k, fp, gp)
             RETURNING 1),
           led AS (
             UPDATE cluster_hours h SET booked_tflops = h.booked_tflops + d.tf, green_alloc_w = h.green_alloc_w + d.g, grid_w = h.grid_w + d.gw
             FROM unnest($23::uuid[], $24::int[], $25::int[], $26::bigint[], $37::bigint[]) AS d(c, hr, tf, g, gw)
             WHERE h.cluster_id = d.c AND h.hour = to_timestamp(d.hr * 3600.0)
             RETURNING h.cluster_id),
           site AS (${SITE_GRID_ADD('$23', '$24', '$37')}),
           ver AS (UPDATE ledger_versions v SET version = v.version + 1 WHERE v.cluster_id IN (SELECT DISTINCT l.cluster_id FROM led l) RETURNING v.cluster_id, v.version),
           vd AS (UPDATE vouchers v SET spent = v.spent + d.a FROM unnest($28::uuid[], $29::numeric[]) AS d(id, a) WHERE v.id = d.id RETURNING 1),
           vl AS (INSERT INTO voucher_ledger (voucher_id, booking_id, kind, amount, spent_after)
                  SELECT l.v, l.b, 'DRAW', l.a, l.s FROM unnest($30::uuid[], $31::uuid[], $32::numeric[], $33::numeric[]) AS l(v, b, a, s) RETURNING 1),
           nt AS (SELECT pg_notify($34, ${VERSIONED}) FROM unnest($35::text[], $27::uuid[]) AS p(payload, cluster) LEFT JOIN ver ON ver.cluster_id = p.cluster)
           SELECT (SELECT count(*) FROM ins)::int AS ins, (SELECT count(*) FROM led)::int AS led, (SELECT json_agg(json_build_array(cluster_id, version)) FROM ver) AS ver,
                  (SELECT count(*) FROM vd)::int AS vd, (SELECT count(*) FROM vl)::int AS vl, (SELECT count(*) FROM nt)::int AS nt,
                  (SELECT count(*) FROM site)::int AS site`,
  },
  cancelLock: {
    name: 'pflex_cancel_lock',
    // the booking, then its voucher: locked before the write touches the ledger rows, in the
    // order a group commit takes them (vouchers, then ledger rows), so the two cannot deadlock
    text: `WITH b AS (SELECT * FROM bookings WHERE id = $1 FOR UPDATE),
           v AS (SELECT id FROM vouchers WHERE id = (SELECT voucher_id FROM b) FOR UPDATE)
           SELECT row_to_json(b) AS b, (SELECT count(*) FROM v)::int AS v FROM b`,
  },
  cancelWrite: {
    name: 'pflex_cancel_write',
    text: `WITH led AS (
             UPDATE cluster_hours h SET booked_tflops = h.booked_tflops - $2, green_alloc_w = h.green_alloc_w - g.w, grid_w = h.grid_w - ($12::bigint - g.w)
             FROM unnest($3::int[], $4::bigint[]) AS g(hr, w)
             WHERE h.cluster_id = $1 AND h.hour = to_timestamp(g.hr * 3600.0)
             RETURNING h.cluster_id),
           site AS (${SITE_GRID_TAKE('array_fill($1::uuid, ARRAY[cardinality($3::int[])])', '$3', '(SELECT array_agg(-($12::bigint - w) ORDER BY o) FROM unnest($4::bigint[]) WITH ORDINALITY AS x(w, o))')}),
           ver AS (UPDATE ledger_versions v SET version = v.version + 1 WHERE v.cluster_id IN (SELECT DISTINCT l.cluster_id FROM led l) RETURNING v.cluster_id, v.version),
           -- cancelling settles the booking's SLA credit: it draws no energy, so no green goes missing
           cr AS (INSERT INTO sla_credits (booking_id, org_id, operator_org_id, kind, amount, missing_mwh, created_at)
                  SELECT b.id, b.org_id, c.owner_org_id, 'REVERSAL', b.sla_credit, 0, to_timestamp($5 / 1000.0)
                  FROM bookings b JOIN clusters c ON c.id = b.cluster_id WHERE b.id = $6 AND b.status = 'CONFIRMED' AND b.sla_credit > 0 RETURNING 1),
           bk AS (UPDATE bookings SET status = 'CANCELLED', cancelled_at = to_timestamp($5 / 1000.0), sla_credit = 0 WHERE id = $6 AND status = 'CONFIRMED' RETURNING 1),
           vr AS (UPDATE vouchers SET spent = spent - $7::numeric WHERE id = $8::uuid AND $7::numeric > 0 RETURNING spent),
           vl AS (INSERT INTO voucher_ledger (voucher_id, booking_id, kind, amount, spent_after) SELECT $8::uuid, $6, 'REFUND', $7::numeric, vr.spent FROM vr RETURNING 1),
           nt AS (SELECT pg_notify($9, ${VERSIONED}) FROM unnest($10::text[], $11::uuid[]) AS p(payload, cluster) LEFT JOIN ver ON ver.cluster_id = p.cluster)
           SELECT (SELECT count(*) FROM led)::int AS led, (SELECT count(*) FROM bk)::int AS bk, (SELECT count(*) FROM vl)::int AS vl, (SELECT count(*) FROM nt)::int AS nt,
                  (SELECT count(*) FROM cr)::int AS cr, (SELECT version FROM ver)::text AS version`,
  },
} satisfies Record<string, SqlStatement>;
