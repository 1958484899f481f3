import { QuoteLogService } from '../src/kpis/quote-log.service';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { GqlErrorCode } from '../src/common/errors';
import { isNonNullType } from 'graphql';
import { DataSource } from 'typeorm';
import { allowedRoles } from './support/access-matrix';
import { fuzzArgs, invariantViolations, tableChecksum } from './support/fuzz-check';
import { literal } from './support/fuzz-inputs';
import { bootTestApp, hour, TestApp } from './support/helpers';
import { documentFor, operations, selectionFor } from './support/schema-ops';

// Property-based fuzzing of every query and mutation in schema.graphql. Each case calls one
// operation with generated arguments (as variables, or inline as literals) and asserts that the
// answer is a valid result or GraphQL errors with documented codes, never a 5xx, a stack trace or
// SQL, and that the database is unchanged after an error.
// FUZZ_RUNS = cases per operation (default 30: about 830 cases, 30 s on an idle 2-core machine,
// 80 s at load average 10, on PGlite); FUZZ_RUNS=250 for a long run (6,750 cases).
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

describe('fuzzing every operation of the schema', () => {
  let t: TestApp;
  let ds: DataSource;
  let keys: Record<'STARTUP' | 'OPERATOR' | 'BUREAU', string>;
  let idPool: string[];
  let hostile = 0;
  const executed = new Map<string, { cases: number; ok: number; errors: Map<string, number> }>();
  const ops = operations();

  beforeAll(async () => {
    // no round ticks: a scheduled round opening or clearing in the background would change the database between calls
    t = await bootTestApp({ config: { rateLimitPerMinute: 100_000_000, roundTickMs: 0 } });
    ds = t.running.app.get(DataSource);
    const s = await t.createOrg('STARTUP', 'Fuzz startup');
    const o = await t.createOrg('OPERATOR', 'Fuzz operator');
    const spare = await t.createOrg('STARTUP', 'Spare');
    keys = { STARTUP: s.key, OPERATOR: o.key, BUREAU: t.bureauKey };
    const c1 = await t.registerCluster(o.key, { name: 'fuzz one', capacityPflops: 50 });
    const c2 = await t.registerCluster(o.key, { name: 'fuzz two', capacityPflops: 5 });
    const w = await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.5, pricePerMwh: 40, source: SOLAR) { id } }`,
      { c: c1, s: hour(1), e: hour(100) },
      o.key,
    );
    const b = await t.ok(
      `mutation($r: ComputeRequestInput!) { bookCompute(request: $r, objective: GREENEST, idempotencyKey: "fuzz-seed") { id } }`,
      { r: { pflops: 2, hours: 3, earliestStart: hour(2), deadline: hour(48) } },
      s.key,
    );
    const spareKey = await t.ok(`mutation($o: ID!) { issueApiKey(organizationId: $o) { apiKey { id } } }`, {
      o: spare.id,
    });
    // ids the fuzzer may pick, so generated calls reach real rows (the callers' own keys are not among them)
    idPool = [c1, c2, w.addGreenWindow.id, b.bookCompute.id, s.id, o.id, spare.id, spareKey.issueApiKey.apiKey.id];
    if (ops.some((op) => op.name === 'issueVoucher')) {
      const v = await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: s.id, cap: 100, percentCovered: 50, validFrom: hour(0), validUntil: hour(400) },
      });
      idPool.push(v.issueVoucher.id);
    }
  }, 90_000);

  afterAll(async () => {
    const rows = [...executed].map(
      ([op, e]) =>
        `${op.padEnd(20)} ${String(e.cases).padStart(5)} cases, ${String(e.ok).padStart(4)} ok, errors ${JSON.stringify(Object.fromEntries(e.errors))}`,
    );
    const total = [...executed.values()].reduce((n, e) => n + e.cases, 0);

    console.log(
      `fuzz: ${total} generated cases over ${executed.size} operations (FUZZ_RUNS=${RUNS} per operation) + ${hostile} hostile requests\n${rows.join('\n')}`,
    );
    await t?.close();
  });

  it.each(operations().map((o) => [o.kind, o.name]))(
    '%s %s: documented errors or a valid result, no change after an error',
    async (_kind, name) => {
      const op = ops.find((o) => o.name === name)!;
      const stats = { cases: 0, ok: 0, errors: new Map<string, number>() };
      executed.set(name, stats);
      const roles = allowedRoles(name);
      const quoteLog = t.running.app.get(QuoteLogService);
      await quoteLog.flush();
      let before = await tableChecksum(ds);
      await fc.assert(
        fc.asyncProperty(fuzzArgs(op, idPool), fc.boolean(), fc.constantFrom(...roles), async (vars, inline, role) => {
          const query = inline
            ? `${op.kind} { ${op.name}${
                op.args.some((a) => a.name in vars)
                  ? `(${op.args
                      .filter((a) => a.name in vars)
                      .map((a) => `${a.name}: ${literal(vars[a.name], a.type)}`)
                      .join(', ')})`
                  : ''
              } ${selectionFor(op.field.type, 3)} }`
            : documentFor(op, vars, 3);
          const res = await fetch(`${t.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[role]}` },
            body: JSON.stringify({ query, variables: inline ? undefined : vars }),
          });
          const text = await res.text();
          stats.cases++;
          const problems = invariantViolations(res.status, text, name, !isNonNullType(op.field.type));
          const body = problems.length ? null : (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] });
          const failed = !!body?.errors?.length;
          if (failed) {
            const code = String(body.errors![0].extensions?.code);
            stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
          } else if (body) stats.ok++;
          // queries too: some record what they served (quotes feed the quote-to-booking KPI, in
          // batches written a moment later: flushed here so a later call is not blamed for them)
          await quoteLog.flush();
          const after = await tableChecksum(ds);
          if (failed && after !== before) problems.push('the database changed although the call failed');
          before = after;
          if (problems.length)
            throw new Error(
              `${problems.join('; ')}\nrole ${role}\nquery ${query.slice(0, 2000)}\nvariables ${JSON.stringify(vars).slice(0, 2000)}\nanswer ${res.status} ${text.slice(0, 2000)}`,
            );
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      expect(stats.cases).toBe(RUNS);
    },
    600_000,
  );

  it('the table checksum notices a change (so "unchanged" above means something)', async () => {
    const before = await tableChecksum(ds);
    await t.createOrg('STARTUP', 'Checksum probe');
    expect(await tableChecksum(ds)).not.toBe(before);
  });

  it('covers every operation of schema.graphql', () => {
    expect(ops.map((o) => o.name).filter((n) => (executed.get(n)?.cases ?? 0) < RUNS)).toEqual([]);
    expect(ops.length).toBeGreaterThan(0);
  });

  describe('hostile documents and requests', () => {
    const post = async (body: string, headers: Record<string, string> = {}) => {
      hostile++;
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.BUREAU}`, ...headers },
        body,
      });
      return { status: res.status, text: await res.text() };
    };
    const expectRefused = async (
      r: { status: number; text: string },
      codes: string[] = [GqlErrorCode.BAD_USER_INPUT],
    ) => {
      expect(invariantViolations(r.status, r.text, 'document')).toEqual([]);
      const body = JSON.parse(r.text);
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(codes).toContain(body.errors[0].extensions?.code);
      expect(body.data ?? null).toBeNull();
    };

    it('refuses deeply nested selections, nested lists and fragment cycles', async () => {
      const before = await tableChecksum(ds);
      await expectRefused(
        await post(
          JSON.stringify({
            query: `{ ${'bookings { edges { node { price { '.repeat(6)}total${' } } } }'.repeat(6)} }`,
          }),
        ),
      );
      await expectRefused(await post(JSON.stringify({ query: `{ me ${'{ id '.repeat(3000)}${'}'.repeat(3000)} }` })));
      await expectRefused(
        await post(
          JSON.stringify({
            query: `query($x: [[ID]]) { me { id } }`,
            variables: { x: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) },
          }),
        ),
      );
      await expectRefused(
        await post(
          JSON.stringify({
            query: `query { ...A } fragment A on Query { ...B } fragment B on Query { ...A me { id } }`,
          }),
        ),
      );
      expect(await tableChecksum(ds)).toBe(before);
    });

    it('refuses enormous documents: thousands of aliases or of aliased mutations', async () => {
      const before = await tableChecksum(ds);
      await expectRefused(
        await post(
          JSON.stringify({
            query: `{ ${Array.from({ length: 6000 }, (_, i) => `a${i}: me { id name role createdAt }`).join(' ')} }`,
          }),
        ),
      );
      await expectRefused(
        await post(
          JSON.stringify({
            query: `mutation { ${Array.from({ length: 2000 }, (_, i) => `m${i}: createOrganization(input: { name: "n${i}", role: STARTUP }) { organization { id name role createdAt } firstKey { key } }`).join(' ')} }`,
          }),
        ),
      );
      await expectRefused(
        await post(JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(3_000_000) } })),
      );
      expect(await tableChecksum(ds)).toBe(before);
      // (megabytes of documents: seconds of CPU on a busy 2-core machine; the refusal is the check)
    }, 30_000);

    it('batched operations (an array of operations in one POST) get one documented answer, nothing runs', async () => {
      const before = await tableChecksum(ds);
      const batch = Array.from({ length: 50 }, (_, i) => ({
        query: `mutation { createOrganization(input: { name: "batch ${i}", role: STARTUP }) { organization { id } } }`,
      }));
      await expectRefused(await post(JSON.stringify(batch)));
      expect(await tableChecksum(ds)).toBe(before);
    });

    it('malformed bodies, wrong variable shapes, several anonymous operations, unknown operationName', async () => {
      const before = await tableChecksum(ds);
      for (const body of [
        '{"query": ',
        '[]',
        '"just a string"',
        'null',
        JSON.stringify({ query: 42 }),
        JSON.stringify({ query: '{ me { id } }', variables: 'x' }),
        JSON.stringify({ query: '{ me { id } }', variables: [1, 2] }),
        JSON.stringify({ query: '{ me { id } } { me { name } }' }),
        JSON.stringify({ query: 'query A { me { id } } query B { me { id } }', operationName: 'C' }),
        JSON.stringify({ query: '{ me { id } }', extensions: { persistedQuery: { version: 1, sha256Hash: 'ab' } } }),
        JSON.stringify({ query: `{ bookings(first: 99999999999999999999) { edges { cursor } } }` }),
        JSON.stringify({ query: `{ bookings(first: 1e999) { edges { cursor } } }` }),
        JSON.stringify({ query: `{ bookings(after: "${'%'.repeat(500)}") { edges { cursor } } }` }),
      ]) {
        const r = await post(body);
        const problems = invariantViolations(r.status, r.text, 'document');
        if (!problems.length && !JSON.parse(r.text).errors) problems.push('accepted');
        expect({ body: body.slice(0, 80), problems }).toEqual({ body: body.slice(0, 80), problems: [] });
      }
      expect(await tableChecksum(ds)).toBe(before);
    });

    it('a mutation sent as GET (no CSRF-able writes) is refused and not executed', async () => {
      const before = await tableChecksum(ds);
      const q = encodeURIComponent(
        `mutation { createOrganization(input: { name: "via get ${randomBytes(2).toString('hex')}", role: STARTUP }) { organization { id } } }`,
      );
      hostile++;
      const res = await fetch(`${t.url}/graphql?query=${q}`, {
        headers: { authorization: `Bearer ${keys.BUREAU}`, 'apollo-require-preflight': 'true' },
      });
      const text = await res.text();
      expect(res.status).toBeLessThan(500);
      expect(text).not.toContain('"organization"');
      expect(await tableChecksum(ds)).toBe(before);
    });
  });
});
