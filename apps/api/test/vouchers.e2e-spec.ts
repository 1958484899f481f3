import { bootTestApp, hour, TestApp } from './support/helpers';

const VOUCHER_FIELDS = `id organizationId percentCovered cap spent remaining validFrom validUntil clusterIds minGreenShare createdAt`;
const ISSUE = `mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { ${VOUCHER_FIELDS} } }`;
const VOUCHER = `query($id: ID!) { voucher(id: $id) { ${VOUCHER_FIELDS} } }`;
const VOUCHERS = `query($o: ID, $n: Int, $a: String) { vouchers(organizationId: $o, first: $n, after: $a) { edges { cursor node { id organizationId } } pageInfo { hasNextPage endCursor } } }`;
const LEDGER = `query($id: ID!) { voucherLedger(voucherId: $id) { edges { node { voucherId bookingId kind amount spentAfter createdAt } } pageInfo { hasNextPage } } }`;
const PRICE = `price { compute greenEnergy gridEnergy total voucher totalAfterVoucher } voucherId`;
const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available placement { clusterId startsAt greenShare ${PRICE} } } }`;
const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { id startsAt greenShare ${PRICE} } }`;
const GET = `query($id: ID!) { booking(id: $id) { id status ${PRICE} } }`;
const CANCEL = `mutation($id: ID!) { cancelBooking(id: $id) { id status ${PRICE} } }`;

