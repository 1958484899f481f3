import { dropSchema } from '@pflex/persistence';
import { Client } from 'pg';
import { checkInvariants as checkAll } from '../../../load-tests/check-invariants';
import { TimelinesService } from '../src/ledger/timelines.service';
import { bootTestApp, DATABASE_URL, gqlAt, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { id clusterId startsAt hours pflops greenShare } }`;

// Concurrent transactions need a server with many connections: PGlite is one session, so on it
// every transaction runs after the other and these races cannot happen. Run with DATABASE_URL.
const onPostgres = DATABASE_URL ? describe : describe.skip;
if (!DATABASE_URL) {
  // straight to stderr: Jest does not show console output of a file whose tests are all skipped
  process.stderr.write(
    'concurrency.integration-spec: SKIPPED, needs PostgreSQL (DATABASE_URL=$(scripts/pg-up.sh) npm test)\n',
  );
}

onPostgres('concurrency on PostgreSQL: two API instances, one database', () => {
  let a: TestApp;
  let b: TestApp;
  let db: Client;
  let operator: string;
  let startups: string[];

  beforeAll(async () => {
    a = await bootTestApp();
    b = await bootTestApp({ schema: a.schema });
    db = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${a.schema}` });
    await db.connect();
    operator = (await a.createOrg('OPERATOR')).key;
    startups = [];
    for (let i = 0; i < 6; i++) startups.push((await (i % 2 ? b : a).createOrg('STARTUP')).key);
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await b?.running.shutdown(5000);
    await a?.close();
  });

  /** A GREENEST booking of 10 PFLOPS x 2 h in [hour(2), hour(to)) on `cluster`, on instance a or b by `i`. */
  const greenBooking = (i: number, cluster: string, to: number, k: string, minGreenShare: number) =>
    gqlAt(
      (i % 2 ? a : b).url,
      BOOK,
      {
        r: {
          pflops: 10,
          hours: 2,
          earliestStart: hour(2),
          deadline: hour(to),
          clusterIds: [cluster],
          ...(minGreenShare > 0 ? { minGreenShare } : {}),
        },
        o: 'GREENEST',
        k,
      },
      startups[i % startups.length],
    );

  /** Ledger equals the sum of confirmed bookings, and never exceeds capacity or green supply. */
  async function checkInvariants(cluster: string) {
    const over = await db.query(
      `SELECT hour FROM cluster_hours WHERE cluster_id = $1 AND (booked_tflops > capacity_tflops OR green_alloc_w > green_supply_w OR booked_tflops < 0 OR green_alloc_w < 0)`,
      [cluster],
    );
    expect(over.rows).toEqual([]);
    const mismatch = await db.query(
      `WITH per_hour AS (
         SELECT h.hour, COALESCE(SUM(b.tflops), 0) AS tflops, COALESCE(SUM(b.green_w[1 + (extract(epoch FROM h.hour - b.starts_at) / 3600)::int]), 0) AS green
         FROM cluster_hours h LEFT JOIN bookings b ON b.cluster_id = h.cluster_id AND b.status = 'CONFIRMED' AND h.hour >= b.starts_at AND h.hour < b.ends_at
         WHERE h.cluster_id = $1 GROUP BY h.hour)
       SELECT p.hour FROM per_hour p JOIN cluster_hours h ON h.cluster_id = $1 AND h.hour = p.hour
       WHERE p.tflops <> h.booked_tflops OR p.green <> h.green_alloc_w`,
      [cluster],
    );
    expect(mismatch.rows).toEqual([]);
  }

  it('oversubscribing one cluster from many clients on two instances never overbooks, and every acknowledged booking is stored', async () => {
    // 100 PFLOPS x 6 hours = 600 PFLOPS-h; 1 MW of green over the same hours; demand is ~3x that
    const cluster = await a.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    await a.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 1, source: WIND, pricePerMwh: 200) { id } }`,
      { c: cluster, s: hour(2), e: hour(8) },
      operator,
    );
    const requests = Array.from({ length: 60 }, (_, i) => ({
      app: i % 2 ? b : a,
      key: startups[i % startups.length],
      vars: {
        r: {
          pflops: 10 + (i % 3) * 7,
          hours: 1 + (i % 3),
          earliestStart: hour(2),
          deadline: hour(8),
          clusterIds: [cluster],
          ...(i % 4 === 0 ? { minGreenShare: 0.5 } : {}),
        },
        o: ['EARLIEST', 'GREENEST', 'CHEAPEST'][i % 3],
        k: `race-${i}`,
      },
    }));
    const results = await Promise.all(requests.map((q) => gqlAt(q.app.url, BOOK, q.vars, q.key)));
    const acked = results.filter((r) => r.data?.bookCompute).map((r) => r.data.bookCompute);
    const refused = results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code);
    expect(acked.length + refused.length).toBe(60);
    expect(acked.length).toBeGreaterThan(10);
    expect(refused.length).toBeGreaterThan(0);
    expect(new Set(refused)).toEqual(new Set(refused.filter((c) => c === 'NO_CAPACITY' || c === 'GREEN_SHORTFALL')));
    const stored = await db.query(`SELECT id FROM bookings WHERE cluster_id = $1 AND status = 'CONFIRMED'`, [cluster]);
    expect(new Set(stored.rows.map((r) => r.id))).toEqual(new Set(acked.map((x) => x.id)));
    await checkInvariants(cluster);
    const full = await db.query(
      `SELECT sum(booked_tflops)::int AS s FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3`,
      [cluster, hour(2), hour(8)],
    );
    expect(full.rows[0].s).toBeLessThanOrEqual(600_000);
    // a cancellation racing new bookings keeps the ledger exact
    const victim = acked[0];
    const more = await Promise.all([
      gqlAt(
        a.url,
        `mutation($id: ID!) { cancelBooking(id: $id) { status } }`,
        { id: victim.id },
        requests[results.findIndex((r) => r.data?.bookCompute?.id === victim.id)].key,
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        gqlAt((i % 2 ? a : b).url, BOOK, { ...requests[i].vars, k: `race-more-${i}` }, requests[i].key),
      ),
    ]);
    expect(more[0].data?.cancelBooking.status).toBe('CANCELLED');
    await checkInvariants(cluster);
  }, 120_000);

  it('two instances filling the last grid MW of a site never draw past its reservation', async () => {
    // two 100-PFLOPS clusters behind one site reserving 1 MW: 200 PFLOPS of capacity, 100 PFLOPS of grid (10 kW per PFLOPS)
    const x = await a.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const y = await b.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const site = (await a.ok(`mutation { createSite(input: { name: "race", region: "Zhuhai" }) { id } }`, {}, operator))
      .createSite.id;
    for (const c of [x, y])
      await a.ok(
        `mutation($c: ID!, $s: ID) { setClusterSite(clusterId: $c, siteId: $s) { id } }`,
        { c, s: site },
        operator,
      );
    await b.ok(
      `mutation($s: ID!, $f: DateTime!, $t: DateTime!) { setGridCapacity(siteId: $s, from: $f, to: $t, megawatts: 1) { siteId } }`,
      { s: site, f: hour(20), t: hour(24) },
      operator,
    );
    // 40 requests of 10 PFLOPS (0.1 MW) for the same two hours, half per instance, on either cluster
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        gqlAt(
          (i % 2 ? b : a).url,
          BOOK,
          {
            r: { pflops: 10, hours: 2, earliestStart: hour(21), deadline: hour(23), clusterIds: [i % 4 < 2 ? x : y] },
            o: 'EARLIEST',
            k: `grid-race-${i}`,
          },
          startups[i % startups.length],
        ),
      ),
    );
    const acked = results.filter((r) => r.data?.bookCompute);
    const refused = results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code);
    expect(acked.length).toBe(10);
    expect(new Set(refused)).toEqual(new Set(['GRID_LIMIT']));
    const used = await db.query(
      `SELECT grid_used_w::float8 AS u, grid_cap_w::float8 AS c FROM site_hours WHERE site_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`,
      [site, hour(21), hour(23)],
    );
    expect(used.rows).toEqual([
      { u: 1_000_000, c: 1_000_000 },
      { u: 1_000_000, c: 1_000_000 },
    ]);
    // the whole checker: grid per cluster-hour and per site-hour equal the bookings, within the reservation
    expect((await checkAll(db, undefined)).filter((r) => !r.ok)).toEqual([]);
  }, 120_000);

  it("a cluster moving to another site while bookings land on it leaves each site with exactly its clusters' grid", async () => {
    const x = await a.registerCluster(operator, { capacityPflops: 1000, kwPerPflops: 10, pue: 1 });
    const site = async (name: string) =>
      (
        await a.ok(
          `mutation($n: String!) { createSite(input: { name: $n, region: "Zhuhai" }) { id } }`,
          { n: name },
          operator,
        )
      ).createSite.id as string;
    const [s1, s2] = [await site('move-from'), await site('move-to')];
    const MOVE = `mutation($c: ID!, $s: ID) { setClusterSite(clusterId: $c, siteId: $s) { id } }`;
    await a.ok(MOVE, { c: x, s: s1 }, operator);
    const book = (i: number) =>
      gqlAt(
        (i % 2 ? b : a).url,
        BOOK,
        {
          r: { pflops: 5, hours: 2, earliestStart: hour(30), deadline: hour(40), clusterIds: [x] },
          o: 'EARLIEST',
          k: `move-race-${i}`,
        },
        startups[i % startups.length],
      );
    // bookings before, during and after two moves (s1 -> s2 -> s1 -> s2)
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => book(i)),
      b.gql(MOVE, { c: x, s: s2 }, operator),
      ...Array.from({ length: 10 }, (_, i) => book(10 + i)),
      a.gql(MOVE, { c: x, s: s1 }, operator),
      ...Array.from({ length: 10 }, (_, i) => book(20 + i)),
      b.gql(MOVE, { c: x, s: s2 }, operator),
    ]);
    expect(results.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code)).toEqual([]);
    expect((await checkAll(db, undefined)).filter((r) => !r.ok)).toEqual([]);
    const drawn = await db.query(
      `SELECT site_id, sum(grid_used_w)::float8 AS w FROM site_hours WHERE site_id = ANY($1::uuid[]) GROUP BY 1`,
      [[s1, s2]],
    );
    // 30 bookings x 2 h x 50 kW, all on the site the cluster ended on (the moves raced: either)
    const [{ site_id: last }] = (await db.query(`SELECT site_id FROM clusters WHERE id = $1`, [x])).rows;
    const per = Object.fromEntries(drawn.rows.map((r) => [r.site_id, r.w]));
    expect(per[last]).toBe(30 * 2 * 50_000);
    expect(per[last === s1 ? s2 : s1] ?? 0).toBe(0);
  }, 120_000);

  it('capacity cuts and green window removals racing bookings keep every invariant', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 60, kwPerPflops: 10, pue: 1 });
    const addWindow = (app: TestApp) =>
      app.ok(
        `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.3, source: SOLAR, pricePerMwh: 100) { id } }`,
        { c: cluster, s: hour(2), e: hour(6) },
        operator,
      );
    const windows = [(await addWindow(a)).addGreenWindow.id, (await addWindow(b)).addGreenWindow.id];
    const ops = [
      ...Array.from({ length: 24 }, (_, i) => greenBooking(i, cluster, 6, `mix-${i}`, i % 3 === 0 ? 1 : 0)),
      gqlAt(
        a.url,
        `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { setCapacity(clusterId: $c, from: $f, to: $t, pflops: 20) { pflops } }`,
        { c: cluster, f: hour(2), t: hour(4) },
        operator,
      ),
      gqlAt(b.url, `mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id: windows[0] }, operator),
      gqlAt(a.url, `mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id: windows[1] }, operator),
    ];
    const results = await Promise.all(ops);
    const codes = results.flatMap((r) => r.errors?.map((e) => e.extensions?.code) ?? []);
    expect(codes.filter((c) => !['NO_CAPACITY', 'GREEN_SHORTFALL', 'CONFLICT'].includes(String(c)))).toEqual([]);
    const acked = results
      .slice(0, 24)
      .filter((r) => r.data?.bookCompute)
      .map((r) => r.data.bookCompute.id);
    const stored = await db.query(`SELECT id FROM bookings WHERE cluster_id = $1 AND status = 'CONFIRMED'`, [cluster]);
    expect(new Set(stored.rows.map((r) => r.id))).toEqual(new Set(acked));
    await checkInvariants(cluster);
    // a refused capacity cut or window removal changed nothing
    const cap = await db.query(
      `SELECT DISTINCT capacity_tflops FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3`,
      [cluster, hour(2), hour(4)],
    );
    expect(cap.rows.length).toBe(1);
    expect([20_000, 60_000]).toContain(cap.rows[0].capacity_tflops);
    const removed = results.slice(25).filter((r) => r.data?.removeGreenWindow).length;
    const supply = await db.query(
      `SELECT DISTINCT green_supply_w::int AS s FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3`,
      [cluster, hour(2), hour(6)],
    );
    expect(supply.rows).toEqual([{ s: 600_000 - removed * 300_000 }]);
  }, 60_000);

  it('forecast imports racing green bookings on both instances keep every invariant and both timelines on the ledger', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 60, kwPerPflops: 10, pue: 1 });
    const IMPORT = `mutation($c: ID!, $f: DateTime!, $t: DateTime!, $rows: [GreenForecastRowInput!]!) { importGreenForecast(clusterId: $c, from: $f, to: $t, rows: $rows) { windowsReplaced revisionIds } }`;
    // hourly rows over [2, 8): one forecast with little green (bookings lose some), one with plenty
    const forecast = (mw: number) =>
      Array.from({ length: 6 }, (_, i) => ({
        startsAt: hour(2 + i),
        endsAt: hour(3 + i),
        megawatts: mw,
        pricePerMwh: 90,
      }));
    await a.ok(IMPORT, { c: cluster, f: hour(2), t: hour(8), rows: forecast(0.4) }, operator);
    const book = (i: number) => greenBooking(i, cluster, 8, `import-race-${i}`, i % 4 === 0 ? 0.5 : 0);
    const imp = (app: TestApp, mw: number) =>
      gqlAt(app.url, IMPORT, { c: cluster, f: hour(2), t: hour(8), rows: forecast(mw) }, operator);
    const results = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => book(i)),
      imp(b, 0.1),
      ...Array.from({ length: 6 }, (_, i) => book(6 + i)),
      imp(a, 0.7),
      ...Array.from({ length: 6 }, (_, i) => book(12 + i)),
      imp(b, 0.2),
    ]);
    const codes = results.flatMap((r) => r.errors?.map((e) => e.extensions?.code) ?? []);
    expect(codes.filter((c) => !['NO_CAPACITY', 'GREEN_SHORTFALL'].includes(String(c)))).toEqual([]);
    expect(results.filter((r) => r.data?.bookCompute).length).toBeGreaterThan(0);
    const acked = results.filter((r) => r.data?.bookCompute).map((r) => r.data.bookCompute.id);
    const stored = await db.query(`SELECT id FROM bookings WHERE cluster_id = $1 AND status = 'CONFIRMED'`, [cluster]);
    expect(new Set(stored.rows.map((r) => r.id))).toEqual(new Set(acked));
    await checkInvariants(cluster);
    expect((await checkAll(db, undefined)).filter((r) => !r.ok)).toEqual([]);
    // both processes' timelines end on the ledger (each import is one version they read again)
    const ledger = await db.query(
      `SELECT (extract(epoch FROM hour) / 3600)::int AS h, green_supply_w::int AS s, green_alloc_w::int AS g, booked_tflops AS tf
       FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`,
      [cluster, new Date(hour(2)), new Date(hour(8))],
    );
    const [{ v }] = (await db.query(`SELECT version::int AS v FROM ledger_versions WHERE cluster_id = $1`, [cluster]))
      .rows;
    for (const app of [a, b]) {
      const tl = app.running.app.get(TimelinesService);
      const deadline = Date.now() + 5000;
      while (tl.version(cluster) < v && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(tl.version(cluster)).toBe(v);
      const line = tl.fleet!.timeline(cluster);
      expect(
        ledger.rows.map((r) => {
          const k = r.h - tl.base;
          return {
            h: r.h,
            s: line.greenSupplyW[k],
            g: line.greenSupplyW[k] - line.greenFreeW[k],
            tf: line.capacityTflops[k] - line.freeTflops[k],
          };
        }),
      ).toEqual(ledger.rows.map((r) => ({ h: r.h, s: r.s, g: r.g, tf: r.tf })));
    }
  }, 60_000);

  it('concurrent retries with one idempotency key on both instances create exactly one booking', async () => {
    const cluster = await b.registerCluster(operator, { capacityPflops: 50 });
    const vars = {
      r: { pflops: 5, hours: 2, earliestStart: hour(3), deadline: hour(20), clusterIds: [cluster] },
      o: 'EARLIEST',
      k: 'same-key',
    };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => gqlAt((i % 2 ? a : b).url, BOOK, vars, startups[0])),
    );
    const ids = new Set(results.map((r) => r.data?.bookCompute?.id));
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(ids.size).toBe(1);
    const rows = await db.query(`SELECT id FROM bookings WHERE idempotency_key = 'same-key'`);
    expect(rows.rows.map((r) => r.id)).toEqual([...ids]);
    const booked = await db.query(
      `SELECT booked_tflops FROM cluster_hours WHERE cluster_id = $1 AND booked_tflops > 0`,
      [cluster],
    );
    expect(booked.rows.map((r) => r.booked_tflops)).toEqual([5000, 5000]);
  }, 60_000);
});

onPostgres('the demo seed, with processes starting together on a fresh schema', () => {
  it('seeds once: one set of demo organizations, clusters and windows, and both processes serve', async () => {
    const schema = `t_seed_${Date.now().toString(36)}`;
    const apps = await Promise.all([0, 1].map(() => bootTestApp({ schema, config: { demoSeed: true } })));
    try {
      const db = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
      await db.connect();
      try {
        const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
        expect(await count(`SELECT count(*) AS n FROM organizations WHERE name LIKE 'Demo %'`)).toBe(3);
        expect(await count(`SELECT count(*) - count(DISTINCT name) AS n FROM clusters`)).toBe(0);
        expect(await count(`SELECT count(*) AS n FROM clusters`)).toBeGreaterThan(0);
        expect(
          await count(
            `SELECT count(*) AS n FROM (SELECT cluster_id, starts_at, source FROM green_windows GROUP BY 1, 2, 3 HAVING count(*) > 1) d`,
          ),
        ).toBe(0);
      } finally {
        await db.end();
      }
      for (const app of apps)
        expect((await app.ok(`{ me { role } }`, {}, app.running.demoKeys!.startup)).me.role).toBe('STARTUP');
    } finally {
      for (const app of apps) await app.close();
      await dropSchema(DATABASE_URL!, schema);
    }
  }, 120_000);
});
