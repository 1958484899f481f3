import { randomBytes, randomUUID } from 'node:crypto';
import { CALLERS, expectedRow, freshBooking, Fx, MATRIX, request, uniq } from './support/access-matrix';
import { bootTestApp, gqlAt, hour } from './support/helpers';
import { documentFor, operations } from './support/schema-ops';

describe('access control matrix: every operation x every caller', () => {
  let fx: Fx;
  const ops = operations();

  beforeAll(async () => {
    const t = await bootTestApp();
    const sA = await t.createOrg('STARTUP', 'Startup A');
    const sB = await t.createOrg('STARTUP', 'Startup B');
    const oA = await t.createOrg('OPERATOR', 'Operator A');
    const oB = await t.createOrg('OPERATOR', 'Operator B');
    const gone = await t.createOrg('STARTUP', 'Revoked');
    const goneKeyId = (await t.ok(`query($o: ID!) { apiKeys(organizationId: $o) { id } }`, { o: gone.id })).apiKeys[0]
      .id;
    await t.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: goneKeyId });
    const clusterA = await t.registerCluster(oA.key, { name: 'A' });
    await t.registerCluster(oB.key, { name: 'B' });
    fx = {
      t,
      keys: {
        none: null,
        revoked: gone.key,
        wrong: `pflex_${randomBytes(32).toString('base64url')}`,
        startupA: sA.key,
        startupB: sB.key,
        operatorA: oA.key,
        operatorB: oB.key,
        bureau: t.bureauKey,
      },
      startupA: sA.id,
      clusterA,
      bookingA: '',
      operatorAKey: oA.key,
      startupAKey: sA.key,
      voucherA: '',
    };
    fx.bookingA = await freshBooking(fx);
    // rules that never bind, so that accessRule has something to show
    await t.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
      i: { organizationId: sA.id, maxPflopsHoursPer7Days: 1_000_000, maxClusterShare: 1 },
    });
    fx.voucherA = (
      await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: sA.id, cap: 50, percentCovered: 10, validFrom: hour(0), validUntil: hour(500) },
      })
    ).issueVoucher.id;
  }, 90_000);
  afterAll(() => fx?.t.close());

  it('has a row for every query and mutation in schema.graphql (and none for operations that are gone)', () => {
    const names = ops.map((o) => o.name).sort();
    expect(names.filter((n) => !MATRIX[n])).toEqual([]);
    expect(Object.keys(MATRIX).filter((n) => !names.includes(n))).toEqual([]);
  });

  it('every cell answers as the matrix says', async () => {
    const mismatches: string[] = [];
    let cells = 0;
    for (const op of ops) {
      const row = MATRIX[op.name];
      if (!row) continue;
      const expected = expectedRow(row.expect);
      for (const who of CALLERS) {
        const vars = await row.args(fx);
        const r = await gqlAt(fx.t.url, documentFor(op, vars, 2), vars, fx.keys[who]);
        const got = r.errors?.length
          ? String(r.errors[0].extensions?.code)
          : r.data?.[op.name] != null
            ? 'ok'
            : 'no data';
        cells++;
        if (got !== expected[who])
          mismatches.push(
            `${op.name} as ${who}: expected ${expected[who]}, got ${got} ${r.errors ? JSON.stringify(r.errors[0]) : ''}`,
          );
      }
    }

    console.log(`access matrix: ${ops.length} operations x ${CALLERS.length} callers = ${cells} cells`);
    expect(mismatches).toEqual([]);
    expect(cells).toBe(ops.length * CALLERS.length);
  }, 120_000);

  it("a startup cannot tell another startup's booking or voucher from one that does not exist", async () => {
    const { t, keys, bookingA, voucherA } = fx;
    const shape = async (q: string, id: string, key: string | null) => {
      const r = await gqlAt(t.url, q, { id }, key);
      const e = r.errors?.[0];
      return {
        data: r.data,
        status: r.status,
        code: e?.extensions?.code,
        message: e?.message.replace(id, '<id>'),
        extensionKeys: Object.keys(e?.extensions ?? {}).sort(),
      };
    };
    for (const q of [
      `query($id: ID!) { booking(id: $id) { id } }`,
      `mutation($id: ID!) { cancelBooking(id: $id) { id } }`,
    ]) {
      for (const who of ['startupB', 'operatorB'] as const) {
        const theirs = await shape(q, bookingA, keys[who]);
        const missing = await shape(q, randomUUID(), keys[who]);
        const garbage = await shape(q, 'not-a-uuid', keys[who]);
        expect(theirs.code).toMatch(/^(NOT_FOUND|FORBIDDEN)$/);
        expect(missing).toEqual(theirs);
        if (who === 'startupB') expect(garbage).toEqual(theirs);
      }
    }
    const theirVoucher = await shape(`query($id: ID!) { voucher(id: $id) { id } }`, voucherA, keys.startupB);
    expect(theirVoucher.code).toBe('NOT_FOUND');
    expect(await shape(`query($id: ID!) { voucher(id: $id) { id } }`, randomUUID(), keys.startupB)).toEqual(
      theirVoucher,
    );
    const list = await t.ok(
      `query($c: ID) { bookings(first: 100, filter: { clusterId: $c }) { edges { node { id } } } }`,
      { c: fx.clusterA },
      keys.startupB,
    );
    expect(list.bookings.edges.map((e: { node: { id: string } }) => e.node.id)).not.toContain(bookingA);
    // the booking is still there and still A's
    expect(
      (await t.ok(`query($id: ID!) { booking(id: $id) { id status } }`, { id: bookingA }, keys.startupA)).booking,
    ).toEqual({ id: bookingA, status: 'CONFIRMED' });
  });

  it("idempotency keys are per organization: B reusing A's key gets its own booking, never A's", async () => {
    const { t, keys } = fx;
    const q = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id organizationId } }`;
    const k = `shared-${uniq()}`;
    const a = (await t.ok(q, { r: request(fx.clusterA), k }, keys.startupA)).bookCompute;
    const r = await gqlAt(t.url, q, { r: request(fx.clusterA), k }, keys.startupB);
    const b = r.data?.bookCompute;
    if (b) expect(b.id).not.toBe(a.id);
    else expect(r.errors?.[0].extensions?.code).toMatch(/^(CONFLICT|BAD_USER_INPUT)$/);
    expect(JSON.stringify(r)).not.toContain(a.id);
  });
});
