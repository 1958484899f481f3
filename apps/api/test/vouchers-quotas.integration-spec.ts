import { Client } from 'pg';
import { bootTestApp, DATABASE_URL, gqlAt, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id startsAt voucherId price { total voucher } } }`;
const CANCEL = `mutation($id: ID!) { cancelBooking(id: $id) { status } }`;

// Races need a server with many connections; PGlite runs one transaction at a time.
const onPostgres = DATABASE_URL ? describe : describe.skip;
if (!DATABASE_URL) {
  process.stderr.write(
    'vouchers-quotas.integration-spec: SKIPPED, needs PostgreSQL (DATABASE_URL=$(scripts/pg-up.sh) npm test)\n',
  );
}

onPostgres('vouchers and access rules under concurrency on PostgreSQL: two API instances, one database', () => {
  let a: TestApp;
  let b: TestApp;
  let db: Client;
  let cluster: string;

  beforeAll(async () => {
    a = await bootTestApp();
    b = await bootTestApp({ schema: a.schema });
    db = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${a.schema}` });
    await db.connect();
    const operator = (await a.createOrg('OPERATOR')).key;
    // plenty of capacity, so only the voucher or the access rule can be the limit; 10 PFLOPS x 1 h costs 92
    cluster = await a.registerCluster(operator, {
      capacityPflops: 1000,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
    });
  }, 120_000);
  afterAll(async () => {
    await db?.end();
    await b?.running.shutdown(5000);
    await a?.close();
  });

  const race = (key: string, n: number, tag: string, from: number, to: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        gqlAt(
          (i % 2 ? a : b).url,
          BOOK,
          {
            r: { pflops: 10, hours: 1, earliestStart: hour(from), deadline: hour(to), clusterIds: [cluster] },
            k: `${tag}-${i}`,
          },
          key,
        ),
      ),
    );

  /** spent = draws - refunds = the voucher part of the confirmed bookings, and never above the cap */
  async function checkVoucher(id: string) {
    const { rows } = await db.query(
      `SELECT v.spent::float8 AS spent, v.cap::float8 AS cap,
              (SELECT COALESCE(SUM(CASE kind WHEN 'DRAW' THEN amount ELSE -amount END), 0) FROM voucher_ledger WHERE voucher_id = v.id)::float8 AS net,
              (SELECT COALESCE(SUM(voucher_amount), 0) FROM bookings WHERE voucher_id = v.id AND status = 'CONFIRMED')::float8 AS booked,
              (SELECT COALESCE(MAX(spent_after), 0) FROM voucher_ledger WHERE voucher_id = v.id)::float8 AS peak
       FROM vouchers v WHERE v.id = $1`,
      [id],
    );
    const r = rows[0];
    expect(r.net).toBeCloseTo(r.spent, 6);
    expect(r.booked).toBeCloseTo(r.spent, 6);
    expect(r.peak).toBeLessThanOrEqual(r.cap);
    return r.spent as number;
  }

  it('many concurrent bookings against one voucher never overspend it; cancellations racing bookings refund exactly', async () => {
    const s = await a.createOrg('STARTUP');
    const v = (
      await a.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: s.id, percentCovered: 100, cap: 500, validFrom: hour(-1), validUntil: hour(100) },
      })
    ).issueVoucher.id;
    const results = await race(s.key, 40, 'v', 2, 12);
    expect(results.filter((r) => r.errors)).toEqual([]);
    const booked = results.map((r) => r.data.bookCompute);
    const covers = booked.map((x) => x.price.voucher).sort((p: number, q: number) => q - p);
    // 5 full covers of 92, one partial of 40, then nothing left
    expect(covers.slice(0, 6).map((c: number) => Math.round(c * 100) / 100)).toEqual([92, 92, 92, 92, 92, 40]);
    expect(covers.slice(6).every((c: number) => c === 0)).toBe(true);
    expect(await checkVoucher(v)).toBeCloseTo(500, 6);

    const covered = booked.filter((x) => x.price.voucher > 0);
    const mixed = await Promise.all([
      ...covered.map((x, i) => gqlAt((i % 2 ? a : b).url, CANCEL, { id: x.id }, s.key)),
      ...Array.from({ length: 20 }, (_, i) =>
        gqlAt(
          (i % 2 ? b : a).url,
          BOOK,
          {
            r: { pflops: 10, hours: 1, earliestStart: hour(2), deadline: hour(12), clusterIds: [cluster] },
            k: `v2-${i}`,
          },
          s.key,
        ),
      ),
    ]);
    expect(mixed.filter((r) => r.errors)).toEqual([]);
    const spent = await checkVoucher(v);
    expect(spent).toBeLessThanOrEqual(500);
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM voucher_ledger WHERE voucher_id = $1 AND kind = 'REFUND'`,
      [v],
    );
    expect(rows[0].n).toBe(6);
  }, 120_000);

  it('a cancellation takes its voucher before the ledger rows, in the order a group commit does, so the two cannot deadlock', async () => {
    const s = await a.createOrg('STARTUP');
    const v = (
      await a.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: s.id, percentCovered: 100, cap: 500, validFrom: hour(-1), validUntil: hour(100) },
      })
    ).issueVoucher.id;
    const r = { pflops: 10, hours: 1, earliestStart: hour(60), deadline: hour(61), clusterIds: [cluster] };
    const booked = (await a.ok(BOOK, { r, k: 'order-1' }, s.key)).bookCompute;
    expect(booked.voucherId).toBe(v);
    // a group commit of the same startup: its first statement locks the voucher ...
    const group = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${a.schema}` });
    await group.connect();
    try {
      await group.query('BEGIN');
      const { rows: me } = await group.query(`SELECT pg_backend_pid() AS pid`);
      await group.query(`SELECT 1 FROM vouchers WHERE id = $1 FOR UPDATE`, [v]);
      const cancel = gqlAt(a.url, CANCEL, { id: booked.id }, s.key);
      // ... the cancellation now waits for it ...
      for (let i = 0; ; i++) {
        const { rows } = await db.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND $1 = ANY(pg_blocking_pids(pid))`,
          [me[0].pid],
        );
        if (rows[0].n > 0) break;
        if (i > 500) throw new Error('the cancellation never waited for the voucher');
        await new Promise((res) => setTimeout(res, 10));
      }
      // ... holding none of the ledger rows the group writes next (a deadlock if it did)
      await group.query(`SELECT 1 FROM cluster_hours WHERE cluster_id = $1 AND hour = $2 FOR UPDATE NOWAIT`, [
        cluster,
        hour(60),
      ]);
      await group.query('COMMIT');
      expect((await cancel).data?.cancelBooking.status).toBe('CANCELLED');
    } finally {
      await group.end();
    }
    expect(await checkVoucher(v)).toBe(0);
  }, 60_000);

  it('many concurrent bookings against one access rule never exceed it', async () => {
    const weekly = await a.createOrg('STARTUP');
    await a.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
      i: { organizationId: weekly.id, maxPflopsHoursPer7Days: 100 },
    });
    const share = await a.createOrg('STARTUP');
    // 5% of 1000 PFLOPS = 50 PFLOPS per hour, over two hours
    await a.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
      i: { organizationId: share.id, maxClusterShare: 0.05 },
    });
    const [w, c] = await Promise.all([race(weekly.key, 30, 'w', 2, 30), race(share.key, 30, 'c', 40, 42)]);
    for (const results of [w, c]) {
      expect(results.filter((r) => r.data?.bookCompute)).toHaveLength(10);
      expect(new Set(results.flatMap((r) => r.errors?.map((e) => e.extensions?.code) ?? []))).toEqual(
        new Set(['QUOTA_EXCEEDED']),
      );
    }
    const used = await db.query(
      `SELECT COALESCE(SUM(tflops * hours), 0)::int AS th FROM bookings WHERE org_id = $1 AND status = 'CONFIRMED'`,
      [weekly.id],
    );
    expect(used.rows[0].th).toBe(100_000);
    const held = await db.query(
      `SELECT starts_at, SUM(tflops)::int AS t FROM bookings WHERE org_id = $1 AND status = 'CONFIRMED' GROUP BY starts_at ORDER BY starts_at`,
      [share.id],
    );
    expect(held.rows.map((r) => r.t)).toEqual([50_000, 50_000]);
  }, 120_000);
});
