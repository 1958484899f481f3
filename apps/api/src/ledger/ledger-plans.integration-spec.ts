import { dropSchema, openDataSource } from '@pflex/persistence';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { S } from './ledger.statements';

const url = process.env.DATABASE_URL;
const schema = url ? `t_plans_${randomBytes(4).toString('hex')}` : undefined;

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
  beforeAll(async () => {
    ds = await openDataSource(url ? { url, schema, poolSize: 2 } : { memory: true });
  }, 60_000);
  afterAll(async () => {
    await ds?.destroy();
    if (url && schema) await dropSchema(url, schema);
  });

  // A named statement's generic plan is made once per connection, often while the database is
  // young; it is kept until the next ANALYZE. Planned on an empty `bookings`, none may scan it
  // whole: the table only grows, and a scan would run on every booking.
  it.each(Object.values(S).map((s) => [s.name, s.text]))(
    '%s: its generic plan, made on an empty database, reads bookings through an index',
    async (name, text) => {
      const plan = await genericPlan(ds, `t_${name}`, text);
      expect(plan).not.toMatch(/Seq Scan on bookings/);
    },
  );
});
