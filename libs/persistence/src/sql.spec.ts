import { DataSource } from 'typeorm';
import { openScratchDataSource } from './data-source';
import { dbStats, sqlPoolOf } from './sql';

const url = process.env.DATABASE_URL;

describe(`plain statements over TypeORM's pool (${url ? 'PostgreSQL' : 'PGlite'})`, () => {
  let ds: DataSource;
  let schema: string | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ ds, schema, close } = await openScratchDataSource('t_sql', 2));
  }, 60_000);
  afterAll(() => close?.());

  it('runs named statements in a leased session and counts every round trip', async () => {
    const pool = sqlPoolOf(ds);
    const before = dbStats.roundTrips;
    const c = await pool.connect();
    try {
      await c.exec('BEGIN');
      const a = await c.query<{ n: number }>({ name: 't_sql_add', text: 'SELECT $1::int + $2::int AS n' }, [2, 3]);
      const b = await c.query<{ n: number }>({ name: 't_sql_add', text: 'SELECT $1::int + $2::int AS n' }, [4, 5]);
      await c.exec('COMMIT');
      expect([a[0].n, b[0].n]).toEqual([5, 9]);
    } finally {
      c.release();
    }
    expect(dbStats.roundTrips - before).toBe(4);
  });

  (url ? it : it.skip)(
    'sessions run without JIT compilation (its compile took longer than the statements)',
    async () => {
      expect(await ds.query(`SHOW jit`)).toEqual([{ jit: 'off' }]);
      expect(await ds.query(`SHOW search_path`)).toEqual([{ search_path: schema }]);
    },
  );

  (url ? it : it.skip)(
    'a leased connection the server drops does not end the process; the next lease works',
    async () => {
      const pool = sqlPoolOf(ds);
      const c = await pool.connect();
      // what would end the process: an 'error' event of the leased client with nobody listening
      const client = (
        (ds.driver as unknown as { master: { _clients: { processID: number; listenerCount(e: string): number }[] } })
          .master._clients ?? []
      ).slice();
      const [{ pid }] = await c.exec<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const leased = client.find((x) => x.processID === pid);
      expect(leased?.listenerCount('error')).toBeGreaterThan(0);
      await ds.query('SELECT pg_terminate_backend($1)', [pid]);
      await new Promise((r) => setTimeout(r, 300));
      await expect(c.exec('SELECT 1')).rejects.toBeDefined();
      c.release();
      const d = await pool.connect();
      try {
        expect(await d.exec<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      } finally {
        d.release();
      }
    },
  );
});
