// Invariant checker, run after every load test straight against PostgreSQL:
//   npx tsx load-tests/check-invariants.ts [--acks load-tests/results/<run>/acks.json] [--json out.json] [--schema s]
// DATABASE_URL names the database; DATABASE_SCHEMA or --schema the schema (as the API reads them). Exits 1 on any violation, 2 when it cannot run.
// It recomputes every cluster-hour from the bookings themselves rather than trusting the ledger
// (cluster_hours), then checks the ledger against that recomputation.
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { readOptions, type OptionDef } from './lib/cli';

export interface AckedBooking {
  id: string;
  idempotencyKey: string;
  orgId?: string;
  /** The run cancelled it later (cancelBooking acknowledged): it must exist as CANCELLED. */
  cancelled?: boolean;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
  samples?: unknown[];
}

const SAMPLE = 5;

async function tableColumns(db: Client, table: string): Promise<Set<string>> {
  const r = await db.query(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  return new Set(r.rows.map((x) => x.column_name as string));
}

export async function checkInvariants(db: Client, acks: AckedBooking[] | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (name: string, rows: unknown[], okDetail: string, badDetail: (n: number) => string) =>
    results.push(
      rows.length === 0
        ? { name, ok: true, detail: okDetail }
        : { name, ok: false, detail: badDetail(rows.length), samples: rows.slice(0, SAMPLE) },
    );

  const counts = await db.query(
    `SELECT count(*) FILTER (WHERE status = 'CONFIRMED')::int AS confirmed,
            count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled,
            (SELECT count(*)::int FROM cluster_hours) AS ledger_rows
       FROM bookings`,
  );
  const { confirmed, cancelled, ledger_rows } = counts.rows[0];

  // 1. Bookings are well formed: hour-aligned, ends = starts + hours, one green figure per hour,
  //    each between 0 and the booking's power draw.
  const malformed = await db.query(
    `SELECT id, starts_at, ends_at, hours, draw_w, green_w FROM bookings
      WHERE date_trunc('hour', starts_at) <> starts_at
         OR ends_at <> starts_at + make_interval(hours => hours)
         OR cardinality(green_w) <> hours
         OR EXISTS (SELECT 1 FROM unnest(green_w) g WHERE g < 0 OR g > draw_w)
      LIMIT 100`,
  );
  add('bookings well formed', malformed.rows, `${confirmed + cancelled} bookings`, (n) => `${n} malformed bookings`);

  //    A booking's grid energy is its grid MWh hour by hour at the prices it kept for its hours
  //    (to the cent: parts are rounded half a cent away from zero), when the schema keeps them.
  if ((await tableColumns(db, 'bookings')).has('grid_price_per_mwh')) {
    const repriced = await db.query(
      `SELECT b.id, b.price_grid_energy, g.cost FROM bookings b
         CROSS JOIN LATERAL (SELECT sum((b.draw_w - b.green_w[i]) * b.grid_price_per_mwh[i]) / 1e6 AS cost
                               FROM generate_subscripts(b.green_w, 1) AS i) g
        WHERE cardinality(b.grid_price_per_mwh) <> b.hours OR abs(b.price_grid_energy - g.cost) > 0.0051
        LIMIT 100`,
    );
    add(
      "grid energy = each hour's grid MWh at the booking's hourly grid prices",
      repriced.rows,
      `${confirmed + cancelled} bookings`,
      (n) => `${n} bookings whose grid energy differs from their hours at their prices`,
    );
  }

  // 2. Recompute booked TFLOPS and allocated green W per cluster-hour from CONFIRMED bookings and
  //    compare with the ledger; the ledger's capacity and supply bound the recomputed sums.
  const recomputed = `
    WITH per_hour AS (
      SELECT b.cluster_id, b.starts_at + make_interval(hours => i - 1) AS hour, b.tflops, b.green_w[i] AS green
        FROM bookings b, generate_subscripts(b.green_w, 1) AS i
       WHERE b.status = 'CONFIRMED'),
    agg AS (
      SELECT cluster_id, hour, sum(tflops)::bigint AS booked, sum(green)::bigint AS green
        FROM per_hour GROUP BY cluster_id, hour)`;
  const ledger = await db.query(
    `${recomputed}
     SELECT coalesce(a.cluster_id, l.cluster_id) AS cluster_id, coalesce(a.hour, l.hour) AS hour,
            coalesce(a.booked, 0) AS booked_from_bookings, l.booked_tflops AS ledger_booked,
            coalesce(a.green, 0) AS green_from_bookings, l.green_alloc_w AS ledger_green
       FROM agg a FULL JOIN cluster_hours l ON l.cluster_id = a.cluster_id AND l.hour = a.hour
      WHERE l.cluster_id IS NULL
         OR coalesce(a.booked, 0) <> l.booked_tflops
         OR coalesce(a.green, 0) <> l.green_alloc_w
      LIMIT 100`,
  );
  add(
    'ledger = sum of confirmed bookings',
    ledger.rows,
    `${ledger_rows} cluster-hours agree with the bookings`,
    (n) => `${n}${n === 100 ? '+' : ''} cluster-hours where the ledger differs from the bookings`,
  );

  const over = await db.query(
    `${recomputed}
     SELECT a.cluster_id, a.hour, a.booked, l.capacity_tflops, a.green, l.green_supply_w
       FROM agg a JOIN cluster_hours l ON l.cluster_id = a.cluster_id AND l.hour = a.hour
      WHERE a.booked > l.capacity_tflops OR a.green > l.green_supply_w
      LIMIT 100`,
  );
  add('no cluster-hour over ledger capacity or green supply', over.rows, 'none', (n) => `${n} cluster-hours over`);

  // 3. Independently of the ledger: capacity from clusters + capacity_changes (the latest change
  //    covering the hour wins) and green supply from the posted windows covering the hour, plus
  //    what supply revisions changed in it (after - before, when the schema has them).
  const revisions = (await tableColumns(db, 'green_revisions')).size > 0;
  const independent = await db.query(
    `${recomputed}
     SELECT a.cluster_id, a.hour, a.booked, cap.capacity, a.green, sup.supply
       FROM agg a
       JOIN clusters c ON c.id = a.cluster_id
       CROSS JOIN LATERAL (
         SELECT coalesce((SELECT cc.capacity_tflops FROM capacity_changes cc
                           WHERE cc.cluster_id = a.cluster_id AND cc.starts_at <= a.hour AND cc.ends_at > a.hour
                           ORDER BY cc.created_at DESC LIMIT 1), c.capacity_tflops) AS capacity) cap
       CROSS JOIN LATERAL (
         SELECT coalesce(sum(w.green_w), 0)::bigint${
           revisions
             ? ` + coalesce((SELECT sum(r.supply_after_w[i] - r.supply_before_w[i]) FROM green_revisions r,
                  LATERAL (SELECT (extract(epoch FROM a.hour - r.starts_at) / 3600)::int + 1 AS i) k
                  WHERE r.cluster_id = a.cluster_id AND r.starts_at <= a.hour AND r.ends_at > a.hour AND NOT r.via_windows), 0)::bigint`
             : ''
         } AS supply FROM green_windows w
          WHERE w.cluster_id = a.cluster_id AND w.starts_at <= a.hour AND w.ends_at >= a.hour + interval '1 hour') sup
      WHERE a.booked > cap.capacity OR a.green > sup.supply
      LIMIT 100`,
  );
  add(
    'no cluster-hour over capacity or green supply (recomputed from clusters, capacity changes, green windows, supply revisions)',
    independent.rows,
    'none',
    (n) => `${n} cluster-hours over`,
  );

  // 4. Idempotency keys are unique per organization.
  const dupKeys = await db.query(
    `SELECT org_id, idempotency_key, count(*)::int AS n FROM bookings
      GROUP BY org_id, idempotency_key HAVING count(*) > 1 LIMIT 100`,
  );
  add('no duplicate idempotency keys', dupKeys.rows, 'none', (n) => `${n} duplicated keys`);

  // 5. Every booking the load test saw acknowledged exists exactly once, under its key.
  if (!acks) {
    results.push({
      name: 'acknowledged bookings exist exactly once',
      ok: true,
      skipped: true,
      detail: 'no --acks file given',
    });
  } else {
    const byId = new Map<string, AckedBooking>();
    const conflicting: unknown[] = [];
    const keyToId = new Map<string, string>();
    for (const a of acks) {
      const k = `${a.orgId ?? ''}\u0000${a.idempotencyKey}`;
      const prev = keyToId.get(k);
      if (prev !== undefined && prev !== a.id)
        conflicting.push({ idempotencyKey: a.idempotencyKey, ids: [prev, a.id] });
      keyToId.set(k, a.id);
      const seen = byId.get(a.id);
      byId.set(a.id, { ...a, cancelled: Boolean(a.cancelled || seen?.cancelled) });
    }
    add(
      'one booking id per acknowledged idempotency key',
      conflicting,
      `${keyToId.size} keys`,
      (n) => `${n} keys acknowledged with different ids`,
    );
    const ids = [...byId.keys()];
    const found = new Map<string, { status: string; idempotency_key: string; org_id: string }>();
    for (let i = 0; i < ids.length; i += 5000) {
      const r = await db.query(`SELECT id, status, idempotency_key, org_id FROM bookings WHERE id = ANY($1::uuid[])`, [
        ids.slice(i, i + 5000),
      ]);
      for (const row of r.rows) found.set(row.id, row);
    }
    const missing: unknown[] = [];
    for (const [id, a] of byId) {
      const row = found.get(id);
      if (!row) missing.push({ id, problem: 'missing' });
      else if (row.idempotency_key !== a.idempotencyKey)
        missing.push({ id, problem: 'other idempotency key', db: row.idempotency_key, acked: a.idempotencyKey });
      else if (a.orgId && row.org_id !== a.orgId) missing.push({ id, problem: 'other organization' });
      else if (a.cancelled && row.status !== 'CANCELLED')
        missing.push({ id, problem: `acknowledged cancelled but ${row.status}` });
      else if (!a.cancelled && row.status !== 'CONFIRMED')
        missing.push({ id, problem: `acknowledged confirmed but ${row.status}` });
    }
    add(
      'acknowledged bookings exist exactly once',
      missing,
      `${byId.size} acknowledged bookings found (${[...byId.values()].filter((a) => a.cancelled).length} cancelled)`,
      (n) => `${n} acknowledged bookings missing or different`,
    );
  }

  // 6. Vouchers, when the schema has them: what each voucher has spent equals the voucher money
  //    of its confirmed bookings and its ledger's draws minus refunds, within [0, cap]; every
  //    booking's voucher money was drawn once, and refunded once if (and only if) it was cancelled.
  const vouchers = await tableColumns(db, 'vouchers');
  if (vouchers.size === 0) {
    results.push({
      name: 'voucher balances add up',
      ok: true,
      skipped: true,
      detail: 'no vouchers table in this schema',
    });
  } else {
    const hasLedger = (await tableColumns(db, 'voucher_ledger')).size > 0;
    const nVouchers = (
      await db.query(`SELECT count(*)::int AS n, coalesce(sum(spent), 0)::text AS spent FROM vouchers`)
    ).rows[0];
    const balances = await db.query(
      `SELECT v.id, v.cap::text, v.spent::text, b.from_bookings::text${hasLedger ? ', l.from_ledger::text' : ''}
         FROM vouchers v
         CROSS JOIN LATERAL (SELECT coalesce(sum(voucher_amount), 0) AS from_bookings FROM bookings
                              WHERE voucher_id = v.id AND status = 'CONFIRMED') b
         ${
           hasLedger
             ? `CROSS JOIN LATERAL (SELECT coalesce(sum(CASE kind WHEN 'DRAW' THEN amount ELSE -amount END), 0) AS from_ledger
                              FROM voucher_ledger WHERE voucher_id = v.id) l`
             : ''
         }
        WHERE v.spent < 0 OR v.spent > v.cap OR v.spent <> b.from_bookings${hasLedger ? ' OR v.spent <> l.from_ledger' : ''}
        LIMIT 100`,
    );
    add(
      'voucher balances add up',
      balances.rows,
      `${nVouchers.n} vouchers, ${nVouchers.spent} spent = confirmed bookings' voucher money${hasLedger ? ' = draws - refunds' : ''}, within caps`,
      (n) => `${n} vouchers whose spent differs from their bookings${hasLedger ? ' or ledger' : ''} or leaves [0, cap]`,
    );
    if (hasLedger) {
      // ADJUST entries (a supply revision lowered the price below the voucher money) give part of a draw back
      const perBooking = await db.query(
        `SELECT b.id, b.status, b.voucher_amount::text,
                (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.kind = 'DRAW' AND l.voucher_id = b.voucher_id)::int AS draws,
                (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.kind = 'REFUND' AND l.amount = b.voucher_amount AND l.voucher_id = b.voucher_id)::int AS refunds,
                (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.voucher_id IS DISTINCT FROM b.voucher_id)::int AS foreign_entries,
                (SELECT coalesce(sum(CASE l.kind WHEN 'DRAW' THEN l.amount WHEN 'ADJUST' THEN -l.amount ELSE 0 END), 0) FROM voucher_ledger l WHERE l.booking_id = b.id)::text AS net,
                (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.kind = 'REFUND')::int AS all_refunds
           FROM bookings b
          WHERE b.voucher_amount > 0 OR EXISTS (SELECT 1 FROM voucher_ledger l WHERE l.booking_id = b.id)`,
      );
      const bad = perBooking.rows.filter((r) => {
        const amount = Number(r.voucher_amount);
        if (amount === 0) return true; // ledger entries for a booking that carries no voucher money
        const refunds = r.status === 'CANCELLED' ? 1 : 0;
        return (
          r.draws !== 1 ||
          r.refunds !== refunds ||
          r.all_refunds !== refunds ||
          r.foreign_entries !== 0 ||
          Number(r.net) !== amount
        );
      });
      add(
        "every booking's voucher money drawn once (and refunded once if cancelled)",
        bad,
        `${perBooking.rows.length} bookings with voucher money`,
        (n) => `${n} bookings whose voucher ledger entries do not match`,
      );
    }
    if ((await tableColumns(db, 'voucher_ledger')).has('seq')) {
      // replayed in the order written (seq), each entry's spent_after is the sum of the entries up to it
      const replay = await db.query(
        `SELECT voucher_id, seq::text, spent_after::text, running::text FROM (
           SELECT voucher_id, seq, spent_after,
                  sum(CASE kind WHEN 'DRAW' THEN amount ELSE -amount END) OVER (PARTITION BY voucher_id ORDER BY seq) AS running
             FROM voucher_ledger) x
          WHERE running <> spent_after LIMIT 100`,
      );
      const n = (await db.query(`SELECT count(*)::int AS n FROM voucher_ledger`)).rows[0].n;
      add(
        'voucher ledgers replay in the order written',
        replay.rows,
        `${n} entries: each spent_after = the draws - refunds and adjustments up to it`,
        (k) => `${k} entries whose spent_after is not what the entries before them add up to`,
      );
    }
  }
  // 8. Green SLAs, when the schema has them: no booking holds more green in an hour than it was
  //    promised when booked; each booking's SLA credit is the sum of its credit ledger entries,
  //    never negative, zero once cancelled, and owed only while the booking is below its minGreenShare.
  if ((await tableColumns(db, 'sla_credits')).size === 0) {
    results.push({
      name: 'SLA credits match their ledger',
      ok: true,
      skipped: true,
      detail: 'no sla_credits table in this schema',
    });
  } else {
    const over = await db.query(
      `SELECT b.id, i, b.green_w[i] AS green, b.green_w_promised[i] AS promised FROM bookings b, generate_subscripts(b.green_w, 1) AS i
        WHERE b.green_w[i] > b.green_w_promised[i] LIMIT 100`,
    );
    add(
      'no booking holds more green than it was promised',
      over.rows,
      'none',
      (n) => `${n} booking-hours above their promise`,
    );
    const nCredits = (
      await db.query(
        `SELECT count(*)::int AS n, coalesce(sum(CASE kind WHEN 'CREDIT' THEN amount ELSE -amount END), 0)::text AS net FROM sla_credits`,
      )
    ).rows[0];
    const credits = await db.query(
      `SELECT b.id, b.status, b.sla_credit::text, l.net::text, b.green_share, b.min_green_share
         FROM bookings b
         CROSS JOIN LATERAL (SELECT coalesce(sum(CASE c.kind WHEN 'CREDIT' THEN c.amount ELSE -c.amount END), 0) AS net FROM sla_credits c WHERE c.booking_id = b.id) l
        WHERE b.sla_credit <> l.net OR b.sla_credit < 0 OR (b.status = 'CANCELLED' AND b.sla_credit <> 0)
           OR (b.sla_credit > 0 AND (b.min_green_share IS NULL OR b.green_share >= b.min_green_share))
        LIMIT 100`,
    );
    add(
      'SLA credits match their ledger',
      credits.rows,
      `${nCredits.n} credit entries, ${nCredits.net} owed`,
      (n) => `${n} bookings whose credit differs from its ledger or its breach`,
    );
  }

  // 9. The grid side, when the schema has it: each cluster-hour's grid draw is the sum over its
  //    confirmed bookings of draw minus the green each took; each site-hour's grid drawn is the
  //    sum over the site's clusters; no site-hour draws more than its reserved capacity.
  if ((await tableColumns(db, 'site_hours')).size === 0) {
    results.push({
      name: 'grid drawn = sum of confirmed bookings, per cluster and site',
      ok: true,
      skipped: true,
      detail: 'no site_hours table in this schema',
    });
  } else {
    const clusterGrid = await db.query(
      `WITH agg AS (
         SELECT b.cluster_id, b.starts_at + make_interval(hours => i - 1) AS hour, sum(b.draw_w - b.green_w[i])::bigint AS grid
           FROM bookings b, generate_subscripts(b.green_w, 1) AS i WHERE b.status = 'CONFIRMED' GROUP BY 1, 2)
       SELECT l.cluster_id, l.hour, coalesce(a.grid, 0) AS grid_from_bookings, l.grid_w AS ledger_grid
         FROM cluster_hours l LEFT JOIN agg a ON a.cluster_id = l.cluster_id AND a.hour = l.hour
        WHERE coalesce(a.grid, 0) <> l.grid_w LIMIT 100`,
    );
    const siteGrid = await db.query(
      `WITH agg AS (
         SELECT c.site_id, h.hour, sum(h.grid_w)::bigint AS grid FROM cluster_hours h JOIN clusters c ON c.id = h.cluster_id
          WHERE c.site_id IS NOT NULL AND h.grid_w <> 0 GROUP BY 1, 2)
       SELECT coalesce(a.site_id, s.site_id) AS site_id, coalesce(a.hour, s.hour) AS hour, coalesce(a.grid, 0) AS grid_from_clusters,
              s.grid_used_w AS ledger_grid, s.grid_cap_w AS reserved
         FROM agg a FULL JOIN site_hours s ON s.site_id = a.site_id AND s.hour = a.hour
        WHERE coalesce(a.grid, 0) <> coalesce(s.grid_used_w, 0) OR (s.grid_cap_w IS NOT NULL AND coalesce(a.grid, 0) > s.grid_cap_w) LIMIT 100`,
    );
    const nSites = (
      await db.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE grid_cap_w IS NOT NULL)::int AS capped FROM site_hours`,
      )
    ).rows[0];
    add(
      'grid drawn = sum of confirmed bookings, per cluster-hour',
      clusterGrid.rows,
      `${ledger_rows} cluster-hours agree`,
      (n) => `${n} cluster-hours whose grid differs from the bookings`,
    );
    add(
      'site grid = sum of its clusters, within the reserved capacity',
      siteGrid.rows,
      `${nSites.n} site-hours (${nSites.capped} with a reserved capacity) agree`,
      (n) => `${n} site-hours whose grid differs from their clusters or exceeds the reserved capacity`,
    );
  }

  // 7. Clearing rounds, when the schema has them: a round request CONFIRMED by a clearing has
  //    exactly one booking, of its startup, under the key "round:<request id>", inside its window,
  //    with its size and objective; every booking under such a key belongs to one; a cleared round
  //    has nothing pending and an open one nothing decided.
  if ((await tableColumns(db, 'round_requests')).size === 0) {
    results.push({
      name: 'round requests match their bookings',
      ok: true,
      skipped: true,
      detail: 'no round_requests table in this schema',
    });
  } else {
    const n = (
      await db.query(
        `SELECT count(*) FILTER (WHERE status = 'CONFIRMED')::int AS c, count(*)::int AS t FROM round_requests`,
      )
    ).rows[0];
    const wrong = await db.query(
      `SELECT r.id, r.status, b.id AS booking, b.org_id = r.org_id AS same_org, b.idempotency_key, b.starts_at, b.ends_at, r.earliest_start, r.deadline
         FROM round_requests r LEFT JOIN bookings b ON b.id = r.booking_id
        WHERE (r.status = 'CONFIRMED') <> (r.booking_id IS NOT NULL)
           OR (r.booking_id IS NOT NULL AND (b.id IS NULL OR b.org_id <> r.org_id OR b.idempotency_key <> 'round:' || r.id OR b.starts_at < r.earliest_start
               OR b.ends_at > r.deadline OR b.hours <> r.hours OR b.tflops <> round(r.pflops * 1000) OR b.objective <> r.objective))
           OR (r.status = 'REFUSED' AND r.reason IS NULL)
        LIMIT 100`,
    );
    add(
      'round requests match their bookings',
      wrong.rows,
      `${n.t} round requests, ${n.c} confirmed by clearings`,
      (k) => `${k} round requests whose booking is missing or different`,
    );
    const orphans = await db.query(
      `SELECT b.id, b.idempotency_key, coalesce(r.n, 0) AS requests FROM bookings b
         LEFT JOIN (SELECT booking_id, count(*)::int AS n FROM round_requests WHERE booking_id IS NOT NULL GROUP BY booking_id) r ON r.booking_id = b.id
        WHERE b.idempotency_key LIKE 'round:%' AND coalesce(r.n, 0) <> 1 LIMIT 100`,
    );
    add(
      'every round booking belongs to exactly one round request',
      orphans.rows,
      'none',
      (k) => `${k} round bookings without (or with several) requests`,
    );
    const states = await db.query(
      `SELECT r.id AS round, r.status, q.status AS request_status, count(*)::int AS n FROM rounds r JOIN round_requests q ON q.round_id = r.id
        WHERE (r.status = 'CLEARED' AND q.status = 'PENDING') OR (r.status IN ('OPEN', 'CLOSED') AND q.status IN ('CONFIRMED', 'REFUSED'))
        GROUP BY r.id, r.status, q.status LIMIT 100`,
    );
    add(
      'cleared rounds have nothing pending, open and closed rounds nothing decided',
      states.rows,
      'none',
      (k) => `${k} rounds with requests in the wrong state`,
    );
  }
  return results;
}

/** The checks on one schema, in one REPEATABLE READ snapshot (a straggling write cannot make them disagree). */
export async function checkSchema(
  databaseUrl: string,
  schema: string | undefined,
  acks: AckedBooking[] | undefined,
): Promise<CheckResult[]> {
  const db = new Client({ connectionString: databaseUrl, options: schema ? `-c search_path=${schema}` : undefined });
  await db.connect();
  try {
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const results = await checkInvariants(db, acks);
    await db.query('COMMIT');
    return results;
  } finally {
    await db.end();
  }
}

export function formatReport(results: CheckResult[]): string {
  const lines = results.map(
    (r) =>
      `${r.skipped ? 'SKIP' : r.ok ? ' OK ' : 'FAIL'}  ${r.name}: ${r.detail}` +
      (r.samples ? `\n        e.g. ${r.samples.map((s) => JSON.stringify(s)).join('\n             ')}` : ''),
  );
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? 'invariants: PASS' : `invariants: FAIL (${failed} check${failed > 1 ? 's' : ''})`);
  return lines.join('\n');
}

const OPTIONS = {
  acks: { kind: 'string', arg: 'FILE', help: "a run's acks.json: every acknowledged booking must exist exactly once" },
  json: { kind: 'string', arg: 'FILE', help: 'also write the results as JSON' },
  schema: { kind: 'string', arg: 'S', help: 'the schema to check (default: DATABASE_SCHEMA, else the search path)' },
} satisfies Record<string, OptionDef>;

async function main(): Promise<void> {
  const args = readOptions(
    process.argv.slice(2),
    OPTIONS,
    'npm run check:invariants -- [--schema S] [--acks FILE] [--json FILE]   (DATABASE_URL names the database)',
  );
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set');
    process.exit(2);
  }
  const acks: AckedBooking[] | undefined = args.acks ? JSON.parse(readFileSync(args.acks, 'utf8')).bookings : undefined;
  const schema = args.schema ?? process.env.DATABASE_SCHEMA;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const results = await checkSchema(url, schema, acks);
  console.log(formatReport(results));
  if (args.json) writeFileSync(args.json, JSON.stringify({ checkedAt: new Date().toISOString(), results }, null, 2));
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`invariant checker could not run: ${(e as Error).message}`);
    process.exit(2);
  });
}
