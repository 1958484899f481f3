import { BOOKING_FIELDS, bootTestApp, gqlAt, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id clusterId } }`;
const GET = `query($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelBooking(id: $id) { id status } }`;
const LIST = `{ bookings(first: 100) { edges { node { id } } } }`;
const ids = (d: any) => d.bookings.edges.map((e: any) => e.node.id);

describe('organizations, API keys and access rules over HTTP', () => {
  let t: TestApp;
  let s1: { id: string; key: string };
  let s2: { id: string; key: string };
  let op1: { id: string; key: string };
  let op2: { id: string; key: string };
  let c1: string;
  let c2: string;
  let b1: string;

  beforeAll(async () => {
    t = await bootTestApp();
    s1 = await t.createOrg('STARTUP', 'Startup One');
    s2 = await t.createOrg('STARTUP', 'Startup Two');
    op1 = await t.createOrg('OPERATOR', 'Operator One');
    op2 = await t.createOrg('OPERATOR', 'Operator Two');
    c1 = await t.registerCluster(op1.key, { name: 'one' });
    c2 = await t.registerCluster(op2.key, { name: 'two' });
    b1 = (
      await t.ok(
        BOOK,
        { r: { pflops: 5, hours: 2, earliestStart: hour(3), deadline: hour(10), clusterIds: [c1] }, k: 'b1' },
        s1.key,
      )
    ).bookCompute.id;
  }, 90_000);
  afterAll(() => t?.close());

  it("an operator quotes on its own clusters only: another operator's is FORBIDDEN, and without clusterIds its own are the fleet", async () => {
    const QUOTE = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available placement { clusterId } } }`;
    const r = { pflops: 5, hours: 1, earliestStart: hour(3), deadline: hour(10) };
    expect(await t.code(QUOTE, { r: { ...r, clusterIds: [c1, c2] } }, op1.key)).toMatchObject({
      code: 'FORBIDDEN',
      field: 'request.clusterIds[1]',
    });
    const own = (await t.ok(QUOTE, { r }, op1.key)).quotes;
    expect(own.map((q: any) => q.placement.clusterId)).toEqual([c1, c1, c1]);
    expect((await t.ok(QUOTE, { r }, op2.key)).quotes.map((q: any) => q.placement.clusterId)).toEqual([c2, c2, c2]);
    // startups and the bureau quote on every cluster
    const all = (await t.ok(QUOTE, { r: { ...r, clusterIds: [c2, c1] } }, t.bureauKey)).quotes;
    expect(all.every((q: any) => q.available)).toBe(true);
  });

  it('cluster ids are UUIDs in either case, in a request as everywhere else', async () => {
    const r = { pflops: 5, hours: 1, earliestStart: hour(3), deadline: hour(10), clusterIds: [c2.toUpperCase()] };
    const s3 = await t.createOrg('STARTUP', 'Startup Three');
    const b = (await t.ok(BOOK, { r, k: 'upper-case-id' }, s3.key)).bookCompute;
    expect(b.clusterId).toBe(c2);
    // a repeat, in either case, counts once (schema: "repeats counted once"): the same request,
    // so a retry listing c2 twice answers the same booking
    const again = (
      await t.ok(BOOK, { r: { ...r, clusterIds: [c2, c2.toUpperCase(), c2] }, k: 'upper-case-id' }, s3.key)
    ).bookCompute;
    expect(again.id).toBe(b.id);
    await t.ok(CANCEL, { id: b.id }, s3.key);
    const QUOTE = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective placement { clusterId startsAt } } }`;
    const once = (await t.ok(QUOTE, { r: { ...r, clusterIds: [c1, c2] } }, s3.key)).quotes;
    expect((await t.ok(QUOTE, { r: { ...r, clusterIds: [c1, c2, c1, c2.toUpperCase()] } }, s3.key)).quotes).toEqual(
      once,
    );
    // an unknown one is named by its place in the client's list
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await t.code(QUOTE, { r: { ...r, clusterIds: [c1, c1, unknown] } }, s3.key)).toMatchObject({
      code: 'NOT_FOUND',
      field: 'request.clusterIds[2]',
    });
  });

  it('requires a valid API key', async () => {
    expect((await t.code(`{ me { id } }`, {}, null)).code).toBe('UNAUTHENTICATED');
    expect((await t.code(`{ me { id } }`, {}, 'pflex_not-a-key')).code).toBe('UNAUTHENTICATED');
    const r = await gqlAt(t.url, `{ clusters { edges { node { id } } } }`, {}, null);
    expect(r.data).toBeNull();
    expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('me returns the caller; BUREAU_API_KEY acts as a bureau', async () => {
    expect((await t.ok(`{ me { id name role } }`, {}, s1.key)).me).toEqual({
      id: s1.id,
      name: 'Startup One',
      role: 'STARTUP',
    });
    expect((await t.ok(`{ me { role } }`, {}, op1.key)).me.role).toBe('OPERATOR');
    expect((await t.ok(`{ me { role } }`, {}, t.bureauKey)).me.role).toBe('BUREAU');
  });

  it('the bureau creates organizations and keys; keys are shown once, listed by prefix, and revocable', async () => {
    const created = (
      await t.ok(
        `mutation { createOrganization(input: { name: "Lab", role: STARTUP }) { organization { id name role } firstKey { key apiKey { id prefix revokedAt } } } }`,
      )
    ).createOrganization;
    expect(created.organization).toMatchObject({ name: 'Lab', role: 'STARTUP' });
    const k1 = created.firstKey.key as string;
    expect(k1).toMatch(/^pflex_[A-Za-z0-9_-]{43}$/);
    expect(k1.startsWith(created.firstKey.apiKey.prefix)).toBe(true);
    const issued = (
      await t.ok(`mutation($o: ID!) { issueApiKey(organizationId: $o) { key apiKey { id organizationId } } }`, {
        o: created.organization.id,
      })
    ).issueApiKey;
    expect(issued.key).not.toBe(k1);
    expect((await t.ok(`{ me { id } }`, {}, issued.key)).me.id).toBe(created.organization.id);
    const listed = (
      await t.ok(`query($o: ID!) { apiKeys(organizationId: $o) { id prefix revokedAt } }`, {
        o: created.organization.id,
      })
    ).apiKeys;
    expect(listed).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain(k1);
    const revoked = (
      await t.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`, { id: created.firstKey.apiKey.id })
    ).revokeApiKey;
    expect(revoked.revokedAt).not.toBeNull();
    // revoked five times at once: every answer is the one time it was revoked
    const third = (
      await t.ok(`mutation($o: ID!) { issueApiKey(organizationId: $o) { apiKey { id } } }`, {
        o: created.organization.id,
      })
    ).issueApiKey.apiKey.id as string;
    const again = await Promise.all(
      Array.from({ length: 5 }, () =>
        t
          .ok(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: third })
          .then((d) => d.revokeApiKey.revokedAt as string),
      ),
    );
    expect(new Set(again).size).toBe(1);
    expect(
      (
        await t.ok(`query($o: ID!) { apiKeys(organizationId: $o) { id revokedAt } }`, { o: created.organization.id })
      ).apiKeys.find((k: any) => k.id === third).revokedAt,
    ).toBe(again[0]);
    expect((await t.code(`{ me { id } }`, {}, k1)).code).toBe('UNAUTHENTICATED');
    expect((await t.ok(`{ me { id } }`, {}, issued.key)).me.id).toBe(created.organization.id);
    expect((await t.code(`mutation { revokeApiKey(id: "00000000-0000-4000-8000-000000000000") { id } }`)).code).toBe(
      'NOT_FOUND',
    );
    expect(await t.code(`mutation { issueApiKey(organizationId: "nope") { key } }`)).toMatchObject({
      code: 'NOT_FOUND',
      field: 'organizationId',
    });
    // past 100 keys every key in force is still listed, so any of them can be found and revoked
    // (the list stopped at the 100 oldest, revoked ones included)
    const many: string[] = [];
    for (let i = 0; i < 101; i++)
      many.push(
        (
          await t.ok(`mutation($o: ID!) { issueApiKey(organizationId: $o) { apiKey { id } } }`, {
            o: created.organization.id,
          })
        ).issueApiKey.apiKey.id,
      );
    const all103 = (
      await t.ok(`query($o: ID!) { apiKeys(organizationId: $o) { id revokedAt } }`, { o: created.organization.id })
    ).apiKeys;
    const active = all103.filter((k: any) => k.revokedAt === null).map((k: any) => k.id);
    expect(active).toEqual([issued.apiKey.id, ...many]);
    expect(all103.map((k: any) => k.id)).toContain(created.firstKey.apiKey.id);
    const p1 = (await t.ok(`{ organizations(first: 2) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`))
      .organizations;
    expect(p1.edges).toHaveLength(2);
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const rest = (
      await t.ok(
        `query($a: String) { organizations(first: 100, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }`,
        { a: p1.pageInfo.endCursor },
      )
    ).organizations;
    const all = [...p1.edges, ...rest.edges].map((e: any) => e.node.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining([s1.id, s2.id, op1.id, op2.id, created.organization.id]));
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('only the bureau administers organizations', async () => {
    for (const key of [s1.key, op1.key]) {
      expect(
        (
          await t.code(
            `mutation { createOrganization(input: { name: "x", role: BUREAU }) { organization { id } } }`,
            {},
            key,
          )
        ).code,
      ).toBe('FORBIDDEN');
      expect(
        (await t.code(`mutation($o: ID!) { issueApiKey(organizationId: $o) { key } }`, { o: s1.id }, key)).code,
      ).toBe('FORBIDDEN');
      expect((await t.code(`{ organizations { edges { node { id } } } }`, {}, key)).code).toBe('FORBIDDEN');
    }
    expect(
      await t.code(`mutation { createOrganization(input: { name: "  ", role: STARTUP }) { organization { id } } }`),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
  });

  it('a startup cannot read, cancel or even detect another startup’s booking', async () => {
    expect((await t.ok(GET, { id: b1 }, s1.key)).booking.id).toBe(b1);
    const other = await t.code(GET, { id: b1 }, s2.key);
    const missing = await t.code(GET, { id: '00000000-0000-4000-8000-000000000000' }, s2.key);
    expect(other.code).toBe('NOT_FOUND');
    expect(missing.code).toBe('NOT_FOUND');
    // identical apart from the id itself
    expect(other.message.replace(b1, 'ID')).toBe(missing.message.replace('00000000-0000-4000-8000-000000000000', 'ID'));
    expect((await t.code(CANCEL, { id: b1 }, s2.key)).code).toBe('NOT_FOUND');
    expect(ids(await t.ok(LIST, {}, s2.key))).toEqual([]);
    expect(ids(await t.ok(LIST, {}, s1.key))).toEqual([b1]);
    expect((await t.ok(GET, { id: b1 }, s1.key)).booking.status).toBe('CONFIRMED');
    // reusing s1's idempotency key from s2 makes s2's own booking, never returns s1's
    const mine = (
      await t.ok(
        BOOK,
        { r: { pflops: 5, hours: 2, earliestStart: hour(3), deadline: hour(10), clusterIds: [c1] }, k: 'b1' },
        s2.key,
      )
    ).bookCompute.id;
    expect(mine).not.toBe(b1);
    await t.ok(CANCEL, { id: mine }, s2.key);
  });

  it('operators see bookings on their own clusters only, and cannot book', async () => {
    expect((await t.ok(GET, { id: b1 }, op1.key)).booking.id).toBe(b1);
    expect((await t.code(GET, { id: b1 }, op2.key)).code).toBe('NOT_FOUND');
    expect(ids(await t.ok(LIST, {}, op1.key))).toContain(b1);
    expect(ids(await t.ok(LIST, {}, op2.key))).not.toContain(b1);
    expect(
      (await t.code(BOOK, { r: { pflops: 1, hours: 1, earliestStart: hour(3), deadline: hour(5) }, k: 'op' }, op1.key))
        .code,
    ).toBe('FORBIDDEN');
    expect((await t.code(CANCEL, { id: b1 }, op1.key)).code).toBe('FORBIDDEN');
  });

  it('operators manage only their own clusters', async () => {
    const list = (await t.ok(`{ clusters { edges { node { id } } } }`, {}, op1.key)).clusters.edges.map(
      (e: any) => e.node.id,
    );
    expect(list).toEqual([c1]);
    expect((await t.code(`query($id: ID!) { cluster(id: $id) { id } }`, { id: c2 }, op1.key)).code).toBe('FORBIDDEN');
    // named by its argument path, as every other error of the input
    const UPDATE = `mutation($id: ID!) { updateCluster(input: { id: $id, name: "mine" }) { id } }`;
    expect(await t.code(UPDATE, { id: c2 }, op1.key)).toMatchObject({ code: 'FORBIDDEN', field: 'input.id' });
    expect(await t.code(UPDATE, { id: '00000000-0000-4000-8000-000000000000' }, op1.key)).toMatchObject({
      code: 'NOT_FOUND',
      field: 'input.id',
    });
    expect(
      (
        await t.code(
          `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { setCapacity(clusterId: $c, from: $f, to: $t, pflops: 1) { pflops } }`,
          { c: c2, f: hour(2), t: hour(4) },
          op1.key,
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (
        await t.code(
          `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 1, source: WIND, pricePerMwh: 1) { id } }`,
          { c: c2, s: hour(2), e: hour(4) },
          op1.key,
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (
        await t.code(
          `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { hour } }`,
          { c: c2, f: hour(2), t: hour(4) },
          op1.key,
        )
      ).code,
    ).toBe('FORBIDDEN');
    // startups can browse all clusters (to book them) but not manage or watch them
    const forStartup = (await t.ok(`{ clusters { edges { node { id } } } }`, {}, s1.key)).clusters.edges.map(
      (e: any) => e.node.id,
    );
    expect(forStartup).toEqual(expect.arrayContaining([c1, c2]));
    expect(
      (
        await t.code(
          `mutation { registerCluster(input: { name: "x", region: "r", accelerator: "a", capacityPflops: 1, kwPerPflops: 1, pue: 1.1, pricePerPflopsHour: 1, gridPricePerMwh: 1 }) { id } }`,
          {},
          s1.key,
        )
      ).code,
    ).toBe('FORBIDDEN');
    expect(
      (
        await t.code(
          `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { hour } }`,
          { c: c1, f: hour(2), t: hour(4) },
          s1.key,
        )
      ).code,
    ).toBe('FORBIDDEN');
  });

  it('the bureau sees everything', async () => {
    expect((await t.ok(GET, { id: b1 }, t.bureauKey)).booking.id).toBe(b1);
    expect(ids(await t.ok(LIST, {}, t.bureauKey))).toContain(b1);
    const u = (
      await t.ok(
        `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { bookedPflops } }`,
        { c: c1, f: hour(3), t: hour(5) },
      )
    ).utilization;
    expect(u.map((x: any) => x.bookedPflops)).toEqual([5, 5]);
  });
});

describe('the last bureau key in force cannot be revoked without BUREAU_API_KEY', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ config: { bureauApiKey: undefined, demoSeed: true } });
  }, 90_000);
  afterAll(() => t?.close());

  it('refuses with CONFLICT LAST_BUREAU_KEY until another bureau key is in force', async () => {
    const bureau = t.running.demoKeys!.bureau;
    const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`;
    const me = (await t.ok(`{ me { id } }`, {}, bureau)).me.id;
    const keys = (await t.ok(`query($o: ID!) { apiKeys(organizationId: $o) { id revokedAt } }`, { o: me }, bureau))
      .apiKeys;
    expect(keys).toHaveLength(1);
    const last = await t.gql(REVOKE, { id: keys[0].id }, bureau);
    expect(last.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'id' });
    expect(last.errors?.[0].message).toMatch(/last bureau API key in force/);
    expect((await t.ok(`{ me { id } }`, {}, bureau)).me.id).toBe(me);
    // a second bureau's key in force: the first may go, and then the second is the last
    const second = (
      await t.ok(
        `mutation { createOrganization(input: { name: "Second bureau", role: BUREAU }) { firstKey { key apiKey { id } } } }`,
        {},
        bureau,
      )
    ).createOrganization.firstKey;
    expect((await t.ok(REVOKE, { id: keys[0].id }, bureau)).revokeApiKey.revokedAt).not.toBeNull();
    expect((await t.code(`{ me { id } }`, {}, bureau)).code).toBe('UNAUTHENTICATED');
    expect((await t.code(REVOKE, { id: second.apiKey.id }, second.key)).code).toBe('CONFLICT');
    // revoking a key already revoked stays idempotent
    expect((await t.ok(REVOKE, { id: keys[0].id }, second.key)).revokeApiKey.id).toBe(keys[0].id);
  });
});
