// Invariant checker, run after every load test straight against PostgreSQL:
//   npx tsx load-tests/check-invariants.ts [--acks load-tests/results/<run>/acks.json] [--json out.json] [--schema s]
// DATABASE_URL names the database; DATABASE_SCHEMA or --schema the schema (as the API reads them). Exits 1 on any violation, 2 when it cannot run.
// It recomputes every cluster-hour from the bookings themselves rather than trusting the ledger
// (cluster_hours), then checks the ledger against that recomputation; the checks are in invariants/.
import { readFileSync, writeFileSync } from 'node:fs';
import { Client } from 'pg';
import { checkAcks, checkBookings, checkKeys } from './invariants/bookings';
import { Checks, requireSchema, type CheckResult } from './invariants/checks';
import { checkGrid, checkLedger } from './invariants/ledger';
import { checkRounds, checkSla } from './invariants/records';
import { checkVouchers } from './invariants/vouchers';
import { readOptions, type OptionDef } from './lib/cli';

export type { CheckResult } from './invariants/checks';

export interface AckedBooking {
  id: string;
  idempotencyKey: string;
  orgId?: string;
  /** The run cancelled it later (cancelBooking acknowledged): it must exist as CANCELLED. */
  cancelled?: boolean;
}

/**
 * Every check on the database `db` is connected to (its search path), with the load test's
 * acknowledged bookings if given. Throws when the schema is not a pflex schema at the current
 * migration: no check is ever left out for a missing table.
 */
export async function checkInvariants(db: Client, acks: AckedBooking[] | undefined): Promise<CheckResult[]> {
  await requireSchema(db);
  const c = new Checks(db);
  const counts = await c.one(
    `SELECT count(*)::int AS total, (SELECT count(*)::int FROM cluster_hours) AS ledger_rows FROM bookings`,
  );
  await checkBookings(c, counts.total as number);
  await checkLedger(c, counts.ledger_rows as number);
  await checkKeys(c);
  await checkAcks(c, acks);
  await checkVouchers(c);
  await checkSla(c);
  await checkGrid(c, counts.ledger_rows as number);
  await checkRounds(c);
  return c.results;
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
