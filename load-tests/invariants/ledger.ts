// The ledger (cluster_hours, site_hours, ledger_versions) against the bookings and the sources
// of capacity and supply, recomputed here rather than trusted.
import type { Checks } from './checks';

// booked TFLOPS and allocated green W per cluster-hour, recomputed from the CONFIRMED bookings
const RECOMPUTED = `
  WITH per_hour AS (
    SELECT b.cluster_id, b.starts_at + make_interval(hours => i - 1) AS hour, b.tflops, b.green_w[i] AS green
      FROM bookings b, generate_subscripts(b.green_w, 1) AS i
     WHERE b.status = 'CONFIRMED'),
  agg AS (
    SELECT cluster_id, hour, sum(tflops)::bigint AS booked, sum(green)::bigint AS green
      FROM per_hour GROUP BY cluster_id, hour)`;

/** 2. The ledger equals the bookings; 3. no cluster-hour over capacity or supply, by the ledger and by the sources. */
export async function checkLedger(c: Checks, ledgerRows: number): Promise<void> {
  const ledger = await c.rows(
    `${RECOMPUTED}
     SELECT coalesce(a.cluster_id, l.cluster_id) AS cluster_id, coalesce(a.hour, l.hour) AS hour,
            coalesce(a.booked, 0) AS booked_from_bookings, l.booked_tflops AS ledger_booked,
            coalesce(a.green, 0) AS green_from_bookings, l.green_alloc_w AS ledger_green
       FROM agg a FULL JOIN cluster_hours l ON l.cluster_id = a.cluster_id AND l.hour = a.hour
      WHERE l.cluster_id IS NULL
         OR coalesce(a.booked, 0) <> l.booked_tflops
         OR coalesce(a.green, 0) <> l.green_alloc_w
      LIMIT 100`,
  );
  c.add(
    'ledger = sum of confirmed bookings',
    ledger,
    `${ledgerRows} cluster-hours agree with the bookings`,
    (n) => `${n}${n === 100 ? '+' : ''} cluster-hours where the ledger differs from the bookings`,
  );

  const over = await c.rows(
    `${RECOMPUTED}
     SELECT a.cluster_id, a.hour, a.booked, l.capacity_tflops, a.green, l.green_supply_w
       FROM agg a JOIN cluster_hours l ON l.cluster_id = a.cluster_id AND l.hour = a.hour
      WHERE a.booked > l.capacity_tflops OR a.green > l.green_supply_w
      LIMIT 100`,
  );
  c.add('no cluster-hour over ledger capacity or green supply', over, 'none', (n) => `${n} cluster-hours over`);

  // Independently of the ledger: capacity from clusters + capacity_changes (the latest change
  // covering the hour wins) and green supply from the posted windows covering the hour, plus
  // what supply revisions changed in it (after - before; a revision recording window changes is
  // already in the windows).
  const independent = await c.rows(
    `${RECOMPUTED}
     SELECT a.cluster_id, a.hour, a.booked, cap.capacity, a.green, sup.supply
       FROM agg a
       JOIN clusters c ON c.id = a.cluster_id
       CROSS JOIN LATERAL (
         SELECT coalesce((SELECT cc.capacity_tflops FROM capacity_changes cc
                           WHERE cc.cluster_id = a.cluster_id AND cc.starts_at <= a.hour AND cc.ends_at > a.hour
                           ORDER BY cc.created_at DESC LIMIT 1), c.capacity_tflops) AS capacity) cap
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(w.green_w), 0)::bigint
                + coalesce((SELECT sum(r.supply_after_w[i] - r.supply_before_w[i]) FROM green_revisions r,
                  LATERAL (SELECT (extract(epoch FROM a.hour - r.starts_at) / 3600)::int + 1 AS i) k
                  WHERE r.cluster_id = a.cluster_id AND r.starts_at <= a.hour AND r.ends_at > a.hour AND NOT r.via_windows), 0)::bigint
                AS supply FROM green_windows w
          WHERE w.cluster_id = a.cluster_id AND w.starts_at <= a.hour AND w.ends_at >= a.hour + interval '1 hour') sup
      WHERE a.booked > cap.capacity OR a.green > sup.supply
      LIMIT 100`,
  );
  c.add(
    'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
    independent,
    'none',
    (n) => `${n} cluster-hours over`,
  );

  // The same sources give every ledger hour's green supply exactly, booked or not: a supply the
  // ledger inflated would otherwise let the API book green that does not exist. (Capacity has no
  // such record: a cluster's base capacity is kept only as it is now, so hours without bookings
  // are judged once booked, above.)
  const supply = await c.rows(
    `WITH win AS (
       SELECT w.cluster_id, h AS hour, sum(w.green_w)::bigint AS w
         FROM green_windows w, generate_series(w.starts_at, w.ends_at - interval '1 hour', interval '1 hour') AS h
        GROUP BY 1, 2),
     rev AS (
       SELECT r.cluster_id, r.starts_at + make_interval(hours => i - 1) AS hour, sum(r.supply_after_w[i] - r.supply_before_w[i])::bigint AS w
         FROM green_revisions r, generate_subscripts(r.supply_after_w, 1) AS i
        WHERE NOT r.via_windows GROUP BY 1, 2)
     SELECT l.cluster_id, l.hour, l.green_supply_w AS ledger_supply, coalesce(win.w, 0) AS windows, coalesce(rev.w, 0) AS revisions
       FROM cluster_hours l
       LEFT JOIN win ON win.cluster_id = l.cluster_id AND win.hour = l.hour
       LEFT JOIN rev ON rev.cluster_id = l.cluster_id AND rev.hour = l.hour
      WHERE l.green_supply_w <> coalesce(win.w, 0) + coalesce(rev.w, 0)
      LIMIT 100`,
  );
  c.add(
    'ledger green supply = green windows + supply revisions, every hour',
    supply,
    `${ledgerRows} cluster-hours`,
    (n) => `${n}${n === 100 ? '+' : ''} cluster-hours whose supply is not their windows' and revisions'`,
  );

  // Every cluster has its version row (the change feed and every process's timelines follow it).
  const versions = await c.rows(
    `SELECT c.id AS cluster_id, v.version FROM clusters c LEFT JOIN ledger_versions v ON v.cluster_id = c.id
      WHERE v.cluster_id IS NULL OR v.version < 0 LIMIT 100`,
  );
  const nClusters = (await c.one(`SELECT count(*)::int AS n FROM clusters`)).n as number;
  c.add(
    'every cluster has its ledger version',
    versions,
    `${nClusters} clusters`,
    (n) => `${n} clusters without a ledger version row (or a negative one)`,
  );
}

