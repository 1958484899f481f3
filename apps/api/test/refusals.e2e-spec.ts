import { bootTestApp, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id clusterId } }`;
const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason message } }`;
const RULE = `mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`;

// Every refusal reason must be true of the request: what would have to change for it to fit.
describe('refusal reasons say what blocked the request', () => {
  let t: TestApp;
  let operator: string;

  beforeAll(async () => {
    t = await bootTestApp();
    operator = (await t.createOrg('OPERATOR')).key;
  }, 60_000);
  afterAll(() => t?.close());

  it('a share-capped startup asking for more green than exists is told GREEN_SHORTFALL, not NO_CAPACITY', async () => {
    const c = await t.registerCluster(operator, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.01, source: WIND, pricePerMwh: 50) { id } }`,
      { c, s: hour(1), e: hour(30) },
      operator,
    );
    const s = await t.createOrg('STARTUP');
    await t.ok(RULE, { i: { organizationId: s.id, maxClusterShare: 0.25 } });
    const r = { pflops: 30, hours: 2, earliestStart: hour(2), deadline: hour(12), clusterIds: [c] };
    const green = await t.code(BOOK, { r: { ...r, minGreenShare: 0.5 }, k: 'g1' }, s.key);
    expect(green.code).toBe('GREEN_SHORTFALL');
    const q = (await t.ok(QUOTES, { r: { ...r, minGreenShare: 0.5 } }, s.key)).quotes;
    expect(q.map((x: any) => x.reason)).toEqual(['GREEN_SHORTFALL', 'GREEN_SHORTFALL', 'GREEN_SHORTFALL']);
    // without the green requirement only the share blocks it
    const share = await t.gql(BOOK, { r, k: 'g2' }, s.key);
    expect(share.errors?.[0].extensions).toMatchObject({ code: 'QUOTA_EXCEEDED', limit: 'CLUSTER_SHARE', over: 5 });
  });

  it('the excess of the share is the real, positive one on the cluster where the share binds', async () => {
    const x = await t.registerCluster(operator, { name: 'X', capacityPflops: 400 });
    const y = await t.registerCluster(operator, { name: 'Y', capacityPflops: 100 });
    const other = await t.createOrg('STARTUP');
    await t.ok(
      BOOK,
      { r: { pflops: 380, hours: 1, earliestStart: hour(3), deadline: hour(4), clusterIds: [x] }, k: 'fill-x' },
      other.key,
    );
    const s = await t.createOrg('STARTUP');
    await t.ok(RULE, { i: { organizationId: s.id, maxClusterShare: 0.25 } });
    const e = await t.gql(
      BOOK,
      { r: { pflops: 30, hours: 1, earliestStart: hour(3), deadline: hour(4), clusterIds: [x, y] }, k: 'xy' },
      s.key,
    );
    expect(e.errors?.[0].extensions).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      limit: 'CLUSTER_SHARE',
      over: 5,
      clusterId: y,
      hour: hour(3),
    });
    expect(e.errors?.[0].message).toContain('on cluster Y');
    expect(e.errors?.[0].message).toContain('over the limit by 5 PFLOPS');
  });

  it('a cluster with a high power figure never makes requests over all clusters fail', async () => {
    await t.registerCluster(operator, { name: 'efficient', capacityPflops: 50, kwPerPflops: 50 });
    await t.registerCluster(operator, { name: 'hungry', capacityPflops: 50, kwPerPflops: 300 });
    const s = await t.createOrg('STARTUP');
    const r = { pflops: 10, hours: 2, earliestStart: hour(40), deadline: hour(48) };
    const q = (await t.ok(QUOTES, { r }, s.key)).quotes;
    expect(q.every((x: any) => x.available)).toBe(true);
    expect((await t.ok(BOOK, { r, k: 'all' }, s.key)).bookCompute.id).toBeTruthy();
  });
});
