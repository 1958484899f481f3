/**
 * Range reads on a long ledger: `npx tsx apps/api/bench/history.bench.ts [--bookings 300000]`.
 * PostgreSQL (DATABASE_URL, else scripts/pg-up.sh's database pflex_load), a schema of its own,
 * dropped at the end. Seeds a two-year history (2025-2026: 5 clusters of one region, 49 startups,
 * bookings of 1-24 h; "now" is its end), then times the statements that read "bookings
 * overlapping [from, to)": the bureau's `kpis` over the last 7 and 30 days and the last year, and
 * over a week a year back, and the booking path's access-rule usage of one startup around a request
 * for the next week. Each row: median of 7 runs, and the rows the plan read from `bookings`
 * (EXPLAIN ANALYZE), with the end-time indexes and without them (dropped after the first pass),
 * beside the bookings the range holds.
 */
import 'reflect-metadata';
import { dropSchema, openDataSource } from '@pflex/persistence';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { QueryRunner } from 'typeorm';
import { fmt, table } from '../../../load-tests/lib/report';
import { pgUp } from '../../../load-tests/lib/processes';
import { KPI_SQL } from '../src/kpis/kpis.service';
import { S } from '../src/ledger/ledger.statements';

const ROOT = join(__dirname, '..', '..', '..');
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('bookings', 300_000);
const H = 3_600_000;

interface Case {
  name: string;
  sql: string;
  params: unknown[];
  /** bookings overlapping the range, for the reader */
  inRange: string;
  inRangeParams: unknown[];
}

/** Rows a plan read from `bookings`: every scan node's output and what its filters removed. */
function rowsRead(plan: Record<string, unknown>): number {
  let n = 0;
  if (plan['Relation Name'] === 'bookings') {
    const loops = Number(plan['Actual Loops'] ?? 1);
    n +=
      (Number(plan['Actual Rows'] ?? 0) +
        Number(plan['Rows Removed by Filter'] ?? 0) +
        Number(plan['Rows Removed by Index Recheck'] ?? 0)) *
      loops;
  }
  for (const p of (plan['Plans'] as Record<string, unknown>[] | undefined) ?? []) n += rowsRead(p);
  return n;
}

