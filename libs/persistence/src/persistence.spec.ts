import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dropSchema, openDataSource, openScratchDataSource, pgErrorCode } from './data-source';
import { MIGRATIONS } from './migrations';

// Runs on PGlite in memory, or on DATABASE_URL in a schema of its own.
const url = process.env.DATABASE_URL;

describe(`persistence (${url ? 'PostgreSQL' : 'PGlite'})`, () => {
  let ds: DataSource;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ ds, close } = await openScratchDataSource('t_persist'));
  }, 60_000);
  afterAll(() => close?.());

  it('applies the migrations, and the entities match them exactly', async () => {
    expect(await ds.showMigrations()).toBe(false);
    const sql = await ds.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('the ledger refuses overbooking and over-allocating green', async () => {
    const [org] = await ds.query(`INSERT INTO organizations (name, role) VALUES ('op', 'OPERATOR') RETURNING id`);
    const [cl] = await ds.query(
      `INSERT INTO clusters (owner_org_id, name, region, accelerator, capacity_tflops, kw_per_pflops, pue, price_per_pflops_hour, grid_price_per_mwh)
       VALUES ($1, 'c', 'r', 'a', 1000, 5, 1.2, 1, 100) RETURNING id`,
      [org.id],
    );
    await ds.query(
      `INSERT INTO cluster_hours (cluster_id, hour, capacity_tflops, green_supply_w) VALUES ($1, '2030-01-01T00:00Z', 1000, 500)`,
      [cl.id],
    );
    await ds.query(`UPDATE cluster_hours SET booked_tflops = booked_tflops + 1000 WHERE cluster_id = $1`, [cl.id]);
    const over = await ds
      .query(`UPDATE cluster_hours SET booked_tflops = booked_tflops + 1 WHERE cluster_id = $1`, [cl.id])
      .catch((e: unknown) => e);
    expect(pgErrorCode(over)).toBe('23514');
    const green = await ds
      .query(`UPDATE cluster_hours SET green_alloc_w = 501 WHERE cluster_id = $1`, [cl.id])
      .catch((e: unknown) => e);
    expect(pgErrorCode(green)).toBe('23514');
    const [row] = await ds.query(
      `SELECT booked_tflops, green_alloc_w::int AS g FROM cluster_hours WHERE cluster_id = $1`,
      [cl.id],
    );
    expect(row).toEqual({ booked_tflops: 1000, g: 0 });
  });

  it('serialises concurrent transactions (one PGlite session is leased, never shared)', async () => {
    await ds.query(`CREATE TABLE IF NOT EXISTS counter (n int NOT NULL)`);
    await ds.query(`INSERT INTO counter VALUES (0)`);
    await Promise.all(
      Array.from({ length: 10 }, () =>
        ds.transaction(async (m) => {
          const [{ n }] = await m.query(`SELECT n FROM counter`);
          await new Promise((r) => setTimeout(r, 2));
          await m.query(`UPDATE counter SET n = $1`, [n + 1]);
        }),
      ),
    );
    const [{ n }] = await ds.query(`SELECT n FROM counter`);
    // on PostgreSQL read-committed lost updates are possible, so only PGlite asserts 10
    if (!url) expect(n).toBe(10);
    else expect(n).toBeGreaterThanOrEqual(1);
  });

  it('a database with the first BookingSpans (a GiST over the span) gets the B-trees every other one has', async () => {
    const indexes = async () =>
      (
        await ds.query(
          `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'bookings' AND indexname IN ('bookings_span_idx', 'bookings_cluster_end_idx', 'bookings_org_end_idx') ORDER BY 1`,
        )
      ).map((r: { indexname: string }) => r.indexname);
    const all = ['bookings_cluster_end_idx', 'bookings_org_end_idx'];
    expect(await indexes()).toEqual(all);
    // the schema as commit 5979b5f's BookingSpans left it
    await ds.query(`DROP INDEX bookings_cluster_end_idx`);
    await ds.query(`CREATE INDEX bookings_span_idx ON bookings USING gist (tstzrange(starts_at, ends_at))`);
    const repair = MIGRATIONS.find((M) => M.name === 'BookingSpansRepair1765400000000')!;
    // (through the data source's own session: PGlite has one)
    await ds.transaction((m) => new repair().up(m.queryRunner!));
    expect(await indexes()).toEqual(all);
    await ds.transaction((m) => new repair().up(m.queryRunner!)); // and changes nothing on a database that has them
    expect(await indexes()).toEqual(all);
  });

  it('the migration goes down and up again', async () => {
    const exists = async () => (await ds.query(`SELECT to_regclass('cluster_hours')::text AS t`))[0].t;
    expect(await exists()).toBe('cluster_hours');
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration();
    expect(await exists()).toBeNull();
    expect(await ds.showMigrations()).toBe(true);
    await ds.runMigrations();
    expect(await exists()).toBe('cluster_hours');
  });
});

// Needs PostgreSQL: concurrent sessions on one fresh schema (PGlite is a single session).
(url ? describe : describe.skip)('migrations on a fresh database (PostgreSQL)', () => {
  it('replicas starting together apply each migration exactly once', async () => {
    const fresh = `t_migr_${randomBytes(4).toString('hex')}`;
    const opened = await Promise.allSettled([1, 2, 3].map(() => openDataSource({ url: url!, schema: fresh })));
    try {
      expect(opened.map((o) => (o.status === 'rejected' ? String(o.reason) : o.status))).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      const ds = (opened[0] as PromiseFulfilledResult<DataSource>).value;
      const rows: { name: string }[] = await ds.query(`SELECT name FROM migrations ORDER BY id`);
      expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
    } finally {
      for (const o of opened) if (o.status === 'fulfilled') await o.value.destroy();
      await dropSchema(url!, fresh);
    }
  }, 60_000);
});
if (!url) console.log('persistence: "migrations on a fresh database" SKIPPED, needs PostgreSQL (set DATABASE_URL)');
