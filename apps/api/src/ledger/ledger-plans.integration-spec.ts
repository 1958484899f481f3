import { openScratchDataSource } from '@pflex/persistence';
import { DataSource } from 'typeorm';
import { KPI_SQL } from '../kpis/kpis.service';
import { S } from './ledger.statements';

const url = process.env.DATABASE_URL;

/** The generic plan PostgreSQL caches for a named statement: what every later call runs. */
async function genericPlan(ds: DataSource, name: string, text: string): Promise<string> {
  const params = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
  const qr = ds.createQueryRunner();
  try {
    await qr.query(`SET plan_cache_mode = force_generic_plan`);
    await qr.query(`PREPARE ${name} AS ${text}`);
    const rows: { 'QUERY PLAN': string }[] = await qr.query(
      `EXPLAIN EXECUTE ${name}(${Array.from({ length: params }, () => 'NULL').join(', ')})`,
    );
    await qr.query(`DEALLOCATE ${name}`);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await qr.query(`RESET plan_cache_mode`);
    await qr.release();
  }
}

describe(`the ledger's prepared statements (${url ? 'PostgreSQL' : 'PGlite'})`, () => {
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ ds, close } = await openScratchDataSource('t_plans', 2));
  }, 60_000);
  afterAll(() => close?.());

  // A named statement's generic plan is made once per connection, often while the database is
  // young; it is kept until the next ANALYZE. Planned on an empty `bookings`, none may scan it
  // whole: the table only grows, and a scan would run on every booking.
  it.each(Object.values(S).map((s) => [s.name, s.text]))(
    '%s: its generic plan, made on an empty database, reads bookings through an index',
    async (name, text) => {
      const plan = await genericPlan(ds, `t_${name}`, text);
      expect(plan).not.toMatch(/Seq Scan on bookings/);
      // a startup's usage reads the bookings of the startup ending after the window opens
      if (name === S.usage.name) expect(plan).toMatch(/bookings_org_end_idx/);
    },
  );
});

// "Bookings overlapping [from, to)" must cost what lies in the range, not the history before it:
// a market that has run for two years must not read two years of bookings for a week's figures or
// for a startup's next booking.
describe(`bookings overlapping a range, on a two-year history (${url ? 'PostgreSQL' : 'PGlite'})`, () => {
  let ds: DataSource;
  let startup: string;
  let close: (() => Promise<void>) | undefined;
  // the last week of the history ("now" is its end), and its first week
  const from = new Date('2026-12-24T00:00:00Z');
  const to = new Date('2026-12-31T00:00:00Z');
  const first = [new Date('2025-01-01T00:00:00Z'), new Date('2025-01-08T00:00:00Z')];
  const hourOf = (d: Date) => d.getTime() / 3_600_000;
  const explain = async (sql: string, params: unknown[]) => {
    const rows: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN ${sql}`, params);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  beforeAll(async () => {
    ({ ds, close } = await openScratchDataSource('t_history', 2));
    const [op] = await ds.query(`INSERT INTO organizations (name, role) VALUES ('op', 'OPERATOR') RETURNING id`);
    await ds.query(`INSERT INTO organizations (name, role) SELECT 'st' || g, 'STARTUP' FROM generate_series(1, 20) g`);
    [{ id: startup }] = await ds.query(`SELECT id FROM organizations WHERE name = 'st7'`);
    await ds.query(
      `INSERT INTO clusters (owner_org_id, name, region, accelerator, capacity_tflops, kw_per_pflops, pue, price_per_pflops_hour, grid_price_per_mwh)
       SELECT $1, 'c' || g, 'r', 'a', 1000000, 5, 1.2, 1, 100 FROM generate_series(1, 3) g`,
      [op.id],
    );
    // 20,000 bookings of 1-24 h spread over 2025-2026, of 20 startups
    await ds.query(
      `WITH o AS (SELECT array_agg(id ORDER BY name) AS a FROM organizations WHERE role = 'STARTUP'),
            c AS (SELECT array_agg(id ORDER BY name) AS a FROM clusters),
            g AS (SELECT n, (1 + n * 7919 % 24)::int AS h, timestamptz '2025-01-01' + make_interval(hours => (n * 104729 % 17520)::int) AS s
                  FROM generate_series(1::bigint, 20000::bigint) n)
       INSERT INTO bookings (org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective,
                             green_mwh, grid_mwh, green_share, price_compute, price_green_energy, price_grid_energy, price_total, status, idempotency_key, request_fingerprint)
       SELECT o.a[1 + n % 20], c.a[1 + n % 3], g.s, g.s + make_interval(hours => g.h), g.h, 1000, 6000, array_fill(0::bigint, ARRAY[g.h]),
              array_fill(0::bigint, ARRAY[g.h]), array_fill(100::float8, ARRAY[g.h]), 'EARLIEST', 0, 0, 0, 1, 0, 0, 1, 'CONFIRMED', 'k' || n, '[]'
       FROM g, o, c`,
    );
    await ds.query(`ANALYZE bookings`);
  }, 120_000);
  afterAll(() => close?.());

  it("the bureau's kpis for a week read from the side of the range that holds fewer bookings, never the whole table", async () => {
    // the last week: the bookings that end after it starts
    const last = await explain(KPI_SQL, [from, to, 'r', null]);
    expect(last).not.toMatch(/Seq Scan on bookings/);
    expect(last).toMatch(/bookings_cluster_end_idx/);
    // the first week: the bookings that start before it ends
    const early = await explain(KPI_SQL, [...first, 'r', null]);
    expect(early).not.toMatch(/Seq Scan on bookings/);
    expect(early).toMatch(/bookings_cluster_time_idx/);
  });

  it("a startup's usage around its next request reads its bookings ending after the window opens, not its history", async () => {
    // the generic plan (what the booking path's named statement runs), made on this history
    expect(await genericPlan(ds, 't_usage_history', S.usage.text)).toMatch(/bookings_org_end_idx/);
    const plan = await explain(S.usage.text, [[startup], hourOf(from), hourOf(to)]);
    expect(plan).toMatch(/bookings_org_end_idx/);
  });
});