async function measure(q: QueryRunner, c: Case): Promise<{ ms: number; read: number }> {
  await q.query(c.sql, c.params); // warm the cache
  const t: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await q.query(c.sql, c.params);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  const [row] = (await q.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${c.sql}`, c.params)) as { 'QUERY PLAN': unknown }[];
  const plan = (row['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0].Plan;
  return { ms: t[3], read: rowsRead(plan) };
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? (await pgUp(ROOT, { DB_NAME: 'pflex_load' }));
  const schema = `history_${randomBytes(4).toString('hex')}`;
  const ds = await openDataSource({ url, schema, poolSize: 2 });
  try {
    const t0 = performance.now();
    const [op]: { id: string }[] = await ds.query(
      `INSERT INTO organizations (name, role) VALUES ('op', 'OPERATOR') RETURNING id`,
    );
    await ds.query(`INSERT INTO organizations (name, role) SELECT 'st' || g, 'STARTUP' FROM generate_series(1, 49) g`);
    await ds.query(
      `INSERT INTO clusters (owner_org_id, name, region, accelerator, capacity_tflops, kw_per_pflops, pue, price_per_pflops_hour, grid_price_per_mwh)
       SELECT $1, 'c' || g, 'r', 'a', 2100000, 5, 1.2, 1, 100 FROM generate_series(1, 5) g`,
      [op.id],
    );
    // in chunks: the API's sessions have a statement timeout
    for (let lo = 1; lo <= N; lo += 25_000)
      await ds.query(
        `WITH o AS (SELECT array_agg(id ORDER BY name) AS a FROM organizations WHERE role = 'STARTUP'),
            c AS (SELECT array_agg(id ORDER BY name) AS a FROM clusters),
            g AS (SELECT n, (1 + n * 7919 % 24)::int AS h, timestamptz '2025-01-01' + make_interval(hours => (n * 104729 % 17520)::int) AS s
                  FROM generate_series($1::bigint, $2::bigint) n)
       INSERT INTO bookings (org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective,
                             green_mwh, grid_mwh, green_share, price_compute, price_green_energy, price_grid_energy, price_total, status, idempotency_key, request_fingerprint)
       SELECT o.a[1 + n % 49], c.a[1 + n % 5], g.s, g.s + make_interval(hours => g.h), g.h, 1000, 6000, array_fill(100::bigint, ARRAY[g.h]),
              array_fill(100::bigint, ARRAY[g.h]), array_fill(100::float8, ARRAY[g.h]), 'EARLIEST', 0, 0, 0, 1, 0, 0, 1, 'CONFIRMED', 'k' || n, '[]'
       FROM g, o, c`,
        [lo, Math.min(N, lo + 24_999)],
      );
    await ds.query(`VACUUM ANALYZE bookings`); // as autovacuum leaves a long-lived table
    process.stderr.write(`seeded ${fmt(N)} bookings in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const [st]: { id: string }[] = await ds.query(`SELECT id FROM organizations WHERE name = 'st7'`);
    const overlap = `SELECT count(*)::int AS n FROM bookings WHERE starts_at < $2 AND ends_at > $1`;
    const end = Date.parse('2027-01-01T00:00:00Z');
    const kpis = (name: string, days: number, back = 0): Case => {
      const to = new Date(end - back * 24 * H);
      const from = new Date(to.getTime() - days * 24 * H);
      return {
        name: `kpis, ${name}`,
        sql: KPI_SQL,
        params: [from, to, 'r', null],
        inRange: overlap,
        inRangeParams: [from, to],
      };
    };
    // a request for the next week: usage over [earliest - 7 days, deadline + 7 days), as the booking path asks
    const fromH = (end - 7 * 24 * H) / H;
    const toH = (end + 14 * 24 * H) / H;
    const cases: Case[] = [
      kpis('the last 7 days', 7),
      kpis('the last 30 days', 30),
      kpis('the last 366 days', 366),
      kpis('7 days a year back', 7, 365),
      {
        name: "one startup's usage (booking path)",
        sql: S.usage.text,
        params: [[st.id], fromH, toH],
        inRange: `${overlap} AND org_id = $3`,
        inRangeParams: [new Date(fromH * H), new Date(toH * H), st.id],
      },
    ];

    const q = ds.createQueryRunner();
    const rows: string[][] = [
      ['statement', 'bookings in range', 'ms', 'rows read', 'ms without', 'rows read without', 'speed-up'],
    ];
    try {
      const inRange: number[] = [];
      const withIdx: { ms: number; read: number }[] = [];
      for (const c of cases) {
        const [{ n }] = (await q.query(c.inRange, c.inRangeParams)) as { n: number }[];
        inRange.push(n);
        withIdx.push(await measure(q, c));
      }
      // the same statements as the ledger was before the indexes (the schema is dropped at the end)
      await q.query(`DROP INDEX bookings_cluster_end_idx, bookings_org_end_idx`);
      await q.query(`ANALYZE bookings`);
      for (let i = 0; i < cases.length; i++) {
        const without = await measure(q, cases[i]);
        rows.push([
          cases[i].name,
          fmt(inRange[i]),
          fmt(withIdx[i].ms, 1),
          fmt(withIdx[i].read),
          fmt(without.ms, 1),
          fmt(without.read),
          `${(without.ms / withIdx[i].ms).toFixed(1)}x`,
        ]);
      }
    } finally {
      await q.release();
    }
    process.stdout.write(
      `\n${fmt(N)} bookings over 2025-2026 (5 clusters, 49 startups), PostgreSQL, jit off, median of 7:\n\n${table(rows)}\n`,
    );
  } finally {
    await ds.destroy();
    await dropSchema(url, schema);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
