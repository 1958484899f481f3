import fc from 'fast-check';
import type { DataSource } from 'typeorm';
import { GqlErrorCode } from '../../src/common/errors';
import { saneArb, valueArb } from './fuzz-inputs';
import type { Operation } from './schema-ops';

/** Codes a client may see for a bad request; INTERNAL_SERVER_ERROR is a bug, never an answer to input. */
export const DOCUMENTED_CODES = new Set<string>(
  Object.values(GqlErrorCode).filter((c) => c !== GqlErrorCode.INTERNAL_SERVER_ERROR),
);

// what the internals look like when they leak: stack frames, source paths, driver and SQL messages
const LEAKS = [
  /\n\s+at \S/,
  /node_modules/,
  /\.[jt]s:\d+:\d+/,
  /stacktrace/i,
  /QueryFailedError/,
  /violates (check|foreign key|unique|not-null) constraint/i,
  /duplicate key value/i,
  /syntax error at or near/i,
  /invalid input syntax for type/i,
  /relation "[^"]+" does not exist/i,
  /TypeORM|PGlite|pg-pool/,
];

/**
 * What is wrong with an HTTP answer to a GraphQL request: a 5xx, a body that is not JSON, errors
 * without a documented code, internals in the text, or a result missing its data (null only where
 * the operation's type is nullable).
 */
export function invariantViolations(status: number, text: string, op: string, nullable = false): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`HTTP ${status}`);
  for (const re of LEAKS) if (re.test(text)) problems.push(`leaks internals (${re})`);
  let body: {
    data?: Record<string, unknown> | null;
    errors?: { message?: unknown; extensions?: { code?: unknown } }[];
  };
  try {
    body = JSON.parse(text);
  } catch {
    problems.push('answer is not JSON');
    return problems;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    problems.push('answer is not a GraphQL response object');
    return problems;
  }
  if (body.errors !== undefined) {
    if (!Array.isArray(body.errors) || body.errors.length === 0) problems.push('errors is not a non-empty list');
    for (const e of body.errors ?? []) {
      const code = String(e.extensions?.code);
      if (!DOCUMENTED_CODES.has(code))
        problems.push(`undocumented error code ${code}: ${String(e.message).slice(0, 300)}`);
      if (typeof e.message !== 'string' || e.message.length === 0) problems.push('error without a message');
    }
  } else if (
    body.data === null ||
    body.data === undefined ||
    body.data[op] === undefined ||
    (body.data[op] === null && !nullable)
  ) {
    problems.push('neither errors nor data');
  }
  return problems;
}

/**
 * Generated arguments for one operation: hostile (required ones usually present, optional ones
 * sometimes) or plausible (to reach the services and the database), one half each.
 */
export function fuzzArgs(op: Operation, idPool: readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const hostile: Record<string, fc.Arbitrary<unknown>> = {};
  const sane: Record<string, fc.Arbitrary<unknown>> = {};
  for (const a of op.args) {
    hostile[a.name] = valueArb(a.type, idPool);
    sane[a.name] = saneArb(a.type, idPool, a.name);
  }
  const required = op.args
    .filter((a) => a.type.toString().endsWith('!') && a.defaultValue === undefined)
    .map((a) => a.name);
  return fc.oneof(
    { arbitrary: fc.record(hostile, { requiredKeys: required }), weight: 11 },
    { arbitrary: fc.record(hostile, { requiredKeys: [] }), weight: 1 },
    { arbitrary: fc.record(sane, { requiredKeys: required }), weight: 12 },
  );
}

/**
 * Row count and content hash of every table of the app's schema, in one statement: equal before
 * and after a failed call means the call changed nothing.
 */
export async function tableChecksum(ds: DataSource): Promise<string> {
  const tables: { table_name: string }[] = await ds.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  // order-independent sum of row hashes: no sort, so the ledger's thousands of rows stay cheap
  const parts = tables.map(
    ({ table_name: n }) =>
      `SELECT '${n}' AS t, count(*)::int AS n, coalesce(sum(hashtext(x::text)::bigint), 0)::text AS h FROM "${n}" x`,
  );
  const rows: { t: string; n: number; h: string }[] = await ds.query(parts.join(' UNION ALL '));
  return rows.map((r) => `${r.t}:${r.n}:${r.h}`).join(',');
}
