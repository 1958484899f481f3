import { bootTestApp, hour, TestApp } from './support/helpers';

// Issue 10: the API keeps what its schema says about decimals, error fields and money.
const ADD_GREEN = `mutation($c: ID!, $mw: Float!) { addGreenWindow(clusterId: $c, startsAt: "${hour(4)}", endsAt: "${hour(6)}", megawatts: $mw, source: SOLAR, pricePerMwh: 10) { id megawatts } }`;
const WINDOWS = `query($c: ID!) { greenWindows(clusterId: $c, from: "${hour(0)}", to: "${hour(24)}") { id } }`;
const REGISTER = `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id } }`;
const UPDATE = `mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { id capacityPflops } }`;
const SET_CAPACITY = `mutation($c: ID!, $p: Float!) { setCapacity(clusterId: $c, from: "${hour(2)}", to: "${hour(4)}", pflops: $p) { pflops } }`;
const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective } }`;
const BOOK = `mutation($r: ComputeRequestInput!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: "c-1") { id } }`;
const ACCESS_RULE = `mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`;
const PRICE = `price { compute greenEnergy gridEnergy total voucher totalAfterVoucher }`;

describe('issue 10: input decimals, error fields and money', () => {
  let t: TestApp;
  let op: string;
  let c: string;
  let startup: { id: string; key: string };
  const cluster = {
    name: 'C',
    region: 'Zhuhai',
    accelerator: 'H800',
    capacityPflops: 100,
    kwPerPflops: 10,
    pue: 1.2,
    pricePerPflopsHour: 2,
    gridPricePerMwh: 600,
  };
  const request = (extra: Record<string, unknown> = {}) => ({
    pflops: 10,
    hours: 1,
    earliestStart: hour(2),
    deadline: hour(12),
    clusterIds: [c],
    ...extra,
  });

  beforeAll(async () => {
    t = await bootTestApp();
    op = (await t.createOrg('OPERATOR')).key;
    c = await t.registerCluster(op);
    startup = await t.createOrg('STARTUP');
  }, 90_000);
  afterAll(() => t?.close());

  describe('7. PFLOPS and MW have at most 3 decimals, everywhere they come in', () => {
    it('addGreenWindow refuses 1.2345 MW, naming the field and the value, and stores nothing', async () => {
      const e = await t.code(ADD_GREEN, { c, mw: 1.2345 }, op);
      expect(e).toMatchObject({ code: 'BAD_USER_INPUT', field: 'megawatts' });
      expect(e.message).toBe('megawatts must have at most 3 decimals, got 1.2345');
      expect((await t.ok(WINDOWS, { c }, op)).greenWindows).toEqual([]);
      expect((await t.ok(ADD_GREEN, { c, mw: 1.234 }, op)).addGreenWindow.megawatts).toBe(1.234);
    });

    it('every PFLOPS and MW input refuses a 4th decimal, in plain or exponent notation', async () => {
      const cases: [string, Record<string, unknown>, string, string?][] = [
        [REGISTER, { i: { ...cluster, capacityPflops: 100.0001 } }, 'input.capacityPflops'],
        [REGISTER, { i: { ...cluster, capacityPflops: 1e-7 } }, 'input.capacityPflops'],
        [UPDATE, { i: { id: c, capacityPflops: 2.0005 } }, 'input.capacityPflops'],
        [SET_CAPACITY, { c, p: 50.0001 }, 'pflops'],
        [SET_CAPACITY, { c, p: 5e-324 }, 'pflops'],
        [ADD_GREEN, { c, mw: 1e-7 }, 'megawatts'],
        [QUOTES, { r: request({ pflops: 1.2345 }) }, 'request.pflops', startup.key],
        [BOOK, { r: request({ pflops: 1.5e-5 }) }, 'request.pflops', startup.key],
        [
          ACCESS_RULE,
          { i: { organizationId: startup.id, maxPflopsHoursPer7Days: 10.0001 } },
          'input.maxPflopsHoursPer7Days',
          t.bureauKey,
        ],
      ];
      for (const [q, v, field, key] of cases) {
        const e = await t.code(q, v, key ?? op);
        expect({ q: q.slice(0, 30), v, code: e.code, field: e.field }).toEqual({
          q: q.slice(0, 30),
          v,
          code: 'BAD_USER_INPUT',
          field,
        });
        expect(e.message).toMatch(
          new RegExp(`^${field.replace('.', '\\.')} must (have at most 3 decimals|not be less than)`),
        );
      }
      // 3 decimals still pass
      expect((await t.ok(SET_CAPACITY, { c, p: 50.125 }, op)).setCapacity.pflops).toBe(50.125);
    });
  });

  describe('8. errors name the argument, not "input"', () => {
    it('a NUL character is refused naming the argument as the schema does (region, input.name)', async () => {
      const H = (n: number) => hour(n);
      expect(
        await t.code(`query($r: String) { kpis(from: "${H(1)}", to: "${H(2)}", region: $r) { clusters } }`, {
          r: 'a\u0000b',
        }),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'region' });
      expect(
        await t.code(
          `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id } }`,
          { i: { ...cluster, name: 'a\u0000' } },
          op,
        ),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
      // a lone surrogate would be stored as U+FFFD, not as sent (found by a black-box review); a
      // pair (an emoji) is a character like any other
      for (const name of ['a\uD800b', 'a\uDC00', '\uD83D'])
        expect(
          await t.code(
            `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id } }`,
            { i: { ...cluster, name } },
            op,
          ),
        ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
      const id = (
        await t.ok(
          `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id name } }`,
          { i: { ...cluster, name: 'rack \uD83D\uDE80' } },
          op,
        )
      ).registerCluster;
      expect(id.name).toBe('rack \uD83D\uDE80');
    });

    it('addGreenWindow(megawatts: 0.0000004) names megawatts', async () => {
      expect(await t.code(ADD_GREEN, { c, mw: 0.0000004 }, op)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'megawatts',
      });
      const inline = `mutation { addGreenWindow(clusterId: "${c}", startsAt: "${hour(4)}", endsAt: "${hour(6)}", megawatts: 0.0000004, source: SOLAR, pricePerMwh: 10) { id } }`;
      expect(await t.code(inline, {}, op)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'megawatts' });
    });

    it('variable coercion errors name the argument path the variable is used at', async () => {
      expect(await t.code(QUOTES, { r: request({ hours: 2.5 }) }, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.hours',
      });
      expect(await t.code(SET_CAPACITY, { c, p: 'ten' }, op)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'pflops',
      });
      // the path comes from the value, not from text inside it
      expect(await t.code(QUOTES, { r: request({ hours: 'x at "r.pflops"; y' }) }, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.hours',
      });
      expect(await t.code(QUOTES, { r: { ...request(), clusterIds: [c, 7.5] } }, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.clusterIds[1]',
      });
      expect(
        await t.code(QUOTES, { r: { pflops: 1, earliestStart: hour(2), deadline: hour(3) } }, startup.key),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request.hours' });
      expect(await t.code(QUOTES, {}, startup.key)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request' });
      // a field the input type does not have is named too
      expect(
        await t.code(
          QUOTES,
          { r: { pflops: 1, hours: 1, earliestStart: hour(2), deadline: hour(3), pflop: 2 } },
          startup.key,
        ),
      ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request.pflop' });
      // a variable inside an inline object: the path continues from where it stands
      const nested = `query($h: Int!) { quotes(request: { pflops: 1, hours: $h, earliestStart: "${hour(2)}", deadline: "${hour(12)}" }) { objective } }`;
      expect(await t.code(nested, { h: 2.5 }, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.hours',
      });
    });

    it('inline literal errors name the argument path of the literal', async () => {
      const quotes = (fields: string) => `{ quotes(request: { ${fields} }) { objective } }`;
      const base = `earliestStart: "${hour(2)}", deadline: "${hour(12)}"`;
      expect(await t.code(quotes(`pflops: 1, hours: 2.5, ${base}`), {}, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.hours',
      });
      expect(await t.code(quotes(`pflops: "ten", hours: 2, ${base}`), {}, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.pflops',
      });
      expect(await t.code(quotes(`pflops: 1, ${base}`), {}, startup.key)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.hours',
      });
      const capacity = `mutation { setCapacity(clusterId: "${c}", from: "${hour(2)}", to: "${hour(4)}", pflops: "ten") { pflops } }`;
      expect(await t.code(capacity, {}, op)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'pflops' });
      // a literal the DateTime scalar refuses, in an argument and inside an input object
      const when = `mutation { setCapacity(clusterId: "${c}", from: "tomorrow", to: "${hour(4)}", pflops: 1) { pflops } }`;
      expect(await t.code(when, {}, op)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
      expect(
        await t.code(quotes(`pflops: 1, hours: 2, earliestStart: 5, deadline: "${hour(12)}"`), {}, startup.key),
      ).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'request.earliestStart',
      });
      const missing = `mutation { setCapacity(clusterId: "${c}", from: "${hour(2)}", to: "${hour(4)}") { pflops } }`;
      expect(await t.code(missing, {}, op)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'pflops' });
      // errors that are not about one argument keep no field
      const unknownField = await t.code(
        `{ quotes(request: { pflops: 1, hours: 1, ${base} }) { nope } }`,
        {},
        startup.key,
      );
      expect(unknownField.code).toBe('BAD_USER_INPUT');
      expect(unknownField.field).toBeUndefined();
    });
  });

  describe('10. money is whole cents', () => {
    const decimals = (x: number) =>
      Number.isInteger(Math.round(x * 100 * 1e6) / 1e6) ? 'cents' : `more than cents: ${x}`;
    const cents = (x: number) => Math.round(x * 100);

    it('the schema states the rounding of every money field', async () => {
      const type = (name: string) => `${name}: __type(name: "${name}") { fields { name description } }`;
      const d = await t.ok(`{ ${['Price', 'Voucher', 'VoucherLedgerEntry', 'Kpis'].map(type).join(' ')} }`);
      const money = [
        ...d.Price.fields,
        ...d.Voucher.fields.filter((f: any) => ['cap', 'spent', 'remaining'].includes(f.name)),
        ...d.VoucherLedgerEntry.fields.filter((f: any) => ['amount', 'spentAfter'].includes(f.name)),
        ...d.Kpis.fields.filter((f: any) => f.name.startsWith('voucherMoney')),
      ];
      expect(money).toHaveLength(13);
      for (const f of money)
        expect({ f: f.name, d: f.description }).toEqual({ f: f.name, d: expect.stringMatching(/cents/) });
    });

    // Fails until bookings.service.ts applies common/money.ts (issue 10, handed over to the
    // booking-path rewrite); flip to `it` then.
    it('quotes and bookings show whole cents that add up; a 100 % voucher leaves nothing to pay', async () => {
      // 1.001 PFLOPS x 1 h x 0.333 = 0.333333 compute; grid 0.012012 MWh x 600.5 = 7.213206
      const odd = await t.registerCluster(op, {
        ...cluster,
        name: 'odd',
        pricePerPflopsHour: 0.333,
        gridPricePerMwh: 600.5,
      });
      const s = await t.createOrg('STARTUP');
      await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: s.id, percentCovered: 100, cap: 1000, validFrom: hour(-1), validUntil: hour(48) },
      });
      const r = { pflops: 1.001, hours: 1, earliestStart: hour(2), deadline: hour(3), clusterIds: [odd] };
      const quoted = (
        await t.ok(`query($r: ComputeRequestInput!) { quotes(request: $r) { placement { ${PRICE} } } }`, { r }, s.key)
      ).quotes[0].placement.price;
      const booked = (
        await t.ok(
          `mutation($r: ComputeRequestInput!) { bookCompute(request: $r, objective: CHEAPEST, idempotencyKey: "money-1") { ${PRICE} } }`,
          { r },
          s.key,
        )
      ).bookCompute.price;
      for (const p of [quoted, booked]) {
        for (const x of Object.values<number>(p)) expect(decimals(x)).toBe('cents');
        expect(p).toMatchObject({ compute: 0.33, gridEnergy: 7.21, greenEnergy: 0 });
        expect(cents(p.total)).toBe(cents(p.compute) + cents(p.greenEnergy) + cents(p.gridEnergy));
        expect(p.voucher).toBe(p.total);
        expect(p.totalAfterVoucher).toBe(0);
      }
      expect(booked).toEqual(quoted);
    });
  });

  // found by a black-box review: three aliased cancelBooking of one booking cancelled and refunded
  // it, then answered data: null (the second one's ALREADY_CANCELLED nulled the whole answer)
  it('a request runs one mutation: two or more fields (aliases, fragments) are refused before anything runs', async () => {
    const two = `mutation($r: ComputeRequestInput!) { a: bookCompute(request: $r, objective: EARLIEST, idempotencyKey: "two-a") { id } b: bookCompute(request: $r, objective: EARLIEST, idempotencyKey: "two-b") { id } }`;
    const r = await t.gql(two, { r: request() }, startup.key);
    expect(r.status).toBe(400);
    expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0].message).toMatch(/^a request runs one mutation, got 2 \(a, b\)/);
    const viaFragment = `mutation($r: ComputeRequestInput!) { ...F c: bookCompute(request: $r, objective: EARLIEST, idempotencyKey: "two-c") { id } } fragment F on Mutation { d: bookCompute(request: $r, objective: EARLIEST, idempotencyKey: "two-d") { id } }`;
    expect((await t.gql(viaFragment, { r: request() }, startup.key)).status).toBe(400);
    const mine = await t.ok(`{ bookings(first: 100) { edges { node { idempotencyKey } } } }`, {}, startup.key);
    expect(mine.bookings.edges.map((e: any) => e.node.idempotencyKey)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^two-/)]),
    );
    // one field (with __typename beside it) runs
    const one = `mutation($r: ComputeRequestInput!) { __typename one: bookCompute(request: $r, objective: EARLIEST, idempotencyKey: "two-one") { id } }`;
    expect((await t.ok(one, { r: request() }, startup.key)).one.id).toBeDefined();
  });

  // found by a black-box review: 300 aliases of a 31-day gridPrices came back as 223,200 rows in one request
  it('gridPrices and siteGrid cost one row per hour, like utilization: aliased long ranges do not fit in a request', async () => {
    const range = `from: "${hour(1)}", to: "${hour(1 + 31 * 24)}"`;
    // n aliases of `field(<args>, <range>) { hour }`
    const many = (field: string, args: string, n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}(${args}, ${range}) { hour }`).join(' ')} }`;
    const prices = await t.gql(many('gridPrices', `clusterId: "${c}"`, 8), {}, op);
    expect(prices.status).toBe(400);
    expect(prices.errors?.[0].message).toMatch(/^query cost \d+ exceeds the limit/);
    const site = (await t.ok(`mutation { createSite(input: { name: "cost", region: "Zhuhai" }) { id } }`, {}, op))
      .createSite.id;
    const grid = await t.gql(many('siteGrid', `siteId: "${site}"`, 8), {}, op);
    expect(grid.status).toBe(400);
    // one such range fits
    expect((await t.ok(`{ gridPrices(clusterId: "${c}", ${range}) { hour } }`, {}, op)).gridPrices).toHaveLength(744);
  });
});
