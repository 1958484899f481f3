import { bootTestApp, hour, TestApp } from './support/helpers';

const SET = `mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId maxPflopsHoursPer7Days maxClusterShare updatedAt } }`;
const GET = `query($o: ID!) { accessRule(organizationId: $o) { organizationId maxPflopsHoursPer7Days maxClusterShare } }`;
const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id startsAt pflops hours } }`;
const CANCEL = `mutation($id: ID!) { cancelBooking(id: $id) { id } }`;
const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason message placement { startsAt } } }`;

describe('access rules (quotas) over HTTP', () => {
  let t: TestApp;
  let operator: string;
  let cluster: string;
  let n = 0;
  const h = (i: number) => hour(2 + i);
  const req = (pflops: number, hours: number, start: number, deadline = start + hours) => ({
    pflops,
    hours,
    earliestStart: h(start),
    deadline: h(deadline),
    clusterIds: [cluster],
  });
  const book = (key: string, r: Record<string, unknown>) =>
    t.ok(BOOK, { r, k: `q-${++n}` }, key).then((d) => d.bookCompute);
  const refusal = (key: string, r: Record<string, unknown>) =>
    t.gql(BOOK, { r, k: `q-${++n}` }, key).then((res) => res.errors![0]);

  beforeAll(async () => {
    t = await bootTestApp();
    operator = (await t.createOrg('OPERATOR')).key;
    cluster = await t.registerCluster(operator, { name: 'Q', capacityPflops: 100 });
  }, 90_000);
  afterAll(() => t?.close());

  it('pflopsHoursLeftNow: the weekly limit minus the busiest 7-day window containing the current hour', async () => {
    const s = await t.createOrg('STARTUP');
    const LEFT = `query($o: ID!) { accessRule(organizationId: $o) { maxPflopsHoursPer7Days pflopsHoursLeftNow } }`;
    await t.ok(SET, { i: { organizationId: s.id, maxClusterShare: 1 } });
    expect((await t.ok(LEFT, { o: s.id }, s.key)).accessRule).toEqual({
      maxPflopsHoursPer7Days: null,
      pflopsHoursLeftNow: null,
    });
    await t.ok(SET, { i: { organizationId: s.id, maxPflopsHoursPer7Days: 300 } });
    expect((await t.ok(LEFT, { o: s.id }, s.key)).accessRule.pflopsHoursLeftNow).toBe(300);
    await book(s.key, req(10, 5, 0)); // 50 PFLOPS-hours starting within the week
    const late = await book(s.key, req(20, 3, 200)); // 60, starting 8+ days out: a window containing now does not reach it
    expect((await t.ok(LEFT, { o: s.id }, s.key)).accessRule.pflopsHoursLeftNow).toBe(250);
    await book(s.key, req(5, 2, 100)); // 10 more inside a window that contains now
    expect((await t.ok(LEFT, { o: s.id }, s.key)).accessRule.pflopsHoursLeftNow).toBe(240);
    await t.ok(CANCEL, { id: late.id }, s.key);
    expect((await t.ok(LEFT, { o: s.id }, s.key)).accessRule.pflopsHoursLeftNow).toBe(240);
  });

  it("the bureau sets a startup's rules; the startup reads its own; nobody else may", async () => {
    const s = await t.createOrg('STARTUP');
    const other = await t.createOrg('STARTUP');
    const op = await t.createOrg('OPERATOR');
    expect((await t.ok(GET, { o: s.id }, s.key)).accessRule).toBeNull();
    const set = (await t.ok(SET, { i: { organizationId: s.id, maxPflopsHoursPer7Days: 500, maxClusterShare: 0.25 } }))
      .setAccessRule;
    expect(set).toMatchObject({ organizationId: s.id, maxPflopsHoursPer7Days: 500, maxClusterShare: 0.25 });
    expect((await t.ok(GET, { o: s.id }, s.key)).accessRule).toEqual({
      organizationId: s.id,
      maxPflopsHoursPer7Days: 500,
      maxClusterShare: 0.25,
    });
    // setting again replaces both limits; null is no limit
    await t.ok(SET, { i: { organizationId: s.id, maxClusterShare: 0.5 } });
    expect((await t.ok(GET, { o: s.id })).accessRule).toEqual({
      organizationId: s.id,
      maxPflopsHoursPer7Days: null,
      maxClusterShare: 0.5,
    });
    expect((await t.code(GET, { o: s.id }, other.key)).code).toBe('NOT_FOUND');
    // both limits cleared: no rules, as before any were set
    const cleared = (await t.ok(SET, { i: { organizationId: s.id, maxClusterShare: null } })).setAccessRule;
    expect(cleared).toMatchObject({ maxPflopsHoursPer7Days: null, maxClusterShare: null });
    expect((await t.ok(GET, { o: s.id }, s.key)).accessRule).toBeNull();
    expect((await t.ok(GET, { o: s.id })).accessRule).toBeNull();
    // the bureau: a mistyped id is NOT_FOUND, not "no rules"
    expect(await t.code(GET, { o: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      code: 'NOT_FOUND',
      field: 'organizationId',
    });
    expect((await t.code(GET, { o: s.id }, op.key)).code).toBe('FORBIDDEN');
    expect((await t.code(SET, { i: { organizationId: s.id, maxClusterShare: 1 } }, s.key)).code).toBe('FORBIDDEN');
    expect(await t.code(SET, { i: { organizationId: op.id, maxClusterShare: 1 } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.organizationId',
    });
    expect((await t.code(SET, { i: { organizationId: '00000000-0000-4000-8000-000000000000' } })).code).toBe(
      'NOT_FOUND',
    );
    expect((await t.code(SET, { i: { organizationId: s.id, maxClusterShare: 1.5 } })).code).toBe('BAD_USER_INPUT');
    expect((await t.code(SET, { i: { organizationId: s.id, maxClusterShare: 0 } })).code).toBe('BAD_USER_INPUT');
    expect((await t.code(SET, { i: { organizationId: s.id, maxPflopsHoursPer7Days: -1 } })).code).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('rolling 7 days: a booking beyond the PFLOPS-hours limit is refused with QUOTA_EXCEEDED saying by how much', async () => {
    const s = await t.createOrg('STARTUP');
    await t.ok(SET, { i: { organizationId: s.id, maxPflopsHoursPer7Days: 100 } });
    const first = await book(s.key, req(10, 6, 0));
    const e = await refusal(s.key, req(10, 5, 2));
    expect(e.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 'PFLOPS_HOURS_PER_7_DAYS', over: 10 });
    expect(e.message).toContain('at most 100 PFLOPS-hours per rolling 7 days');
    expect(e.message).toContain(
      'would total 110 PFLOPS-hours (60 already booked + 50 of this one), over the limit by 10 PFLOPS-hours',
    );
    // the quote says the same, and nothing was booked
    const q = (await t.ok(QUOTES, { r: req(10, 5, 2) }, s.key)).quotes;
    expect(q.map((x: any) => [x.available, x.reason])).toEqual([
      [false, 'QUOTA_EXCEEDED'],
      [false, 'QUOTA_EXCEEDED'],
      [false, 'QUOTA_EXCEEDED'],
    ]);
    expect(q[0].message).toContain('over the limit by 10 PFLOPS-hours');
    // exactly up to the limit is allowed
    await book(s.key, req(10, 4, 2));
    expect((await refusal(s.key, req(0.001, 1, 3))).extensions?.code).toBe('QUOTA_EXCEEDED');
    // no 7-day window holds both h2 and h171
    await book(s.key, req(50, 2, 7 * 24 + 3));
    expect((await refusal(s.key, req(1, 1, 7 * 24 + 1))).extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', over: 1 });
    // cancelling gives the PFLOPS-hours back
    await t.ok(CANCEL, { id: first.id }, s.key);
    await book(s.key, req(20, 3, 0));
    // other startups are not limited
    const free = await t.createOrg('STARTUP');
    await book(free.key, req(30, 5, 0));
  });

  it('rolling 7 days: a flexible request goes to the best start that keeps the rule, in bookCompute and quotes alike', async () => {
    const s = await t.createOrg('STARTUP');
    await t.ok(SET, { i: { organizationId: s.id, maxPflopsHoursPer7Days: 100 } });
    await book(s.key, req(10, 6, 0));
    // 50 more PFLOPS-hours fit in no 7-day window with the 60 starting at h(0): the first start
    // that shares no window with h(0) is h(168)
    const flexible = req(10, 5, 2, 7 * 24 + 20);
    const q = (await t.ok(QUOTES, { r: flexible }, s.key)).quotes;
    expect(q.map((x: any) => [x.objective, x.available, x.placement?.startsAt])).toEqual([
      ['EARLIEST', true, h(168)],
      ['GREENEST', true, h(168)],
      ['CHEAPEST', true, h(168)],
    ]);
    expect((await book(s.key, flexible)).startsAt).toBe(h(168));
    // a window wholly inside full weeks is still refused, saying by how much
    expect((await refusal(s.key, req(10, 5, 2, 40))).extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', over: 10 });
  });

  it('rolling 7 days: a refusal names the smallest excess over the starts capacity allows, in bookCompute and quotes alike', async () => {
    const s = await t.createOrg('STARTUP');
    // a cluster of its own: the other tests book around h(168) on Q
    const own = await t.registerCluster(operator, { name: 'Q7', capacityPflops: 100 });
    const on = (x: Record<string, unknown>) => ({ ...x, clusterIds: [own] });
    await book(s.key, on(req(1, 1, 0)));
    await book(s.key, on(req(10, 2, 2)));
    await t.ok(SET, { i: { organizationId: s.id, maxPflopsHoursPer7Days: 20 } });
    // 30 more at h(165)..h(169): a start before h(168) shares a week with both (21 + 30 - 20 =
    // 31 over), one from h(168) on only with the second (20 + 30 - 20 = 30 over)
    const r = on(req(30, 1, 165, 170));
    const e = await refusal(s.key, r);
    expect(e.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 'PFLOPS_HOURS_PER_7_DAYS', over: 30 });
    expect(e.message).toContain('over the limit by 30 PFLOPS-hours');
    // the window is in the extensions as in the message
    const { windowStart, windowEnd } = e.extensions as { windowStart: string; windowEnd: string };
    expect(Date.parse(windowEnd) - Date.parse(windowStart)).toBe(168 * 3_600_000);
    expect(e.message).toContain(`between ${windowStart} and ${windowEnd}`);
    const q = (await t.ok(QUOTES, { r }, s.key)).quotes;
    for (const x of q) expect([x.reason, x.message]).toEqual(['QUOTA_EXCEEDED', e.message]);
    // only where capacity allows: with h(168) and h(169) full, the least is 31 again
    const other = await t.createOrg('STARTUP');
    await book(other.key, on(req(100, 2, 168)));
    expect((await refusal(s.key, r)).extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', over: 31 });
  });

  it('cluster share: placement moves to hours where the share leaves room, and beyond it the booking is refused', async () => {
    const s = await t.createOrg('STARTUP');
    await t.ok(SET, { i: { organizationId: s.id, maxClusterShare: 0.3 } });
    const a = await book(s.key, req(20, 2, 10));
    expect(a.startsAt).toBe(h(10));
    // 20 + 20 > 30 PFLOPS in h10 and h11, so the earliest start within the share is h12
    const b = await book(s.key, req(20, 1, 10, 20));
    expect(b.startsAt).toBe(h(12));
    const c = await book(s.key, req(10, 2, 10, 20));
    expect(c.startsAt).toBe(h(10));
    const e = await refusal(s.key, req(40, 1, 10, 20));
    expect(e.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 'CLUSTER_SHARE', over: 10 });
    expect(e.message).toContain('at most 30% of any one cluster per hour; at best, on cluster Q');
    expect(e.message).toContain(
      `at ${h(13)} that is 30 PFLOPS, the startup already holds 0 PFLOPS and asks 40 more, over the limit by 10 PFLOPS`,
    );
    const e2 = await refusal(s.key, req(15, 2, 10, 12));
    expect(e2.extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 'CLUSTER_SHARE', over: 15 });
    expect(e2.message).toContain(`at ${h(10)} that is 30 PFLOPS, the startup already holds 30 PFLOPS and asks 15 more`);
    const q = (await t.ok(QUOTES, { r: req(40, 1, 10, 20) }, s.key)).quotes;
    expect(q.every((x: any) => !x.available && x.reason === 'QUOTA_EXCEEDED')).toBe(true);
    // when the cluster itself is full the answer stays NO_CAPACITY
    const big = await t.createOrg('STARTUP');
    await book(big.key, req(95, 1, 30));
    expect((await refusal(s.key, req(10, 1, 30))).extensions?.code).toBe('NO_CAPACITY');
    // the startup without rules takes what it likes
    await book(big.key, req(40, 1, 10, 20));
  });
});
