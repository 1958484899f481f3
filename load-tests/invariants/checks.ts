// What every group of invariant checks shares: the results list and how a check reports.
import type { Client } from 'pg';

export interface CheckResult {
  name: string;
  ok: boolean;
  skipped?: boolean;
  detail: string;
  samples?: unknown[];
}

const SAMPLE = 5;

/** The results of one checker run; each check adds one line, failing with up to five samples. */
export class Checks {
  readonly results: CheckResult[] = [];

  constructor(readonly db: Client) {}

  /** A check whose violations are `rows` (none: it holds, with `okDetail`). */
  add(name: string, rows: unknown[], okDetail: string, badDetail: (n: number) => string): void {
    this.results.push(
      rows.length === 0
        ? { name, ok: true, detail: okDetail }
        : { name, ok: false, detail: badDetail(rows.length), samples: rows.slice(0, SAMPLE) },
    );
  }

  /** The violations a query finds (at most 100). */
  async rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return (await this.db.query(sql, params)).rows;
  }

  /** One row of figures for a check's detail line. */
  async one(sql: string): Promise<Record<string, any>> {
    return (await this.db.query(sql)).rows[0];
  }
}

// the tables and columns the checks read: a schema without one of them is not a pflex schema at the
// current migration, and the checker refuses to run on it rather than leave checks out
const REQUIRED: Record<string, string[]> = {
  bookings: [
    'green_w_promised',
    'grid_price_per_mwh',
    'green_price_per_mwh',
    'voucher_amount',
    'sla_credit',
    'cancelled_at',
  ],
  cluster_hours: ['capacity_tflops', 'booked_tflops', 'green_supply_w', 'green_alloc_w', 'grid_w'],
  clusters: ['owner_org_id', 'site_id', 'capacity_tflops'],
  capacity_changes: ['capacity_tflops'],
  green_windows: ['green_w'],
  green_revisions: ['supply_before_w', 'supply_after_w', 'via_windows'],
  ledger_versions: ['version'],
  vouchers: ['percent_covered', 'cap', 'spent', 'valid_from', 'valid_until', 'cluster_ids', 'min_green_share'],
  voucher_ledger: ['kind', 'amount', 'seq', 'spent_after'],
  sla_credits: ['operator_org_id', 'kind', 'amount'],
  site_hours: ['grid_cap_w', 'grid_used_w'],
  rounds: ['status'],
  round_requests: ['booking_id', 'status'],
};

/** Throws (the checker cannot run) when the schema lacks a table or column the checks read. */
export async function requireSchema(db: Client): Promise<void> {
  const r = await db.query(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = ANY($1::text[])`,
    [Object.keys(REQUIRED)],
  );
  const have = new Set(r.rows.map((x) => `${x.table_name}.${x.column_name}`));
  const missing = Object.entries(REQUIRED).flatMap(([t, cols]) =>
    cols.filter((c) => !have.has(`${t}.${c}`)).map((c) => `${t}.${c}`),
  );
  if (missing.length > 0)
    throw new Error(
      `the schema (${(await db.query('SELECT current_schema() AS s')).rows[0].s}) lacks ${missing.join(', ')}: ` +
        'not a pflex schema at the current migration (run the API or `node dist/apps/api/src/migrate.js` on it first)',
    );
}
