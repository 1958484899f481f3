import { bootTestApp, hour, TestApp } from './support/helpers';

const CLUSTER_FIELDS = `id ownerOrganizationId name region accelerator capacityPflops kwPerPflops pue pricePerPflopsHour gridPricePerMwh createdAt`;
const UTIL = `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw } }`;
const SET_CAP = `mutation($c: ID!, $f: DateTime!, $t: DateTime!, $p: Float!) { setCapacity(clusterId: $c, from: $f, to: $t, pflops: $p) { clusterId from to pflops } }`;
const ADD_GREEN = `mutation($c: ID!, $s: DateTime!, $e: DateTime!, $mw: Float!, $src: GreenSource!, $p: Float!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: $mw, source: $src, pricePerMwh: $p) { id clusterId startsAt endsAt megawatts source pricePerMwh } }`;
const WINDOWS = `query($c: ID!, $f: DateTime!, $t: DateTime!) { greenWindows(clusterId: $c, from: $f, to: $t) { id startsAt endsAt megawatts source } }`;
const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { id startsAt greenShare } }`;

describe('clusters, capacity, green windows and utilization over HTTP', () => {
  let t: TestApp;
  let op: { id: string; key: string };
  let startup: string;

  beforeAll(async () => {
    t = await bootTestApp();
    op = await t.createOrg('OPERATOR');
    startup = (await t.createOrg('STARTUP')).key;
  }, 90_000);
  afterAll(() => t?.close());

  it('registers, reads, lists (paginated) and updates clusters', async () => {
    const input = {
      name: 'Zhuhai Hengqin',
      region: 'Zhuhai',
      accelerator: 'Ascend 910B',
      capacityPflops: 2100,
      kwPerPflops: 8,
      pue: 1.25,
      pricePerPflopsHour: 2.4,
      gridPricePerMwh: 680,
    };
    const c = (
      await t.ok(
        `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { ${CLUSTER_FIELDS} } }`,
        { i: input },
        op.key,
      )
    ).registerCluster;
    expect(c).toMatchObject({ ...input, ownerOrganizationId: op.id });
    expect(
      (await t.ok(`query($id: ID!) { cluster(id: $id) { ${CLUSTER_FIELDS} } }`, { id: c.id }, startup)).cluster,
    ).toEqual(c);
    const more = [
      await t.registerCluster(op.key, { name: 'Haizhu A' }),
      await t.registerCluster(op.key, { name: 'Haizhu B' }),
    ];
    const p1 = (
      await t.ok(
        `{ clusters(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
        {},
        op.key,
      )
    ).clusters;
    expect(p1.edges.map((e: any) => e.node.id)).toEqual([c.id, more[0]]);
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = (
      await t.ok(
        `query($a: String) { clusters(first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage } } }`,
        { a: p1.pageInfo.endCursor },
        op.key,
      )
    ).clusters;
    expect(p2.edges.map((e: any) => e.node.id)).toEqual([more[1]]);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    const u = (
      await t.ok(
        `mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { ${CLUSTER_FIELDS} } }`,
        { i: { id: c.id, name: 'Zhuhai Hengqin ICC', pue: 1.2, capacityPflops: 2200 } },
        op.key,
      )
    ).updateCluster;
    expect(u).toMatchObject({ name: 'Zhuhai Hengqin ICC', pue: 1.2, capacityPflops: 2200, region: 'Zhuhai' });
    const util = (await t.ok(UTIL, { c: c.id, f: hour(1), t: hour(3) }, op.key)).utilization;
    expect(util.map((x: any) => x.capacityPflops)).toEqual([2200, 2200]);
    expect(
      (
        await t.code(
          `query($id: ID!) { cluster(id: $id) { id } }`,
          { id: '00000000-0000-4000-8000-000000000000' },
          op.key,
        )
      ).code,
    ).toBe('NOT_FOUND');
    expect((await t.code(`query($id: ID!) { cluster(id: $id) { id } }`, { id: 'zz' }, op.key)).code).toBe('NOT_FOUND');
  });

  it('validates cluster input, naming the field, and writes nothing', async () => {
    const good = {
      name: 'x',
      region: 'r',
      accelerator: 'a',
      capacityPflops: 10,
      kwPerPflops: 8,
      pue: 1.2,
      pricePerPflopsHour: 1,
      gridPricePerMwh: 500,
    };
    const before = (await t.ok(`{ clusters(first: 100) { edges { node { id } } } }`, {}, op.key)).clusters.edges.length;
    for (const [patch, field] of [
      [{ capacityPflops: 0 }, 'input.capacityPflops'],
      [{ capacityPflops: -1 }, 'input.capacityPflops'],
      [{ capacityPflops: 1e12 }, 'input.capacityPflops'],
      [{ pue: 0.5 }, 'input.pue'],
      [{ kwPerPflops: 0 }, 'input.kwPerPflops'],
      [{ gridPricePerMwh: -1 }, 'input.gridPricePerMwh'],
      [{ name: '' }, 'input.name'],
    ] as const) {
      const e = await t.code(
        `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id } }`,
        { i: { ...good, ...patch } },
        op.key,
      );
      expect({ patch, code: e.code, field: e.field, named: e.message.includes(field) }).toEqual({
        patch,
        code: 'BAD_USER_INPUT',
        field,
        named: true,
      });
    }
    const after = (await t.ok(`{ clusters(first: 100) { edges { node { id } } } }`, {}, op.key)).clusters.edges.length;
    expect(after).toBe(before);
    // an update with a field set to null is refused naming it (null took the capacity to 0, and
    // null text or numbers failed with a 5xx); the cluster is unchanged
    const id = await t.registerCluster(op.key, { name: 'kept', capacityPflops: 10 });
    const UPDATE = `mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { capacityPflops name pue } }`;
    for (const k of [
      'capacityPflops',
      'name',
      'region',
      'accelerator',
      'kwPerPflops',
      'pue',
      'pricePerPflopsHour',
      'gridPricePerMwh',
    ])
      expect(await t.code(UPDATE, { i: { id, [k]: null } }, op.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: `input.${k}`,
      });
    expect(
      (await t.ok(`query($id: ID!) { cluster(id: $id) { capacityPflops name } }`, { id }, op.key)).cluster,
    ).toEqual({
      capacityPflops: 10,
      name: 'kept',
    });
    expect((await t.ok(UTIL, { c: id, f: hour(1), t: hour(2) }, op.key)).utilization[0].capacityPflops).toBe(10);
    expect(await t.code(`{ clusters(first: 1000) { edges { node { id } } } }`, {}, op.key)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'first',
    });
  });

  it('setCapacity changes a range, and refuses with the conflicting bookings when booked work would not fit', async () => {
    const c = await t.registerCluster(op.key, { capacityPflops: 100 });
    const r = (await t.ok(SET_CAP, { c, f: hour(10), t: hour(12), p: 0 }, op.key)).setCapacity;
    expect(r).toEqual({ clusterId: c, from: hour(10), to: hour(12), pflops: 0 });
    let u = (await t.ok(UTIL, { c, f: hour(9), t: hour(13) }, op.key)).utilization;
    expect(u.map((x: any) => x.capacityPflops)).toEqual([100, 0, 0, 100]);
    // a booking cannot land in the maintenance window
    const b = (
      await t.ok(
        BOOK,
        {
          r: { pflops: 60, hours: 3, earliestStart: hour(8), deadline: hour(20), clusterIds: [c] },
          o: 'EARLIEST',
          k: 'cap-1',
        },
        startup,
      )
    ).bookCompute;
    expect(b.startsAt).toBe(hour(12));
    const e = await t.gql(SET_CAP, { c, f: hour(13), t: hour(16), p: 50 }, op.key);
    expect(e.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(e.errors?.[0].message).toContain(b.id);
    expect((e.errors?.[0].extensions as any).conflictingBookings).toEqual([
      { id: b.id, startsAt: hour(12), endsAt: hour(15) },
    ]);
    expect((e.errors?.[0].extensions as any).conflictingBookingCount).toBe(1);
    // updateCluster's new capacity runs into the same booking: named by its argument path
    const ue = await t.gql(
      `mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { capacityPflops } }`,
      { i: { id: c, capacityPflops: 50 } },
      op.key,
    );
    expect(ue.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'input.capacityPflops' });
    u = (await t.ok(UTIL, { c, f: hour(12), t: hour(16) }, op.key)).utilization;
    expect(u.map((x: any) => x.capacityPflops)).toEqual([100, 100, 100, 100]);
    // expansion and cuts that still fit are fine
    expect((await t.ok(SET_CAP, { c, f: hour(12), t: hour(15), p: 60 }, op.key)).setCapacity.pflops).toBe(60);
    for (const [vars, field] of [
      [{ c, f: hour(12), t: hour(12), p: 1 }, 'to'],
      [{ c, f: hour(-5), t: hour(2), p: 1 }, 'from'],
      [{ c, f: hour(2), t: hour(24 * 70), p: 1 }, 'to'],
      [{ c, f: hour(2).replace(':00:00', ':15:00'), t: hour(4), p: 1 }, 'from'],
      [{ c, f: hour(2), t: hour(4), p: -1 }, 'pflops'],
    ] as const) {
      expect(await t.code(SET_CAP, vars, op.key)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(
      (await t.code(SET_CAP, { c: '00000000-0000-4000-8000-000000000000', f: hour(2), t: hour(4), p: 1 }, op.key)).code,
    ).toBe('NOT_FOUND');
  });

  it('registerCluster and addGreenWindow with an idempotency key make their cluster or window once, retried or at once', async () => {
    const REGISTER = `mutation($i: RegisterClusterInput!, $k: String) { registerCluster(input: $i, idempotencyKey: $k) { id name capacityPflops } }`;
    const input = {
      name: 'Retried',
      region: 'Zhuhai',
      accelerator: 'H100',
      capacityPflops: 50,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
    };
    const first = (await t.ok(REGISTER, { i: input, k: 'hall-7' }, op.key)).registerCluster;
    expect(
      (await t.ok(REGISTER, { i: { ...input, name: ' Retried ' }, k: ' hall-7' }, op.key)).registerCluster,
    ).toEqual(first);
    const many = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.ok(REGISTER, { i: input, k: 'hall-8' }, op.key).then((d) => d.registerCluster.id),
      ),
    );
    expect(new Set(many).size).toBe(1);
    expect(await t.code(REGISTER, { i: { ...input, capacityPflops: 51 }, k: 'hall-7' }, op.key)).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
    });
    // a key is the operator's own: another operator's hall-7 is a cluster of its own
    const other = await t.createOrg('OPERATOR');
    expect((await t.ok(REGISTER, { i: input, k: 'hall-7' }, other.key)).registerCluster.id).not.toBe(first.id);
    const mine = (
      await t.ok(`{ clusters(first: 100) { edges { node { id name } } } }`, {}, op.key)
    ).clusters.edges.filter((e: any) => e.node.name === 'Retried');
    expect(mine).toHaveLength(2);

    // a window posted twice under one key adds its MW once
    const ADD = `mutation($c: ID!, $s: DateTime!, $e: DateTime!, $k: String) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 2, source: WIND, pricePerMwh: 80, idempotencyKey: $k) { id megawatts } }`;
    const c = first.id;
    const w = (await t.ok(ADD, { c, s: hour(3), e: hour(5), k: 'wind-1' }, op.key)).addGreenWindow;
    expect((await t.ok(ADD, { c, s: hour(3), e: hour(5), k: 'wind-1' }, op.key)).addGreenWindow).toEqual(w);
    const ws = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.ok(ADD, { c, s: hour(6), e: hour(7), k: 'wind-2' }, op.key).then((d) => d.addGreenWindow.id),
      ),
    );
    expect(new Set(ws).size).toBe(1);
    const u = (await t.ok(UTIL, { c, f: hour(3), t: hour(7) }, op.key)).utilization;
    expect(u.map((x: any) => x.greenAvailableMw)).toEqual([2, 2, 0, 2]);
    expect(await t.code(ADD, { c, s: hour(3), e: hour(6), k: 'wind-1' }, op.key)).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
    });
    // without a key the MW add up, as documented
    await t.ok(ADD, { c, s: hour(3), e: hour(4) }, op.key);
    expect((await t.ok(UTIL, { c, f: hour(3), t: hour(4) }, op.key)).utilization[0].greenAvailableMw).toBe(4);
  });

  it('a cut in the way of more bookings than it lists says how many there are, and which it lists', async () => {
    const c = await t.registerCluster(op.key, { capacityPflops: 10 });
    const r = { pflops: 0.05, hours: 1, earliestStart: hour(30), deadline: hour(31), clusterIds: [c] };
    const ids = (
      await Promise.all(
        Array.from({ length: 105 }, (_, i) => t.ok(BOOK, { r, o: 'EARLIEST', k: `many-${i}` }, startup)),
      )
    ).map((d) => d.bookCompute.id as string);
    const e = (await t.gql(SET_CAP, { c, f: hour(30), t: hour(31), p: 0 }, op.key)).errors![0];
    const x = e.extensions as any;
    expect(x).toMatchObject({ code: 'CONFLICT', conflictingBookingCount: 105 });
    // the first 100 by start, then id
    expect(x.conflictingBookings.map((b: any) => b.id)).toEqual([...ids].sort().slice(0, 100));
    expect(e.message).toMatch(
      /: 105 conflicting bookings \(the first 100 by start in extensions.conflictingBookings\)/,
    );
    expect(e.message).toMatch(/ and 85 more$/);
  });

  it('green windows add up, are listed, and cannot be removed while their green is allocated', async () => {
    const c = await t.registerCluster(op.key, { capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const w1 = (await t.ok(ADD_GREEN, { c, s: hour(4), e: hour(8), mw: 0.5, src: 'SOLAR', p: 300 }, op.key))
      .addGreenWindow;
    expect(w1).toMatchObject({
      clusterId: c,
      startsAt: hour(4),
      endsAt: hour(8),
      megawatts: 0.5,
      source: 'SOLAR',
      pricePerMwh: 300,
    });
    const w2 = (await t.ok(ADD_GREEN, { c, s: hour(6), e: hour(10), mw: 0.25, src: 'WIND', p: 400 }, op.key))
      .addGreenWindow;
    let u = (await t.ok(UTIL, { c, f: hour(4), t: hour(10) }, op.key)).utilization;
    expect(u.map((x: any) => x.greenAvailableMw)).toEqual([0.5, 0.5, 0.75, 0.75, 0.25, 0.25]);
    const listed = (await t.ok(WINDOWS, { c, f: hour(0), t: hour(7) }, startup)).greenWindows;
    expect(listed.map((w: any) => w.id)).toEqual([w1.id, w2.id]);
    expect((await t.ok(WINDOWS, { c, f: hour(8), t: hour(9) }, startup)).greenWindows.map((w: any) => w.id)).toEqual([
      w2.id,
    ]);
    // 40 PFLOPS x 10 kW = 0.4 MW, all green in hours 6..8 where both windows overlap
    const b = (
      await t.ok(
        BOOK,
        {
          r: { pflops: 40, hours: 2, earliestStart: hour(6), deadline: hour(8), clusterIds: [c], minGreenShare: 1 },
          o: 'GREENEST',
          k: 'g-1',
        },
        startup,
      )
    ).bookCompute;
    expect(b.greenShare).toBeCloseTo(1, 9);
    u = (await t.ok(UTIL, { c, f: hour(6), t: hour(8) }, op.key)).utilization;
    expect(u.map((x: any) => x.greenAllocatedMw)).toEqual([0.4, 0.4]);
    // removing w1 would leave 0.25 MW < 0.4 MW allocated
    const refused = await t.code(`mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id: w1.id }, op.key);
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/allocated/);
    u = (await t.ok(UTIL, { c, f: hour(6), t: hour(8) }, op.key)).utilization;
    expect(u.map((x: any) => x.greenAvailableMw)).toEqual([0.75, 0.75]);
    // removing w2 leaves 0.5 MW >= 0.4 MW
    expect(
      (await t.ok(`mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id: w2.id }, op.key)).removeGreenWindow
        .id,
    ).toBe(w2.id);
    u = (await t.ok(UTIL, { c, f: hour(6), t: hour(10) }, op.key)).utilization;
    expect(u.map((x: any) => x.greenAvailableMw)).toEqual([0.5, 0.5, 0, 0]);
    expect((await t.code(`mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id: w2.id }, op.key)).code).toBe(
      'NOT_FOUND',
    );
    // after cancelling, w1 can go
    await t.ok(`mutation($id: ID!) { cancelBooking(id: $id) { id } }`, { id: b.id }, startup);
    await t.ok(`mutation($id: ID!) { removeGreenWindow(id: $id) { id } }`, { id: w1.id }, op.key);
    u = (await t.ok(UTIL, { c, f: hour(4), t: hour(8) }, op.key)).utilization;
    expect(u.every((x: any) => x.greenAvailableMw === 0 && x.greenAllocatedMw === 0)).toBe(true);
  });

  it('validates green windows and utilization ranges', async () => {
    const c = await t.registerCluster(op.key);
    for (const [vars, field] of [
      [{ c, s: hour(4), e: hour(4), mw: 1, src: 'SOLAR', p: 1 }, 'endsAt'],
      [{ c, s: hour(-4), e: hour(4), mw: 1, src: 'SOLAR', p: 1 }, 'startsAt'],
      [{ c, s: hour(4), e: hour(24 * 61), mw: 1, src: 'SOLAR', p: 1 }, 'endsAt'],
      [{ c, s: hour(4), e: hour(6), mw: 0, src: 'SOLAR', p: 1 }, 'megawatts'],
      [{ c, s: hour(4), e: hour(6), mw: 5000, src: 'SOLAR', p: 1 }, 'megawatts'],
      [{ c, s: hour(4), e: hour(6), mw: 1, src: 'SOLAR', p: -3 }, 'pricePerMwh'],
    ] as const) {
      expect(await t.code(ADD_GREEN, vars, op.key)).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect((await t.code(ADD_GREEN, { c, s: hour(4), e: hour(6), mw: 1, src: 'NUCLEAR', p: 1 }, op.key)).code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await t.ok(WINDOWS, { c, f: hour(0), t: hour(24 * 50) }, op.key)).greenWindows).toEqual([]);
    expect(await t.code(UTIL, { c, f: hour(0), t: hour(800) }, op.key)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'to',
    });
    expect(await t.code(UTIL, { c, f: hour(5), t: hour(4) }, op.key)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'to',
    });
    expect((await t.code(UTIL, { c: 'nope', f: hour(1), t: hour(4) }, op.key)).code).toBe('NOT_FOUND');
    const u = (await t.ok(UTIL, { c, f: hour(1), t: hour(4) }, op.key)).utilization;
    expect(u).toHaveLength(3);
    expect(u[0]).toEqual({
      hour: hour(1),
      capacityPflops: 100,
      bookedPflops: 0,
      utilization: 0,
      greenAvailableMw: 0,
      greenAllocatedMw: 0,
    });
  });
});
