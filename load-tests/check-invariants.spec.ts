// The invariant checker against a real PostgreSQL (DATABASE_URL, as CI provides): the project's
// migrations in a scratch schema, a consistent data set that must pass, then one corruption per
// check that must fail it. The ledger's CHECK constraints are dropped for the corruptions: the
// checker exists to catch what a constraint or a bug might let through.
import { Client } from 'pg';
import { MIGRATIONS } from '../libs/persistence/src/migrations';
import { checkInvariants, formatReport, type AckedBooking } from './check-invariants';

const url = process.env.DATABASE_URL;
const describeDb = url ? describe : describe.skip;
if (!url) console.warn('check-invariants.spec: DATABASE_URL not set, skipping (CI sets it)');

const H = 3600_000;
const T0 = Date.UTC(2030, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();

describeDb('invariant checker (PostgreSQL)', () => {
  const db = new Client({ connectionString: url });
  const schema = `invariants_spec_${process.pid}`;
  let cluster: string;
  let org: string;
  let startup: string;
  let voucher: string;
  const acks: AckedBooking[] = [];

  const failing = async (a = acks) => (await checkInvariants(db, a)).filter((r) => !r.ok).map((r) => r.name);

  beforeAll(async () => {
    await db.connect();
    await db.query(`CREATE SCHEMA ${schema}`);
    await db.query(`SET search_path TO ${schema}, public`);
    const runner = { query: (sql: string, params?: unknown[]) => db.query(sql, params as any[]) };
    for (const M of MIGRATIONS) await new M().up(runner as any);
    org = (await db.query(`INSERT INTO organizations (name, role) VALUES ('op', 'OPERATOR') RETURNING id`)).rows[0].id;
    cluster = (
      await db.query(
        `INSERT INTO clusters (owner_org_id, name, region, accelerator, capacity_tflops, kw_per_pflops, pue, price_per_pflops_hour, grid_price_per_mwh)
         VALUES ($1, 'zh-1', 'Zhuhai', 'GPU', 1000, 10, 1.2, 8, 90) RETURNING id`,
        [org],
      )
    ).rows[0].id;
    await db.query(
      `INSERT INTO green_windows (cluster_id, starts_at, ends_at, megawatts, green_w, source, price_per_mwh) VALUES ($1, $2, $3, 0.005, 5000, 'SOLAR', 40)`,
      [cluster, iso(T0), iso(T0 + 4 * H)],
    );
    // Two bookings: 600 + 400 TFLOPS = full capacity in hour 1; green 3000 + 2000 = full supply.
    const book = async (key: string, start: number, hours: number, tflops: number, green: number[]) => {
      const r = await db.query(
        `INSERT INTO bookings (org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective, green_mwh, grid_mwh,
                               green_share, price_compute, price_green_energy, price_grid_energy, price_total, status, idempotency_key, request_fingerprint)
         VALUES ($1, $2, $3, $4, $5, $6, 7200, $7, $7, array_fill(0::float8, ARRAY[$5::int]), 'EARLIEST', 0, 0, 0, 0, 0, 0, 0, 'CONFIRMED', $8, 'fp') RETURNING id`,
        [org, cluster, iso(start), iso(start + hours * H), hours, tflops, green, key],
      );
      acks.push({ id: r.rows[0].id, idempotencyKey: key, orgId: org });
    };
    await book('k1', T0, 2, 600, [3000, 3000]);
    await book('k2', T0 + H, 2, 400, [2000, 0]);
    // their figures from their green per hour, green at the window's 40 per MWh; k1's compute 19.76
    await db.query(
      `UPDATE bookings b SET green_mwh = g.wh / 1e6, grid_mwh = (b.draw_w * b.hours - g.wh) / 1e6, green_share = g.wh / (b.draw_w * b.hours),
              green_price_per_mwh = 40, price_green_energy = round((g.wh / 1e6 * 40)::numeric, 2),
              price_compute = CASE b.idempotency_key WHEN 'k1' THEN 19.76 ELSE 0 END,
              price_total = round((g.wh / 1e6 * 40)::numeric, 2) + CASE b.idempotency_key WHEN 'k1' THEN 19.76 ELSE 0 END
         FROM bookings x CROSS JOIN LATERAL (SELECT sum(v)::float8 AS wh FROM unnest(x.green_w) v) g WHERE x.id = b.id`,
    );
    await db.query(`INSERT INTO ledger_versions (cluster_id, version) VALUES ($1, 7)`, [cluster]);
    // grid per hour: each booking's draw (7200 W) minus the green it took
    for (let h = 0; h < 4; h++) {
      const booked = [600, 1000, 400, 0][h];
      const green = [3000, 5000, 0, 0][h];
      const grid = [4200, 9400, 7200, 0][h];
      await db.query(
        `INSERT INTO cluster_hours (cluster_id, hour, capacity_tflops, booked_tflops, green_supply_w, green_alloc_w, grid_w) VALUES ($1, $2, 1000, $3, 5000, $4, $5)`,
        [cluster, iso(T0 + h * H), booked, green, grid],
      );
    }
    // the cluster behind a site whose reserved grid it draws up to in hour 1
    const site = (
      await db.query(`INSERT INTO sites (owner_org_id, name, region) VALUES ($1, 'campus', 'Zhuhai') RETURNING id`, [
        org,
      ])
    ).rows[0].id;
    await db.query(`UPDATE clusters SET site_id = $1 WHERE id = $2`, [site, cluster]);
    for (let h = 0; h < 3; h++) {
      await db.query(`INSERT INTO site_hours (site_id, hour, grid_cap_w, grid_used_w) VALUES ($1, $2, 9400, $3)`, [
        site,
        iso(T0 + h * H),
        [4200, 9400, 7200][h],
      ]);
    }
    // A voucher of 100 drawn 10 by k1 (and its ledger entry).
    startup = (await db.query(`INSERT INTO organizations (name, role) VALUES ('s', 'STARTUP') RETURNING id`)).rows[0]
      .id;
    voucher = (
      await db.query(
        `INSERT INTO vouchers (org_id, percent_covered, cap, spent, valid_from, valid_until) VALUES ($1, 50, 100, 10, $2, $3) RETURNING id`,
        [org, iso(T0), iso(T0 + 100 * H)],
      )
    ).rows[0].id;
    await db.query(`UPDATE bookings SET voucher_id = $1, voucher_amount = 10 WHERE idempotency_key = 'k1'`, [voucher]);
    await db.query(
      `INSERT INTO voucher_ledger (voucher_id, booking_id, kind, amount, spent_after) SELECT $1, id, 'DRAW', 10, 10 FROM bookings WHERE idempotency_key = 'k1'`,
      [voucher],
    );
    await db.query(
      `ALTER TABLE cluster_hours DROP CONSTRAINT cluster_hours_capacity_check, DROP CONSTRAINT cluster_hours_green_check`,
    );
    await db.query(`ALTER TABLE site_hours DROP CONSTRAINT site_hours_grid_check`);
    await db.query(`ALTER TABLE vouchers DROP CONSTRAINT vouchers_amounts_check`);
    await db.query(`ALTER TABLE bookings DROP CONSTRAINT bookings_org_idempotency_key`);
  });

  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  // Each corruption runs inside a transaction that is rolled back afterwards.
  const corrupt = async (sql: string, params: unknown[], expected: string[], a = acks) => {
    await db.query('BEGIN');
    try {
      await db.query(sql, params);
      expect(await failing(a)).toEqual(expected);
    } finally {
      await db.query('ROLLBACK');
    }
  };

  it('passes a consistent database and prints a report', async () => {
    const results = await checkInvariants(db, acks);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(formatReport(results)).toMatch(/invariants: PASS$/);
    const v = results.find((r) => r.name === 'voucher balances add up');
    expect(v?.skipped).toBeUndefined();
    expect(v?.detail).toMatch(/^1 vouchers, 10.00 spent/);
  });

  it('fails when the ledger does not equal the sum of confirmed bookings', async () => {
    await corrupt(
      `UPDATE cluster_hours SET booked_tflops = booked_tflops - 1 WHERE hour = $1`,
      [iso(T0)],
      ['ledger = sum of confirmed bookings'],
    );
  });

  it('fails when a cluster-hour is over capacity, even if the ledger agrees with itself', async () => {
    await corrupt(
      `UPDATE bookings SET tflops = 700 WHERE idempotency_key = 'k1'; `.trim(),
      [],
      [
        'ledger = sum of confirmed bookings',
        'no cluster-hour over ledger capacity or green supply',
        'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
      ],
    );
    await corrupt(`UPDATE cluster_hours SET capacity_tflops = 2000 WHERE hour = $1`, [iso(T0 + H)], []);
    await corrupt(
      `INSERT INTO capacity_changes (cluster_id, starts_at, ends_at, capacity_tflops) VALUES ($1, $2, $3, 900)`,
      [cluster, iso(T0 + H), iso(T0 + 2 * H)],
      [
        'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
      ],
    );
  });

  it('fails when grid drawn differs from the bookings or the site, or exceeds the reserved capacity', async () => {
    await corrupt(
      `UPDATE cluster_hours SET grid_w = grid_w + 1 WHERE hour = $1`,
      [iso(T0)],
      [
        'grid drawn = sum of confirmed bookings, per cluster-hour',
        'site grid = sum of its clusters, within the reserved capacity',
      ],
    );
    await corrupt(
      `UPDATE site_hours SET grid_used_w = grid_used_w - 1 WHERE hour = $1`,
      [iso(T0 + 2 * H)],
      ['site grid = sum of its clusters, within the reserved capacity'],
    );
    await corrupt(
      `UPDATE site_hours SET grid_cap_w = 9399 WHERE hour = $1`,
      [iso(T0 + H)],
      ['site grid = sum of its clusters, within the reserved capacity'],
    );
    await corrupt(
      `DELETE FROM site_hours WHERE hour = $1`,
      [iso(T0)],
      ['site grid = sum of its clusters, within the reserved capacity'],
    );
  });

  it('fails when green allocated exceeds green supply', async () => {
    await corrupt(
      `UPDATE green_windows SET green_w = 4000`,
      [],
      [
        'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
        'ledger green supply = green windows + supply revisions, every hour',
      ],
    );
    await corrupt(
      `UPDATE cluster_hours SET green_supply_w = 4999 WHERE hour = $1`,
      [iso(T0 + H)],
      [
        'no cluster-hour over ledger capacity or green supply',
        'ledger green supply = green windows + supply revisions, every hour',
      ],
    );
    // an hour nobody booked yet, its supply inflated: the API would book green that does not exist
    await corrupt(
      `UPDATE cluster_hours SET green_supply_w = 1999000000 WHERE hour = $1`,
      [iso(T0 + 3 * H)],
      ['ledger green supply = green windows + supply revisions, every hour'],
    );
  });

  it("fails when a booking's price or figures do not follow from its hours", async () => {
    const prices = 'prices: whole cents, total = sum of parts, green and grid energy at their prices';
    const figures = "green MWh, grid MWh and green share follow from the booking's green per hour";
    const k1 = `WHERE idempotency_key = 'k1'`;
    await corrupt(`UPDATE bookings SET grid_price_per_mwh[1] = 700 ${k1}`, [], [prices]);
    await corrupt(`UPDATE bookings SET price_compute = price_compute * 2 ${k1}`, [], [prices]);
    await corrupt(`UPDATE bookings SET price_total = price_total + 1000 ${k1}`, [], [prices]);
    await corrupt(`UPDATE bookings SET price_compute = 19.764, price_total = 20.004 ${k1}`, [], [prices]);
    // (its voucher's 10.00 is now above half of the total, too)
    await corrupt(
      `UPDATE bookings SET price_green_energy = 0, price_total = 19.76 ${k1}`,
      [],
      [prices, "voucher money within the voucher's terms (startup, validity, clusters, green share, percent covered)"],
    );
    await corrupt(`UPDATE bookings SET green_share = 0.99 ${k1}`, [], [figures]);
    await corrupt(`UPDATE bookings SET green_mwh = 99 ${k1}`, [], [figures, prices]);
    await corrupt(`UPDATE bookings SET grid_mwh = 0 ${k1}`, [], [figures]);
    await corrupt(`UPDATE bookings SET green_w_promised[2] = draw_w * 5 ${k1}`, [], ['bookings well formed']);
  });

  it('fails when a cancellation time and the status disagree, or a key is stored untrimmed', async () => {
    const cancel = 'cancelled exactly when cancelled before the start';
    await corrupt(
      `UPDATE bookings SET cancelled_at = starts_at - interval '1 hour' WHERE idempotency_key = 'k2'`,
      [],
      [cancel],
    );
    await corrupt(
      `UPDATE bookings SET cancelled_at = starts_at + interval '1 minute', status = 'CANCELLED' WHERE idempotency_key = 'k2';
       UPDATE cluster_hours SET booked_tflops = booked_tflops - 400, green_alloc_w = green_alloc_w - 2000 * (hour = '${iso(T0 + H)}')::int,
              grid_w = grid_w - 7200 + 2000 * (hour = '${iso(T0 + H)}')::int WHERE hour IN ('${iso(T0 + H)}', '${iso(T0 + 2 * H)}');
       UPDATE site_hours SET grid_used_w = grid_used_w - 7200 + 2000 * (hour = '${iso(T0 + H)}')::int
        WHERE hour IN ('${iso(T0 + H)}', '${iso(T0 + 2 * H)}');`,
      [],
      [cancel],
      acks.map((a) => (a.idempotencyKey === 'k2' ? { ...a, cancelled: true } : a)),
    );
    await corrupt(
      `UPDATE bookings SET idempotency_key = ' k2' WHERE idempotency_key = 'k2'`,
      [],
      ['idempotency keys stored trimmed', 'acknowledged bookings exist exactly once'],
    );
  });

  it('fails on malformed bookings and duplicate idempotency keys', async () => {
    await corrupt(
      `UPDATE bookings SET green_w = ARRAY[3000, 9000]::bigint[] WHERE idempotency_key = 'k1'`,
      [],
      [
        'bookings well formed',
        "green MWh, grid MWh and green share follow from the booking's green per hour",
        'ledger = sum of confirmed bookings',
        'no cluster-hour over ledger capacity or green supply',
        'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
        'no booking holds more green than it was promised',
        'grid drawn = sum of confirmed bookings, per cluster-hour',
      ],
    );
    await corrupt(
      `INSERT INTO bookings (org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective, green_mwh, grid_mwh,
                             green_share, green_price_per_mwh, price_compute, price_green_energy, price_grid_energy, price_total, status, idempotency_key, request_fingerprint)
       SELECT org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective, green_mwh, grid_mwh,
              green_share, green_price_per_mwh, price_compute, price_green_energy, price_grid_energy, price_total, 'CANCELLED', idempotency_key, 'fp'
         FROM bookings WHERE idempotency_key = 'k2';
       UPDATE bookings SET cancelled_at = created_at WHERE status = 'CANCELLED';`,
      [],
      ['no duplicate idempotency keys'],
    );
    // trimming is of white space only: 'vk2v' is not 'k2'
    await corrupt(
      `INSERT INTO bookings (org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective, green_mwh, grid_mwh,
                             green_share, green_price_per_mwh, price_compute, price_green_energy, price_grid_energy, price_total, status, idempotency_key, request_fingerprint, cancelled_at)
       SELECT org_id, cluster_id, starts_at, ends_at, hours, tflops, draw_w, green_w, green_w_promised, grid_price_per_mwh, objective, green_mwh, grid_mwh,
              green_share, green_price_per_mwh, price_compute, price_green_energy, price_grid_energy, price_total, 'CANCELLED', 'vk2v', 'fp', now()
         FROM bookings WHERE idempotency_key = 'k2'`,
      [],
      [],
    );
  });

  it('fails when an acknowledged booking is missing, cancelled behind our back, or acked twice with different ids', async () => {
    await corrupt(
      `DELETE FROM bookings WHERE idempotency_key = 'k2'`,
      [],
      [
        'ledger = sum of confirmed bookings',
        'acknowledged bookings exist exactly once',
        'grid drawn = sum of confirmed bookings, per cluster-hour',
      ],
    );
    await corrupt(
      `UPDATE bookings SET status = 'CANCELLED' WHERE idempotency_key = 'k2'`,
      [],
      [
        'cancelled exactly when cancelled before the start',
        'ledger = sum of confirmed bookings',
        'acknowledged bookings exist exactly once',
        'grid drawn = sum of confirmed bookings, per cluster-hour',
      ],
    );
    expect(await failing([...acks, { ...acks[0], id: acks[1].id }])).toEqual([
      'one booking id per acknowledged idempotency key',
      'acknowledged bookings exist exactly once',
    ]);
    expect(await failing([...acks, { id: '00000000-0000-4000-8000-000000000000', idempotencyKey: 'nope' }])).toEqual([
      'acknowledged bookings exist exactly once',
    ]);
  });

  it('fails when a round request and its booking disagree', async () => {
    const R = 'aaaaaaaa-0000-4000-8000-000000000001';
    const Q = 'bbbbbbbb-0000-4000-8000-000000000001';
    const acked = acks.map((a) => (a.idempotencyKey === 'k2' ? { ...a, idempotencyKey: `round:${Q}` } : a));
    const round = `INSERT INTO rounds (id, region, status, opens_at, closes_at, cleared_at) VALUES ('${R}', '', 'CLEARED', '${iso(T0 - 2 * H)}', '${iso(T0 - H)}', '${iso(T0 - H)}');
      UPDATE bookings SET idempotency_key = 'round:${Q}' WHERE idempotency_key = 'k2';
      INSERT INTO round_requests (id, round_id, org_id, status, pflops, hours, earliest_start, deadline, objective, idempotency_key, request_fingerprint, booking_id)
        SELECT '${Q}', '${R}', org_id, 'CONFIRMED', 0.4, 2, '${iso(T0)}', '${iso(T0 + 4 * H)}', 'EARLIEST', 'q', 'fp', id FROM bookings WHERE idempotency_key = 'round:${Q}';`;
    await corrupt(round, [], [], acked);
    await corrupt(`${round} UPDATE round_requests SET hours = 3`, [], ['round requests match their bookings'], acked);
    await corrupt(
      `${round} UPDATE round_requests SET deadline = '${iso(T0 + 2 * H)}'`,
      [],
      ['round requests match their bookings'],
      acked,
    );
    await corrupt(
      `${round} UPDATE rounds SET status = 'OPEN', cleared_at = NULL`,
      [],
      ['cleared rounds have nothing pending, open and closed rounds nothing decided'],
      acked,
    );
    await corrupt(
      `${round} UPDATE round_requests SET status = 'REFUSED', booking_id = NULL, reason = 'NO_CAPACITY'`,
      [],
      ['every round booking belongs to exactly one round request'],
      acked,
    );
  });

  it('counts supply revisions in the supply, and fails when green exceeds a promise or a credit differs from its ledger', async () => {
    // a revision that cut hour 3 (no green allocated there) from 5000 to 1000 W: consistent
    const cut = `INSERT INTO green_revisions (id, cluster_id, by_org_id, reason, starts_at, ends_at, supply_before_w, supply_after_w, penalty_factor)
      VALUES ('cccccccc-0000-4000-8000-000000000001', '${cluster}', '${org}', 'clouds', '${iso(T0 + 3 * H)}', '${iso(T0 + 4 * H)}', '{5000}', '{1000}', 1);
      UPDATE cluster_hours SET green_supply_w = 1000 WHERE hour = '${iso(T0 + 3 * H)}';`;
    await corrupt(cut, [], []);
    // the same cut in hour 1, where 5000 W are allocated: over the supply the sources give
    await corrupt(
      cut
        .replace(/T0_3/g, '')
        .replace(`'${iso(T0 + 3 * H)}', '${iso(T0 + 4 * H)}'`, `'${iso(T0 + H)}', '${iso(T0 + 2 * H)}'`),
      [],
      [
        'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
        'ledger green supply = green windows + supply revisions, every hour',
      ],
    );
    await corrupt(
      `UPDATE bookings SET green_w_promised = '{2999, 3000}' WHERE idempotency_key = 'k1'`,
      [],
      ['no booking holds more green than it was promised'],
    );
    const credit = `UPDATE bookings SET min_green_share = 1, sla_credit = 5 WHERE idempotency_key = 'k2';
      INSERT INTO sla_credits (booking_id, org_id, operator_org_id, kind, amount, missing_mwh) SELECT id, org_id, org_id, 'CREDIT', 5, 0.0052 FROM bookings WHERE idempotency_key = 'k2';`;
    await corrupt(credit, [], []);
    await corrupt(
      `${credit} UPDATE bookings SET sla_credit = 6 WHERE idempotency_key = 'k2'`,
      [],
      ['SLA credits match their ledger'],
    );
    await corrupt(
      `${credit} UPDATE bookings SET green_share = 1, green_mwh = 0.0144, grid_mwh = 0 WHERE idempotency_key = 'k2'`,
      [],
      [
        "green MWh, grid MWh and green share follow from the booking's green per hour",
        'prices: whole cents, total = sum of parts, green and grid energy at their prices',
        'SLA credits match their ledger',
      ],
    );
    // owed to another startup, or by another operator than the cluster's
    await corrupt(`${credit} UPDATE sla_credits SET org_id = '${startup}'`, [], ['SLA credits match their ledger']);
    await corrupt(
      `${credit} UPDATE sla_credits SET operator_org_id = '${startup}'`,
      [],
      ['SLA credits match their ledger'],
    );
  });

  it('fails when voucher balances do not add up', async () => {
    await corrupt(`UPDATE vouchers SET spent = 11`, [], ['voucher balances add up']);
    await corrupt(`UPDATE vouchers SET spent = 101, cap = 100`, [], ['voucher balances add up']);
    await corrupt(
      `DELETE FROM voucher_ledger`,
      [],
      ['voucher balances add up', "every booking's voucher money drawn once (and refunded once if cancelled)"],
    );
    // cancelled with a refund and spent given back: consistent; without the refund entry: not
    const cancelled = `UPDATE bookings SET status = 'CANCELLED', cancelled_at = created_at WHERE idempotency_key = 'k1';
      UPDATE cluster_hours SET booked_tflops = booked_tflops - 600, green_alloc_w = green_alloc_w - 3000, grid_w = grid_w - 4200 WHERE hour IN ('${iso(T0)}', '${iso(T0 + H)}');
      UPDATE site_hours SET grid_used_w = grid_used_w - 4200 WHERE hour IN ('${iso(T0)}', '${iso(T0 + H)}');
      UPDATE vouchers SET spent = 0;`;
    const acked = acks.map((a) => (a.idempotencyKey === 'k1' ? { ...a, cancelled: true } : a));
    await corrupt(
      `${cancelled} INSERT INTO voucher_ledger (voucher_id, booking_id, kind, amount, spent_after) SELECT voucher_id, id, 'REFUND', 10, 0 FROM bookings WHERE idempotency_key = 'k1'`,
      [],
      [],
      acked,
    );
    await corrupt(
      cancelled,
      [],
      ['voucher balances add up', "every booking's voucher money drawn once (and refunded once if cancelled)"],
      acked,
    );
  });

  it("fails when voucher money goes beyond the voucher's terms", async () => {
    const terms =
      "voucher money within the voucher's terms (startup, validity, clusters, green share, percent covered)";
    await corrupt(`UPDATE vouchers SET org_id = $1`, [startup], [terms]);
    await corrupt(`UPDATE vouchers SET valid_from = $1`, [iso(T0 + H)], [terms]);
    await corrupt(`UPDATE vouchers SET valid_until = $1`, [iso(T0 + H)], [terms]);
    await corrupt(`UPDATE vouchers SET cluster_ids = ARRAY[gen_random_uuid()]`, [], [terms]);
    // k1 was promised 6,000 of 14,400 Wh: a voucher asking 0.5 would not have paid
    await corrupt(`UPDATE vouchers SET min_green_share = 0.5`, [], [terms]);
    await corrupt(`UPDATE vouchers SET min_green_share = 0.4`, [], []);
    // 10.01 of a 20.00 total at 50 %, spent and ledger kept consistent with it
    await corrupt(
      `UPDATE bookings SET voucher_amount = 10.01 WHERE idempotency_key = 'k1';
       UPDATE vouchers SET spent = 10.01; UPDATE voucher_ledger SET amount = 10.01, spent_after = 10.01`,
      [],
      [terms],
    );
  });

  it('fails when a cluster has no ledger version, and cannot run on a schema without a table it checks', async () => {
    await corrupt(`DELETE FROM ledger_versions`, [], ['every cluster has its ledger version']);
    await db.query('BEGIN');
    try {
      await db.query(`ALTER TABLE voucher_ledger RENAME TO voucher_ledger_v2`);
      await expect(checkInvariants(db, acks)).rejects.toThrow(/lacks voucher_ledger\.kind, .*not a pflex schema/);
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it("fails when a voucher's ledger does not replay to its spent_after in the order written", async () => {
    await corrupt(
      `UPDATE voucher_ledger SET spent_after = spent_after + 1`,
      [],
      ['voucher ledgers replay in the order written'],
    );
  });
});