/**
 * 9. Each cluster-hour's grid draw is the sum over its confirmed bookings of draw minus the green
 * each took; each site-hour's grid drawn is the sum over the site's clusters; no site-hour draws
 * more than its reserved capacity.
 */
export async function checkGrid(c: Checks, ledgerRows: number): Promise<void> {
  const clusterGrid = await c.rows(
    `WITH agg AS (
       SELECT b.cluster_id, b.starts_at + make_interval(hours => i - 1) AS hour, sum(b.draw_w - b.green_w[i])::bigint AS grid
         FROM bookings b, generate_subscripts(b.green_w, 1) AS i WHERE b.status = 'CONFIRMED' GROUP BY 1, 2)
     SELECT l.cluster_id, l.hour, coalesce(a.grid, 0) AS grid_from_bookings, l.grid_w AS ledger_grid
       FROM cluster_hours l LEFT JOIN agg a ON a.cluster_id = l.cluster_id AND a.hour = l.hour
      WHERE coalesce(a.grid, 0) <> l.grid_w LIMIT 100`,
  );
  const siteGrid = await c.rows(
    `WITH agg AS (
       SELECT c.site_id, h.hour, sum(h.grid_w)::bigint AS grid FROM cluster_hours h JOIN clusters c ON c.id = h.cluster_id
        WHERE c.site_id IS NOT NULL AND h.grid_w <> 0 GROUP BY 1, 2)
     SELECT coalesce(a.site_id, s.site_id) AS site_id, coalesce(a.hour, s.hour) AS hour, coalesce(a.grid, 0) AS grid_from_clusters,
            s.grid_used_w AS ledger_grid, s.grid_cap_w AS reserved
       FROM agg a FULL JOIN site_hours s ON s.site_id = a.site_id AND s.hour = a.hour
      WHERE coalesce(a.grid, 0) <> coalesce(s.grid_used_w, 0) OR (s.grid_cap_w IS NOT NULL AND coalesce(a.grid, 0) > s.grid_cap_w) LIMIT 100`,
  );
  const sites = await c.one(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE grid_cap_w IS NOT NULL)::int AS capped FROM site_hours`,
  );
  c.add(
    'grid drawn = sum of confirmed bookings, per cluster-hour',
    clusterGrid,
    `${ledgerRows} cluster-hours agree`,
    (n) => `${n} cluster-hours whose grid differs from the bookings`,
  );
  c.add(
    'site grid = sum of its clusters, within the reserved capacity',
    siteGrid,
    `${sites.n} site-hours (${sites.capped} with a reserved capacity) agree`,
    (n) => `${n} site-hours whose grid differs from their clusters or exceeds the reserved capacity`,
  );
}
