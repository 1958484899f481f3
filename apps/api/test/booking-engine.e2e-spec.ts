import { Client } from 'pg';
import { BookingCommitter } from '../src/bookings/booking-committer';
import { BookingsService } from '../src/bookings/bookings.service';
import { ObjectiveEnum } from '../src/bookings/dtos/booking.model';
import { ChangeFeed } from '../src/events/change-feed.service';
import { TimelinesService } from '../src/ledger/timelines.service';
import type { Principal } from '../src/security/principal';
import { bootTestApp, DATABASE_URL, gqlAt, hour, HOUR, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { id clusterId startsAt hours pflops greenShare price { total voucher totalAfterVoucher } voucherId } }`;
const GREEN = `mutation($c: ID!, $s: DateTime!, $e: DateTime!, $mw: Float!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: $mw, source: SOLAR, pricePerMwh: 100) { id } }`;

/** The process's in-memory timelines of a cluster over [from, to) equal the ledger rows. */
async function cacheMatchesLedger(
  app: TestApp,
  db: { query: (q: string, v: unknown[]) => Promise<{ rows: any[] }> },
  cluster: string,
  from: string,
  to: string,
): Promise<void> {
  const t = app.running.app.get(TimelinesService);
  const rows = (
    await db.query(
      `SELECT (extract(epoch FROM hour) / 3600)::int AS h, capacity_tflops AS c, booked_tflops AS b, green_supply_w::float8 AS s, green_alloc_w::float8 AS a
       FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`,
      [cluster, from, to],
    )
  ).rows;
  expect(rows.length).toBeGreaterThan(0);
  const tl = t.fleet!.timeline(cluster);
  const mem = rows.map((r) => {
    const k = r.h - t.base;
    return {
      h: r.h,
      c: tl.capacityTflops[k],
      b: tl.capacityTflops[k] - tl.freeTflops[k],
      s: tl.greenSupplyW[k],
      a: tl.greenSupplyW[k] - tl.greenFreeW[k],
    };
  });
  expect(mem).toEqual(rows.map((r) => ({ h: r.h, c: r.c, b: r.b, s: Number(r.s), a: Number(r.a) })));
}

describe('booking engine: group commit', () => {
  let t: TestApp;
  let operator: string;
  let cluster: string;

  beforeAll(async () => {
    t = await bootTestApp();
    operator = (await t.createOrg('OPERATOR')).key;
    cluster = await t.registerCluster(operator, {
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
    });
  }, 60_000);
  afterAll(() => t?.close());

  it('one member failing a quota, idempotency or capacity check never fails the others of its group', async () => {
    const [s1, s2, s3, s4] = [
      await t.createOrg('STARTUP'),
      await t.createOrg('STARTUP'),
      await t.createOrg('STARTUP'),
      await t.createOrg('STARTUP'),
    ];
    await t.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
      i: { organizationId: s1.id, maxPflopsHoursPer7Days: 10 },
    });
    await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
      i: { organizationId: s3.id, percentCovered: 100, cap: 5, validFrom: hour(0), validUntil: hour(48) },
    });
    const r = (pflops: number, hours = 1) => ({
      pflops,
      hours,
      earliestStart: new Date(hour(2)),
      deadline: new Date(hour(10)),
      clusterIds: [cluster],
    });
    await t.ok(BOOK, { r: { ...r(5), earliestStart: hour(2), deadline: hour(10) }, o: 'EARLIEST', k: 'dup' }, s2.key);
    const before = (
      await t.ok(
        BOOK,
        { r: { ...r(6), earliestStart: hour(2), deadline: hour(10) }, o: 'EARLIEST', k: 'replay' },
        s2.key,
      )
    ).bookCompute;

    const svc = t.running.app.get(BookingsService);
    const committer = t.running.app.get(BookingCommitter);
    const groups = committer.stats.groups;
    const p = (o: { id: string }): Principal => ({ orgId: o.id, name: 'x', role: 'STARTUP' });
    // all submitted in one turn of the event loop: one group
    const calls = [
      svc.book(p(s1), r(20), ObjectiveEnum.EARLIEST, 'over-quota'),
      svc.book(p(s2), r(7), ObjectiveEnum.EARLIEST, 'dup'),
      svc.book(p(s2), r(6), ObjectiveEnum.EARLIEST, 'replay'),
      svc.book(p(s3), r(10), ObjectiveEnum.EARLIEST, 'voucher-1'),
      svc.book(p(s3), r(10), ObjectiveEnum.EARLIEST, 'voucher-2'),
      svc.book(p(s4), r(500), ObjectiveEnum.EARLIEST, 'too-big'),
      svc.book(p(s4), r(30, 2), ObjectiveEnum.GREENEST, 'fine'),
    ];
    const out = await Promise.allSettled(calls);
    expect(committer.stats.groups - groups).toBe(1);
    const reason = (i: number) => (out[i].status === 'rejected' ? (out[i].reason as { code?: string }).code : 'ok');
    expect(out.map((_, i) => reason(i))).toEqual([
      'QUOTA_EXCEEDED',
      'IDEMPOTENCY_KEY_REUSED',
      'ok',
      'ok',
      'ok',
      'NO_CAPACITY',
      'ok',
    ]);
    const val = (i: number) => (out[i] as PromiseFulfilledResult<any>).value;
    expect(val(2).id).toBe(before.id);
    // the voucher (5.00, 100 %) covers the first booking in arrival order up to its cap, the second gets nothing left
    expect(val(3).price.voucher).toBe(5);
    expect(val(3).voucherId).not.toBeNull();
    expect(val(4).voucherId).toBeNull();
    // the confirmed ones are stored, the refused ones are not
    const ids = new Set(
      (await t.ok(`{ bookings(first: 100) { edges { node { id idempotencyKey } } } }`)).bookings.edges.map(
        (e: any) => e.node.idempotencyKey,
      ),
    );
    expect([...ids].sort()).toEqual(['dup', 'fine', 'replay', 'voucher-1', 'voucher-2']);
  }, 60_000);

  it('a refusal is not based on timelines behind the database: they are caught up (or reloaded) first', async () => {
    const c = await t.registerCluster(operator, { capacityPflops: 100 });
    const s = await t.createOrg('STARTUP');
    const r = { pflops: 60, hours: 1, earliestStart: hour(5), deadline: hour(6), clusterIds: [c] };
    const first = (await t.ok(BOOK, { r, o: 'EARLIEST', k: 'behind-1' }, s.key)).bookCompute;
    const feed = t.running.app.get(ChangeFeed);
    const committer = t.running.app.get(BookingCommitter);
    feed.pauseForTest();
    // the cancellation commits, but this process does not hear of it, as when another process
    // cancels: its feed is held, and the cancel's own catching up (it reads its own writes) skipped
    const sync = jest.spyOn(t.running.app.get(TimelinesService), 'sync').mockResolvedValueOnce();
    try {
      await t.ok(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id: first.id }, s.key);
      expect(sync).toHaveBeenCalledTimes(1);
      const reloads = committer.stats.reloads;
      const again = (await t.ok(BOOK, { r: { ...r, pflops: 80 }, o: 'EARLIEST', k: 'behind-2' }, s.key)).bookCompute;
      expect(again.startsAt).toBe(hour(5));
      expect(committer.stats.reloads).toBeGreaterThan(reloads);
    } finally {
      sync.mockRestore();
      feed.resumeForTest();
    }
  }, 30_000);

  it('quotes come from memory and agree with the booking that follows', async () => {
    const s = await t.createOrg('STARTUP');
    const req = { pflops: 12.5, hours: 3, earliestStart: hour(30), deadline: hour(40), clusterIds: [cluster] };
    const q = (
      await t.ok(
        `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available placement { startsAt price { total } } } }`,
        { r: req },
        s.key,
      )
    ).quotes;
    const b = (await t.ok(BOOK, { r: req, o: 'CHEAPEST', k: 'q1' }, s.key)).bookCompute;
    const cheapest = q.find((x: any) => x.objective === 'CHEAPEST').placement;
    expect(b.startsAt).toBe(cheapest.startsAt);
    expect(b.price.total).toBe(cheapest.price.total);
  });
});

const onPostgres = DATABASE_URL ? describe : describe.skip;
if (!DATABASE_URL)
  process.stderr.write(
    'booking-engine.e2e-spec (two processes): SKIPPED, needs PostgreSQL (DATABASE_URL=$(scripts/pg-up.sh) npm test)\n',
  );

onPostgres('booking engine: two processes on one PostgreSQL', () => {
  let a: TestApp;
  let b: TestApp;
  let db: Client;
  let operator: string;
  let startup: { id: string; key: string };

  beforeAll(async () => {
    a = await bootTestApp();
    b = await bootTestApp({ schema: a.schema });
    db = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${a.schema}` });
    await db.connect();
    operator = (await a.createOrg('OPERATOR')).key;
    startup = await a.createOrg('STARTUP');
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await b?.running.shutdown(5000);
    await a?.close();
  });

  const until = async (cond: () => boolean | Promise<boolean>, ms = 3000) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error('condition not reached');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('a process whose timelines are behind books correctly: it catches up with the database before placing, nothing goes over capacity or green', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    await a.ok(GREEN, { c: cluster, s: hour(2), e: hour(4), mw: 0.5 }, operator);
    await until(
      () =>
        b.running.app.get(TimelinesService).cluster(cluster) !== undefined &&
        b.running.app.get(TimelinesService).version(cluster) >= a.running.app.get(TimelinesService).version(cluster),
    );
    const feedB = b.running.app.get(ChangeFeed);
    const committerB = b.running.app.get(BookingCommitter);
    feedB.pauseForTest();
    try {
      // A takes 80 PFLOPS and the green of hours 2-3; B does not hear of it
      const first = (
        await gqlAt(
          a.url,
          BOOK,
          {
            r: { pflops: 80, hours: 2, earliestStart: hour(2), deadline: hour(4), clusterIds: [cluster] },
            o: 'GREENEST',
            k: 'stale-a',
          },
          startup.key,
        )
      ).data.bookCompute;
      expect(first.greenShare).toBeCloseTo(0.5 / 0.8, 6);
      const reloads = committerB.stats.reloads;
      // B's timelines still show the hours empty: the same hours must be refused, later ones taken
      const refused = await gqlAt(
        b.url,
        BOOK,
        {
          r: { pflops: 30, hours: 2, earliestStart: hour(2), deadline: hour(4), clusterIds: [cluster] },
          o: 'EARLIEST',
          k: 'stale-b1',
        },
        startup.key,
      );
      expect(refused.errors?.[0].extensions?.code).toBe('NO_CAPACITY');
      const later = (
        await gqlAt(
          b.url,
          BOOK,
          {
            r: {
              pflops: 30,
              hours: 2,
              earliestStart: hour(2),
              deadline: hour(8),
              clusterIds: [cluster],
              minGreenShare: 0,
            },
            o: 'EARLIEST',
            k: 'stale-b2',
          },
          startup.key,
        )
      ).data.bookCompute;
      expect(later.startsAt).toBe(hour(4));
      expect(committerB.stats.reloads).toBeGreaterThan(reloads);
    } finally {
      feedB.resumeForTest();
    }
    const over = await db.query(
      `SELECT hour FROM cluster_hours WHERE booked_tflops > capacity_tflops OR green_alloc_w > green_supply_w`,
      [],
    );
    expect(over.rows).toEqual([]);
    await cacheMatchesLedger(a, db, cluster, hour(0), hour(12));
    await until(
      () =>
        b.running.app.get(TimelinesService).version(cluster) === a.running.app.get(TimelinesService).version(cluster),
    );
    await cacheMatchesLedger(b, db, cluster, hour(0), hour(12));
  }, 60_000);

  it('many concurrent bookings on both processes into the same hours converge: every acknowledged one stored, nothing over, both caches equal the ledger', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 200, kwPerPflops: 10, pue: 1 });
    await a.ok(GREEN, { c: cluster, s: hour(2), e: hour(8), mw: 1 }, operator);
    const startups = [startup.key, (await a.createOrg('STARTUP')).key, (await b.createOrg('STARTUP')).key];
    await until(() => b.running.app.get(TimelinesService).cluster(cluster) !== undefined);
    const res = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        gqlAt(
          (i % 2 ? a : b).url,
          BOOK,
          {
            r: {
              pflops: 10 + (i % 4) * 5,
              hours: 1 + (i % 3),
              earliestStart: hour(2),
              deadline: hour(8),
              clusterIds: [cluster],
              ...(i % 5 === 0 ? { minGreenShare: 0.5 } : {}),
            },
            o: ['EARLIEST', 'GREENEST', 'CHEAPEST'][i % 3],
            k: `conv-${i}`,
          },
          startups[i % 3],
        ),
      ),
    );
    const acked = res.filter((r) => r.data?.bookCompute).map((r) => r.data.bookCompute.id);
    const codes = res.filter((r) => r.errors).map((r) => r.errors![0].extensions?.code);
    expect(codes.filter((c) => c !== 'NO_CAPACITY' && c !== 'GREEN_SHORTFALL')).toEqual([]);
    expect(acked.length).toBeGreaterThan(20);
    const stored = await db.query(`SELECT id FROM bookings WHERE cluster_id = $1 AND status = 'CONFIRMED'`, [cluster]);
    expect(new Set(stored.rows.map((r) => r.id))).toEqual(new Set(acked));
    const over = await db.query(
      `SELECT hour FROM cluster_hours WHERE cluster_id = $1 AND (booked_tflops > capacity_tflops OR green_alloc_w > green_supply_w)`,
      [cluster],
    );
    expect(over.rows).toEqual([]);
    const sums = await db.query(
      `SELECT h.hour FROM cluster_hours h LEFT JOIN bookings b ON b.cluster_id = h.cluster_id AND b.status = 'CONFIRMED' AND h.hour >= b.starts_at AND h.hour < b.ends_at
       WHERE h.cluster_id = $1 GROUP BY h.hour, h.booked_tflops, h.green_alloc_w
       HAVING COALESCE(SUM(b.tflops), 0) <> h.booked_tflops OR COALESCE(SUM(b.green_w[1 + (extract(epoch FROM h.hour - b.starts_at) / 3600)::int]), 0) <> h.green_alloc_w`,
      [cluster],
    );
    expect(sums.rows).toEqual([]);
    const ta = a.running.app.get(TimelinesService);
    const tb = b.running.app.get(TimelinesService);
    await until(() => ta.version(cluster) === tb.version(cluster));
    await cacheMatchesLedger(a, db, cluster, hour(0), hour(12));
    await cacheMatchesLedger(b, db, cluster, hour(0), hour(12));
  }, 60_000);

  it('a version gap reloads the cluster; a listener reconnect reloads everything', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 100 });
    const tb = b.running.app.get(TimelinesService);
    await until(() => tb.cluster(cluster) !== undefined);
    const feedB = b.running.app.get(ChangeFeed);
    feedB.pauseForTest();
    await a.ok(
      BOOK,
      {
        r: { pflops: 10, hours: 1, earliestStart: hour(3), deadline: hour(4), clusterIds: [cluster] },
        o: 'EARLIEST',
        k: 'gap-1',
      },
      startup.key,
    );
    await a.ok(
      BOOK,
      {
        r: { pflops: 20, hours: 1, earliestStart: hour(5), deadline: hour(6), clusterIds: [cluster] },
        o: 'EARLIEST',
        k: 'gap-2',
      },
      startup.key,
    );
    const gaps = tb.stats.gaps;
    const reloads = tb.stats.reloads;
    // the first of the two ledger changes is lost on the way to B
    let dropped = false;
    feedB.resumeForTest((payload) => {
      const m = JSON.parse(payload);
      if (!dropped && m.k === 'l' && m.c === cluster) return !(dropped = true);
      return true;
    });
    await until(
      () =>
        tb.stats.gaps > gaps &&
        tb.stats.reloads > reloads &&
        tb.version(cluster) === a.running.app.get(TimelinesService).version(cluster),
    );
    await cacheMatchesLedger(b, db, cluster, hour(0), hour(12));

    // a reconnect of B's listener: what A committed meanwhile is read again
    const before = tb.stats.reloads;
    feedB.dropConnectionForTest();
    await a.ok(
      BOOK,
      {
        r: { pflops: 30, hours: 2, earliestStart: hour(6), deadline: hour(8), clusterIds: [cluster] },
        o: 'EARLIEST',
        k: 'gap-3',
      },
      startup.key,
    );
    await until(
      () => tb.stats.reloads > before && tb.version(cluster) === a.running.app.get(TimelinesService).version(cluster),
      15_000,
    );
    await cacheMatchesLedger(b, db, cluster, hour(0), hour(12));
  }, 60_000);

  it('a process reads its own writes of access rules and vouchers at once, before its own notifications come back', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const s = await a.createOrg('STARTUP');
    const QUOTE = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason placement { price { total voucher } } } }`;
    const r = { pflops: 40, hours: 1, earliestStart: hour(2), deadline: hour(3), clusterIds: [cluster] };
    const quote = async () =>
      (await a.ok(QUOTE, { r }, s.key)).quotes.find((q: { objective: string }) => q.objective === 'EARLIEST');
    // cached on A: no rules, no vouchers
    expect((await quote()).available).toBe(true);
    expect((await quote()).placement.price.voucher).toBe(0);
    const feedA = a.running.app.get(ChangeFeed);
    feedA.pauseForTest();
    try {
      await a.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
        i: { organizationId: s.id, maxClusterShare: 0.3 },
      });
      expect((await quote()).reason).toBe('QUOTA_EXCEEDED');
      await a.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
        i: { organizationId: s.id, maxClusterShare: 1 },
      });
      expect((await quote()).available).toBe(true);
      await a.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: s.id, percentCovered: 100, cap: 1, validFrom: hour(0), validUntil: hour(48) },
      });
      expect((await quote()).placement.price.voucher).toBe(1);
      const booked = (await a.ok(BOOK, { r, o: 'EARLIEST', k: 'ryw-1' }, s.key)).bookCompute;
      expect(booked.price.voucher).toBe(1);
      // the voucher is spent: A's next quote offers no cover
      expect((await quote()).placement.price.voucher).toBe(0);
      await a.ok(`mutation($id: ID!) { cancelBooking(id: $id) { id } }`, { id: booked.id }, s.key);
      // refunded: covered again
      expect((await quote()).placement.price.voucher).toBe(1);
    } finally {
      feedA.resumeForTest();
    }
  }, 30_000);

  it('a cancellation frees the room for the next quote on the same process at once, before its notification comes back', async () => {
    const cluster = await a.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const s = await a.createOrg('STARTUP');
    const r = { pflops: 100, hours: 1, earliestStart: hour(3), deadline: hour(4), clusterIds: [cluster] };
    const QUOTE = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason } }`;
    const earliest = async () =>
      (await a.ok(QUOTE, { r }, s.key)).quotes.find((q: { objective: string }) => q.objective === 'EARLIEST');
    const booked = (await a.ok(BOOK, { r, o: 'EARLIEST', k: 'ryw-cancel' }, s.key)).bookCompute;
    expect((await earliest()).reason).toBe('NO_CAPACITY');
    const feedA = a.running.app.get(ChangeFeed);
    feedA.pauseForTest();
    try {
      await a.ok(`mutation($id: ID!) { cancelBooking(id: $id) { id } }`, { id: booked.id }, s.key);
      expect(await earliest()).toMatchObject({ available: true, reason: null });
    } finally {
      feedA.resumeForTest();
    }
  }, 30_000);

  it('a forecast on one process and a window removal on the other, racing over the same hours, never deadlock into an internal error', async () => {
    const IMPORT = `mutation($c: ID!, $f: DateTime!, $t: DateTime!, $rows: [GreenForecastRowInput!]!) { importGreenForecast(clusterId: $c, from: $f, to: $t, rows: $rows) { windowsReplaced } }`;
    const ADD = `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $f, endsAt: $t, megawatts: 1, pricePerMwh: 10, source: WIND) { id } }`;
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const c = await a.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
      const id = (await a.ok(ADD, { c, f: hour(3), t: hour(5) }, operator)).addGreenWindow.id;
      await until(
        async () =>
          (await gqlAt(b.url, `query($id: ID!) { cluster(id: $id) { id } }`, { id: c }, operator)).data?.cluster?.id ===
          c,
      );
      const [imp, rem] = await Promise.all([
        gqlAt(
          a.url,
          IMPORT,
          {
            c,
            f: hour(3),
            t: hour(5),
            rows: [{ startsAt: hour(3), endsAt: hour(5), megawatts: 0.5, pricePerMwh: 20 }],
          },
          operator,
        ),
        gqlAt(b.url, `mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id }, operator),
      ]);
      const key = [imp, rem]
        .map((r) => (r.errors ? String(r.errors[0].extensions?.reason ?? r.errors[0].extensions?.code) : 'ok'))
        .join(' / ');
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // (import / removal) whichever came second saw the first's result
      expect(['ok / ok', 'ok / GREEN_WINDOW_NOT_FOUND']).toContain(key);
    }
    console.log(`forecast vs removal on two processes, 12 races: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  }, 60_000);

  it('a revoked key stops working on every process within the feed delivery time (bound: 1 s)', async () => {
    const s = await a.createOrg('STARTUP');
    const q = `{ me { id } }`;
    // cached on both processes
    expect((await gqlAt(a.url, q, {}, s.key)).data?.me.id).toBe(s.id);
    expect((await gqlAt(b.url, q, {}, s.key)).data?.me.id).toBe(s.id);
    const keys = (await a.ok(`query($o: ID!) { apiKeys(organizationId: $o) { id } }`, { o: s.id })).apiKeys;
    // the revoking process refuses the key as the mutation answers, before its own notification
    // comes back: its feed is held across the revocation
    const feedA = a.running.app.get(ChangeFeed);
    feedA.pauseForTest();
    const t0 = Date.now();
    try {
      await a.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: keys[0].id });
      expect((await gqlAt(a.url, q, {}, s.key)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    } finally {
      feedA.resumeForTest();
    }
    let ms: number;
    for (;;) {
      const r = await gqlAt(b.url, q, {}, s.key);
      ms = Date.now() - t0;
      if (r.errors?.[0].extensions?.code === 'UNAUTHENTICATED') break;
      if (ms > 1000) throw new Error('the revoked key still works on the other process after 1 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(ms).toBeLessThan(1000);
  }, 30_000);
});

export { HOUR };