describe('compute vouchers over HTTP', () => {
  let t: TestApp;
  let operator: string;
  let clusterA: string;
  let clusterB: string;
  let n = 0;
  const key = () => `v-${++n}`;
  const h = (i: number) => hour(2 + i);
  // 10 PFLOPS for 1 h on A: compute 10 x 2 = 20, grid 0.12 MWh x 600 = 72, total 92; on B: 10 + 72 = 82
  const req = (cluster: string, start: number, extra: Record<string, unknown> = {}) => ({
    pflops: 10,
    hours: 1,
    earliestStart: h(start),
    deadline: h(start + 1),
    clusterIds: [cluster],
    ...extra,
  });
  const issue = (organizationId: string, extra: Record<string, unknown> = {}) =>
    t
      .ok(ISSUE, {
        i: { organizationId, percentCovered: 50, cap: 1000, validFrom: hour(-1), validUntil: h(48), ...extra },
      })
      .then((d) => d.issueVoucher);
  const book = (k: string, r: Record<string, unknown>, objective = 'EARLIEST') =>
    t.ok(BOOK, { r, o: objective, k: key() }, k).then((d) => d.bookCompute);
  const voucher = (id: string) => t.ok(VOUCHER, { id }).then((d) => d.voucher);
  const ledger = (id: string, k?: string) =>
    t.ok(LEDGER, { id }, k).then((d) => d.voucherLedger.edges.map((e: any) => e.node));

  beforeAll(async () => {
    t = await bootTestApp();
    operator = (await t.createOrg('OPERATOR')).key;
    clusterA = await t.registerCluster(operator, {
      name: 'A',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
    });
    clusterB = await t.registerCluster(operator, {
      name: 'B',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 1,
      gridPricePerMwh: 600,
    });
    // 0.12 MW green at 300/MWh over [h4, h8) on A: a 10 PFLOPS run there is fully green, 20 + 36 = 56
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.12, source: SOLAR, pricePerMwh: 300) { id } }`,
      { c: clusterA, s: h(4), e: h(8) },
      operator,
    );
  }, 90_000);
  afterAll(() => t?.close());

  it('the bureau issues vouchers to startups only, with validated terms', async () => {
    const s = await t.createOrg('STARTUP');
    const op = await t.createOrg('OPERATOR');
    const v = await issue(s.id, { percentCovered: 40, cap: 250.5, clusterIds: [clusterA], minGreenShare: 0.5 });
    expect(v).toMatchObject({
      organizationId: s.id,
      percentCovered: 40,
      cap: 250.5,
      spent: 0,
      remaining: 250.5,
      validUntil: h(48),
      clusterIds: [clusterA],
      minGreenShare: 0.5,
    });
    expect(await voucher(v.id)).toEqual(v);
    // cluster ids in either case, kept as the cluster's own
    const other = await t.createOrg('STARTUP');
    const upper = await issue(other.id, {
      percentCovered: 10,
      cap: 1,
      clusterIds: [clusterA.toUpperCase(), clusterA],
    });
    expect(upper.clusterIds).toEqual([clusterA]); // a repeat counts once
    const i = { organizationId: s.id, percentCovered: 50, cap: 100, validFrom: h(0), validUntil: h(10) };
    expect((await t.code(ISSUE, { i }, s.key)).code).toBe('FORBIDDEN');
    expect(await t.code(ISSUE, { i: { ...i, organizationId: op.id } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.organizationId',
    });
    expect((await t.code(ISSUE, { i: { ...i, organizationId: '00000000-0000-4000-8000-000000000000' } })).code).toBe(
      'NOT_FOUND',
    );
    expect((await t.code(ISSUE, { i: { ...i, percentCovered: 101 } })).code).toBe('BAD_USER_INPUT');
    expect((await t.code(ISSUE, { i: { ...i, percentCovered: 0 } })).code).toBe('BAD_USER_INPUT');
    expect((await t.code(ISSUE, { i: { ...i, cap: -5 } })).code).toBe('BAD_USER_INPUT');
    expect((await t.code(ISSUE, { i: { ...i, cap: 1.005 } })).code).toBe('BAD_USER_INPUT');
    expect((await t.code(ISSUE, { i: { ...i, minGreenShare: 1.2 } })).code).toBe('BAD_USER_INPUT');
    expect(await t.code(ISSUE, { i: { ...i, validUntil: h(0) } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.validUntil',
    });
    // a validity that has already ended: a voucher that can never apply
    expect(await t.code(ISSUE, { i: { ...i, validFrom: h(-48), validUntil: h(-24) } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.validUntil',
      message: expect.stringContaining('must be in the future'),
    });
    expect(
      await t.code(ISSUE, { i: { ...i, clusterIds: [clusterA, clusterA, '00000000-0000-4000-8000-000000000000'] } }),
    ).toMatchObject({ code: 'NOT_FOUND', field: 'input.clusterIds[2]' });
    // the bureau: a mistyped id is NOT_FOUND, not "no vouchers"
    expect(await t.code(VOUCHERS, { o: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      code: 'NOT_FOUND',
      field: 'organizationId',
    });
    const list = await t.ok(VOUCHERS, { o: s.id });
    expect(list.vouchers.edges.map((e: any) => e.node.id)).toEqual([v.id]);
  });

  it('issueVoucher with an idempotency key issues once, however often it is retried, also at once', async () => {
    const s = await t.createOrg('STARTUP');
    const KEYED = `mutation($i: IssueVoucherInput!, $k: String) { issueVoucher(input: $i, idempotencyKey: $k) { ${VOUCHER_FIELDS} } }`;
    const input = {
      organizationId: s.id,
      percentCovered: 40,
      cap: 777.77,
      validFrom: hour(-1),
      validUntil: h(48),
      clusterIds: [clusterB, clusterA, clusterA],
    };
    const first = (await t.ok(KEYED, { i: input, k: 'subsidy-2027' })).issueVoucher;
    // a retry (padded key, the clusters in another order, an id in upper case) is the same voucher
    const again = (
      await t.ok(KEYED, {
        i: { ...input, organizationId: s.id.toUpperCase(), clusterIds: [clusterA, clusterB] },
        k: '  subsidy-2027 ',
      })
    ).issueVoucher;
    expect(again).toEqual(first);
    // five at once with a new key: one voucher
    const many = await Promise.all(
      Array.from({ length: 5 }, () => t.ok(KEYED, { i: input, k: 'subsidy-2028' }).then((d) => d.issueVoucher.id)),
    );
    expect(new Set(many).size).toBe(1);
    const all = (await t.ok(`query($o: ID) { vouchers(organizationId: $o) { edges { node { id } } } }`, { o: s.id }))
      .vouchers.edges;
    expect(all).toHaveLength(2);
    // the key with other terms is refused, naming it, and issues nothing
    expect(await t.code(KEYED, { i: { ...input, cap: 777.78 }, k: 'subsidy-2027' })).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
    });
    expect(await t.code(KEYED, { i: input, k: '   ' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'idempotencyKey',
    });
    // without a key every call issues another voucher (as documented)
    await t.ok(KEYED, { i: input });
    await t.ok(KEYED, { i: input, k: null });
    expect(
      (await t.ok(`query($o: ID) { vouchers(organizationId: $o) { edges { node { id } } } }`, { o: s.id })).vouchers
        .edges,
    ).toHaveLength(4);
  });

  it('quotes and bookings show the price before and after the voucher; booking draws it, cancelling refunds it', async () => {
    const s = await t.createOrg('STARTUP');
    const v = await issue(s.id);
    const quotes = (await t.ok(QUOTES, { r: req(clusterA, 0) }, s.key)).quotes;
    expect(quotes).toHaveLength(3);
    for (const q of quotes) {
      expect(q.placement.price.total).toBeCloseTo(92, 6);
      expect(q.placement.price.voucher).toBeCloseTo(46, 6);
      expect(q.placement.price.totalAfterVoucher).toBeCloseTo(46, 6);
      expect(q.placement.voucherId).toBe(v.id);
    }
    // the bureau holds no voucher: its quotes are undiscounted, and quoting drew nothing
    const bureauQuote = (await t.ok(QUOTES, { r: req(clusterA, 0) })).quotes[0].placement;
    expect(bureauQuote.price).toMatchObject({ voucher: 0 });
    expect(bureauQuote.price.totalAfterVoucher).toBeCloseTo(92, 6);
    expect(bureauQuote.voucherId).toBeNull();
    expect((await voucher(v.id)).spent).toBe(0);

    const b = await book(s.key, req(clusterA, 0));
    expect(b.voucherId).toBe(v.id);
    expect(b.price.total).toBeCloseTo(92, 6);
    expect(b.price.voucher).toBeCloseTo(46, 6);
    expect(b.price.totalAfterVoucher).toBeCloseTo(46, 6);
    expect(await voucher(v.id)).toMatchObject({ spent: 46, remaining: 954 });
    expect((await t.ok(GET, { id: b.id }, s.key)).booking.price.voucher).toBeCloseTo(46, 6);
    expect(await ledger(v.id, s.key)).toMatchObject([
      { voucherId: v.id, bookingId: b.id, kind: 'DRAW', amount: 46, spentAfter: 46 },
    ]);

    const c = (await t.ok(CANCEL, { id: b.id }, s.key)).cancelBooking;
    expect(c.status).toBe('CANCELLED');
    expect(await voucher(v.id)).toMatchObject({ spent: 0, remaining: 1000 });
    expect(await ledger(v.id)).toMatchObject([
      { kind: 'DRAW', amount: 46, spentAfter: 46 },
      { bookingId: b.id, kind: 'REFUND', amount: 46, spentAfter: 0 },
    ]);
  });

  it('an idempotent retry returns the same booking and draws once', async () => {
    const s = await t.createOrg('STARTUP');
    const v = await issue(s.id, { percentCovered: 100 });
    const vars = { r: req(clusterB, 1), o: 'EARLIEST', k: 'same-key' };
    const a = (await t.ok(BOOK, vars, s.key)).bookCompute;
    const b = (await t.ok(BOOK, vars, s.key)).bookCompute;
    expect(b).toEqual(a);
    expect(a.price.totalAfterVoucher).toBeCloseTo(0, 6);
    expect((await voucher(v.id)).spent).toBeCloseTo(82, 6);
    expect(await ledger(v.id)).toHaveLength(1);
  });

  it('the cap limits the draw: partial coverage when the balance is below the share, then none', async () => {
    const s = await t.createOrg('STARTUP');
    const v = await issue(s.id, { percentCovered: 50, cap: 50 });
    const first = await book(s.key, req(clusterA, 2));
    expect(first.price.voucher).toBeCloseTo(46, 6);
    const second = await book(s.key, req(clusterA, 2));
    expect(second.price.voucher).toBeCloseTo(4, 6);
    expect(second.price.totalAfterVoucher).toBeCloseTo(88, 6);
    expect(second.voucherId).toBe(v.id);
    const third = await book(s.key, req(clusterA, 2));
    expect(third.price).toMatchObject({ voucher: 0 });
    expect(third.voucherId).toBeNull();
    expect(await voucher(v.id)).toMatchObject({ spent: 50, remaining: 0 });
    expect((await ledger(v.id)).map((e: any) => [e.amount, e.spentAfter])).toEqual([
      [46, 46],
      [4, 50],
    ]);
    // a refund makes room again, and the quote says so
    await t.ok(CANCEL, { id: first.id }, s.key);
    const q = (await t.ok(QUOTES, { r: req(clusterA, 2) }, s.key)).quotes[0].placement;
    expect(q.price.voucher).toBeCloseTo(46, 6);
  });

  it('picks the applicable voucher expiring first; validity, cluster and green limits are honoured', async () => {
    const s = await t.createOrg('STARTUP');
    const green = await issue(s.id, { percentCovered: 20, minGreenShare: 0.9, validUntil: h(20) });
    const onB = await issue(s.id, { percentCovered: 30, clusterIds: [clusterB], validUntil: h(21) });
    const soon = await issue(s.id, { percentCovered: 10, validUntil: h(30) });
    const later = await issue(s.id, { percentCovered: 90, validFrom: h(40), validUntil: h(60) });

    // quotes pick the same way as bookings
    const quoted = (await t.ok(QUOTES, { r: req(clusterB, 0) }, s.key)).quotes[0].placement;
    expect(quoted.voucherId).toBe(onB.id);
    expect(quoted.price.voucher).toBeCloseTo(24.6, 6);
    const greenQuote = (
      await t.ok(
        QUOTES,
        { r: { pflops: 10, hours: 1, earliestStart: h(0), deadline: h(10), clusterIds: [clusterA] } },
        s.key,
      )
    ).quotes;
    expect(greenQuote.map((q: any) => [q.objective, q.placement.voucherId])).toEqual([
      ['EARLIEST', soon.id],
      ['GREENEST', green.id],
      ['CHEAPEST', green.id],
    ]);
    const onA = await book(s.key, req(clusterA, 0));
    expect(onA.voucherId).toBe(soon.id);
    expect(onA.price.voucher).toBeCloseTo(9.2, 6);
    const b = await book(s.key, req(clusterB, 0));
    expect(b.voucherId).toBe(onB.id);
    expect(b.price.voucher).toBeCloseTo(24.6, 6);
    const g = await book(
      s.key,
      { pflops: 10, hours: 1, earliestStart: h(0), deadline: h(10), clusterIds: [clusterA], minGreenShare: 1 },
      'GREENEST',
    );
    expect(g.greenShare).toBeCloseTo(1, 9);
    expect(g.voucherId).toBe(green.id);
    expect(g.price.total).toBeCloseTo(56, 6);
    expect(g.price.voucher).toBeCloseTo(11.2, 6);
    const inFuture = await book(s.key, req(clusterA, 45));
    expect(inFuture.voucherId).toBe(later.id);
    expect(inFuture.price.voucher).toBeCloseTo(82.8, 6);
    // runs to h31, past `soon` (h30), and starts before `later` (h40): no voucher covers it
    const across = await book(s.key, { ...req(clusterA, 29), hours: 2, deadline: h(31) });
    expect(across.voucherId).toBeNull();
    expect(across.price.voucher).toBe(0);
    expect(across.price.totalAfterVoucher).toBeCloseTo(across.price.total, 9);
  });

  it('vouchers and their ledgers are visible to the bureau and the holder only', async () => {
    const holder = await t.createOrg('STARTUP');
    const other = await t.createOrg('STARTUP');
    const op = await t.createOrg('OPERATOR');
    const v = await issue(holder.id);
    await book(holder.key, req(clusterA, 3));
    expect((await voucher(v.id)).spent).toBeCloseTo(46, 6);
    expect((await t.ok(VOUCHER, { id: v.id }, holder.key)).voucher.id).toBe(v.id);
    expect((await t.code(VOUCHER, { id: v.id }, other.key)).code).toBe('NOT_FOUND');
    expect((await t.code(VOUCHER, { id: 'nope' }, holder.key)).code).toBe('NOT_FOUND');
    expect((await t.code(LEDGER, { id: v.id }, other.key)).code).toBe('NOT_FOUND');
    expect((await t.code(LEDGER, { id: v.id }, op.key)).code).toBe('FORBIDDEN');
    expect((await t.code(VOUCHER, { id: v.id }, op.key)).code).toBe('FORBIDDEN');
    expect(await ledger(v.id, holder.key)).toHaveLength(1);
    expect(await ledger(v.id)).toHaveLength(1);
    expect((await t.ok(VOUCHERS, {}, other.key)).vouchers.edges).toEqual([]);
    expect((await t.code(VOUCHERS, { o: holder.id }, other.key)).code).toBe('NOT_FOUND');
    expect((await t.ok(VOUCHERS, {}, holder.key)).vouchers.edges.map((e: any) => e.node.id)).toEqual([v.id]);
    // the bureau pages through everyone's
    const page1 = (await t.ok(VOUCHERS, { n: 2 })).vouchers;
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await t.ok(VOUCHERS, { n: 100, a: page1.pageInfo.endCursor })).vouchers;
    expect(page2.edges.map((e: any) => e.node.id)).toContain(v.id);
    expect(page2.edges.map((e: any) => e.node.id)).not.toContain(page1.edges[0].node.id);
  });
});
