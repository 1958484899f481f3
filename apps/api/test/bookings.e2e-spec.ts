import { DataSource } from 'typeorm';
import { BOOKING_FIELDS, bootTestApp, hour, TestApp } from './support/helpers';

const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason message placement { clusterId clusterName startsAt endsAt hours pflops greenShare greenMwh gridMwh energyMwh powerMw price { compute greenEnergy gridEnergy total } } } }`;
const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { ${BOOKING_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelBooking(id: $id) { id status cancelledAt } }`;
const UTIL = `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw } }`;
const LIST = `query($f: BookingFilterInput, $n: Int, $a: String) { bookings(filter: $f, first: $n, after: $a) { edges { cursor node { id status startsAt } } pageInfo { hasNextPage endCursor } } }`;

describe('bookings over HTTP', () => {
  let t: TestApp;
  let startup: string;
  let operator: string;
  let clusterA: string;
  let clusterB: string;
  let n = 0;
  const key = () => `k-${++n}`;
  // bookings start two hours from now, so none of them has started while the tests run
  const h = (i: number) => hour(2 + i);

  beforeAll(async () => {
    t = await bootTestApp();
    startup = (await t.createOrg('STARTUP')).key;
    operator = (await t.createOrg('OPERATOR')).key;
    // A: 100 PFLOPS, 12 kW per PFLOPS incl. PUE; 0.6 MW of green at 300/MWh over [h0, h4)
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
      capacityPflops: 10,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 1,
      gridPricePerMwh: 600,
    });
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.6, source: SOLAR, pricePerMwh: 300) { id } }`,
      { c: clusterA, s: h(4), e: h(8) },
      operator,
    );
  }, 90_000);
  afterAll(() => t?.close());

  const util = async (c: string, from: number, to: number) =>
    (await t.ok(UTIL, { c, f: h(from), t: h(to) }, operator)).utilization;
  const count = async () => (await t.ok(LIST, { n: 100 }, t.bureauKey)).bookings.edges.length;

  it('quotes the best option per objective and reserves nothing', async () => {
    const d = await t.ok(
      QUOTES,
      { r: { pflops: 50, hours: 2, earliestStart: h(0), deadline: h(12), clusterIds: [clusterA] } },
      startup,
    );
    const by = Object.fromEntries(d.quotes.map((q: any) => [q.objective, q]));
    expect(Object.keys(by).sort()).toEqual(['CHEAPEST', 'EARLIEST', 'GREENEST']);
    expect(by.EARLIEST.available).toBe(true);
    expect(by.EARLIEST.placement.startsAt).toBe(h(0));
    expect(by.EARLIEST.placement.endsAt).toBe(h(2));
    expect(by.EARLIEST.placement.greenShare).toBe(0);
    expect(by.EARLIEST.placement.energyMwh).toBeCloseTo((50 * 12 * 2) / 1000, 9);
    expect(by.EARLIEST.placement.price.compute).toBeCloseTo(50 * 2 * 2, 9);
    expect(by.EARLIEST.placement.price.gridEnergy).toBeCloseTo(1.2 * 600, 6);
    // 0.6 MW of the 0.6 MW drawn is green inside the window: green share 1, and cheaper
    expect(by.GREENEST.placement.startsAt).toBe(h(4));
    expect(by.GREENEST.placement.greenShare).toBeCloseTo(1, 9);
    expect(by.GREENEST.placement.greenMwh).toBeCloseTo(1.2, 9);
    expect(by.CHEAPEST.placement.startsAt).toBe(h(4));
    const p = by.CHEAPEST.placement.price;
    expect(p.total).toBeCloseTo(p.compute + p.greenEnergy + p.gridEnergy, 9);
    expect(p.greenEnergy).toBeCloseTo(1.2 * 300, 6);
    const u = await util(clusterA, 0, 12);
    expect(u.every((x: any) => x.bookedPflops === 0 && x.greenAllocatedMw === 0)).toBe(true);
  });

  it('quotes say what blocks a request', async () => {
    const d = await t.ok(
      QUOTES,
      { r: { pflops: 20, hours: 2, earliestStart: h(0), deadline: h(4), clusterIds: [clusterB] } },
      startup,
    );
    expect(d.quotes.map((q: any) => [q.available, q.reason])).toEqual([
      [false, 'NO_CAPACITY'],
      [false, 'NO_CAPACITY'],
      [false, 'NO_CAPACITY'],
    ]);
    expect(d.quotes[0].message).toMatch(/20 PFLOPS/);
  });

  it('books atomically, updates the ledger, and the next booking goes where capacity is left', async () => {
    const r = { pflops: 60, hours: 2, earliestStart: h(0), deadline: h(12), clusterIds: [clusterA] };
    const a = (await t.ok(BOOK, { r, o: 'EARLIEST', k: key() }, startup)).bookCompute;
    expect(a).toMatchObject({
      status: 'CONFIRMED',
      clusterId: clusterA,
      clusterName: 'A',
      startsAt: h(0),
      endsAt: h(2),
      hours: 2,
      pflops: 60,
      objective: 'EARLIEST',
      cancelledAt: null,
    });
    const b = (await t.ok(BOOK, { r, o: 'EARLIEST', k: key() }, startup)).bookCompute;
    expect(b.startsAt).toBe(h(2));
    const u = await util(clusterA, 0, 4);
    expect(u.map((x: any) => x.bookedPflops)).toEqual([60, 60, 60, 60]);
    expect(u[0].utilization).toBeCloseTo(0.6, 9);
    expect(u[0].capacityPflops).toBe(100);
    for (const id of [a.id, b.id]) await t.ok(CANCEL, { id }, startup);
  });

  it('GREENEST takes green power and it is allocated in the ledger; cancelling releases it at once', async () => {
    const r = { pflops: 25, hours: 2, earliestStart: h(0), deadline: h(12), clusterIds: [clusterA], minGreenShare: 1 };
    const b = (await t.ok(BOOK, { r, o: 'GREENEST', k: key() }, startup)).bookCompute;
    expect(b.startsAt).toBe(h(4));
    expect(b.greenShare).toBeCloseTo(1, 9);
    expect(b.powerMw).toBeCloseTo(0.3, 9);
    let u = await util(clusterA, 4, 6);
    expect(u.map((x: any) => x.greenAllocatedMw)).toEqual([0.3, 0.3]);
    expect(u.map((x: any) => x.greenAvailableMw)).toEqual([0.6, 0.6]);
    const c = (await t.ok(CANCEL, { id: b.id }, startup)).cancelBooking;
    expect(c.status).toBe('CANCELLED');
    u = await util(clusterA, 4, 6);
    expect(u.map((x: any) => [x.bookedPflops, x.greenAllocatedMw])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    const again = await t.code(CANCEL, { id: b.id }, startup);
    expect(again.code).toBe('CONFLICT');
  });

  it('refuses with NO_CAPACITY or GREEN_SHORTFALL saying what blocked it, writing nothing', async () => {
    const before = await count();
    const no = await t.code(
      BOOK,
      {
        r: { pflops: 150, hours: 2, earliestStart: h(0), deadline: h(12), clusterIds: [clusterA] },
        o: 'EARLIEST',
        k: key(),
      },
      startup,
    );
    expect(no.code).toBe('NO_CAPACITY');
    expect(no.message).toMatch(/no 2 h run with 150 PFLOPS free/);
    const green = await t.code(
      BOOK,
      {
        r: { pflops: 90, hours: 4, earliestStart: h(0), deadline: h(12), clusterIds: [clusterA], minGreenShare: 1 },
        o: 'GREENEST',
        k: key(),
      },
      startup,
    );
    expect(green.code).toBe('GREEN_SHORTFALL');
    expect(green.message).toMatch(/minGreenShare 1/);
    expect(await count()).toBe(before);
  });

  it('the same idempotency key returns the same booking; another request under it is a CONFLICT', async () => {
    const r = { pflops: 10, hours: 1, earliestStart: h(20), deadline: h(30), clusterIds: [clusterA] };
    const k = key();
    const a = (await t.ok(BOOK, { r, o: 'CHEAPEST', k }, startup)).bookCompute;
    const before = await count();
    const b = (await t.ok(BOOK, { r, o: 'CHEAPEST', k }, startup)).bookCompute;
    expect(b.id).toBe(a.id);
    expect(await count()).toBe(before);
    // the same booking, field by field: the first answer is what was stored (its createdAt too)
    expect(b).toEqual(a);
    expect(
      (await t.ok(`query($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } }`, { id: a.id }, startup)).booking,
    ).toMatchObject({ createdAt: a.createdAt });
    const other = await t.code(BOOK, { r: { ...r, pflops: 11 }, o: 'CHEAPEST', k }, startup);
    expect(other).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    // concurrent retries of one key on one instance: still one booking
    const k2 = key();
    const all = await Promise.all(Array.from({ length: 6 }, () => t.ok(BOOK, { r, o: 'EARLIEST', k: k2 }, startup)));
    expect(new Set(all.map((x: any) => x.bookCompute.id)).size).toBe(1);
    expect(await count()).toBe(before + 1);
    // another organization may use the same key
    const s2 = (await t.createOrg('STARTUP')).key;
    const c = (await t.ok(BOOK, { r, o: 'CHEAPEST', k }, s2)).bookCompute;
    expect(c.id).not.toBe(a.id);
    // a key's characters are code points, as the schema and the database count them: 200 emoji
    // (400 UTF-16 units) are a key, and it is the same key when sent again; 201 are one too many
    const emoji = '\u{1F600}'.repeat(200);
    const e1 = (await t.ok(BOOK, { r, o: 'EARLIEST', k: ` ${emoji} ` }, startup)).bookCompute;
    expect((await t.ok(BOOK, { r, o: 'EARLIEST', k: emoji }, startup)).bookCompute.id).toBe(e1.id);
    const long = await t.code(BOOK, { r, o: 'EARLIEST', k: emoji + '\u{1F600}' }, startup);
    expect(long).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    expect(long.message).toMatch(/at most 200 characters .*got 201$/);
  });

  it('cancels only before the start', async () => {
    const b = (
      await t.ok(
        BOOK,
        {
          r: { pflops: 1, hours: 1, earliestStart: hour(0), deadline: hour(3), clusterIds: [clusterB] },
          o: 'EARLIEST',
          k: key(),
        },
        startup,
      )
    ).bookCompute;
    expect(b.startsAt).toBe(hour(0)); // the current hour: already started
    const e = await t.code(CANCEL, { id: b.id }, startup);
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/started/);
    expect((await t.ok(`query($id: ID!) { booking(id: $id) { status } }`, { id: b.id }, startup)).booking.status).toBe(
      'CONFIRMED',
    );
  });

  it('validates the request at the boundary, naming the field, and writes nothing', async () => {
    const base = { pflops: 10, hours: 2, earliestStart: h(0), deadline: h(10) };
    const cases: [Record<string, unknown>, string, string][] = [
      [{ pflops: 0 }, 'BAD_USER_INPUT', 'request.pflops'],
      [{ pflops: -5 }, 'BAD_USER_INPUT', 'request.pflops'],
      [{ pflops: 1e9 }, 'BAD_USER_INPUT', 'request.pflops'],
      [{ pflops: 1.0001 }, 'BAD_USER_INPUT', 'request.pflops'],
      [{ hours: 0 }, 'BAD_USER_INPUT', 'request.hours'],
      [{ minGreenShare: 1.5 }, 'BAD_USER_INPUT', 'request.minGreenShare'],
      [{ deadline: h(1) }, 'BAD_USER_INPUT', 'request.deadline'],
      [{ deadline: hour(24 * 61) }, 'BAD_USER_INPUT', 'request.deadline'],
      [{ earliestStart: hour(-3) }, 'BAD_USER_INPUT', 'request.earliestStart'],
      [{ earliestStart: h(0).replace(':00:00.000Z', ':30:00.000Z') }, 'BAD_USER_INPUT', 'request.earliestStart'],
      [{ clusterIds: ['00000000-0000-4000-8000-000000000000'] }, 'NOT_FOUND', 'request.clusterIds[0]'],
      [{ clusterIds: [clusterB, 'not-an-id'] }, 'NOT_FOUND', 'request.clusterIds[1]'],
    ];
    const before = await count();
    for (const [patch, code, field] of cases) {
      const e = await t.code(BOOK, { r: { ...base, ...patch }, o: 'EARLIEST', k: key() }, startup);
      expect({ patch, code: e.code, field: e.field, named: e.message.includes(field) }).toEqual({
        patch,
        code,
        field,
        named: true,
      });
    }
    const bad = await t.code(BOOK, { r: { ...base, earliestStart: 'tomorrow' }, o: 'EARLIEST', k: key() }, startup);
    expect(bad.code).toBe('BAD_USER_INPUT');
    expect(bad.message).toMatch(/earliestStart/);
    expect(bad.message).toMatch(/ISO-8601/);
    const blank = await t.code(BOOK, { r: base, o: 'EARLIEST', k: '  ' }, startup);
    expect(blank).toMatchObject({ code: 'BAD_USER_INPUT', field: 'idempotencyKey' });
    const q = await t.code(QUOTES, { r: { ...base, hours: -1 } }, startup);
    expect(q).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request.hours' });
    expect(await count()).toBe(before);
  });

  it('lists bookings as a Relay connection with filters and opaque cursors', async () => {
    const s = (await t.createOrg('STARTUP')).key;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const b = (
        await t.ok(
          BOOK,
          {
            r: { pflops: 1, hours: 1, earliestStart: h(30 + i), deadline: h(31 + i), clusterIds: [clusterA] },
            o: 'EARLIEST',
            k: `list-${i}`,
          },
          s,
        )
      ).bookCompute;
      ids.push(b.id);
    }
    await t.ok(CANCEL, { id: ids[4] }, s);
    const p1 = (await t.ok(LIST, { n: 2 }, s)).bookings;
    expect(p1.edges.map((e: any) => e.node.id)).toEqual(ids.slice(0, 2));
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = (await t.ok(LIST, { n: 2, a: p1.pageInfo.endCursor }, s)).bookings;
    expect(p2.edges.map((e: any) => e.node.id)).toEqual(ids.slice(2, 4));
    const p3 = (await t.ok(LIST, { n: 2, a: p2.pageInfo.endCursor }, s)).bookings;
    expect(p3.edges.map((e: any) => e.node.id)).toEqual([ids[4]]);
    expect(p3.pageInfo.hasNextPage).toBe(false);
    const cancelled = (await t.ok(LIST, { f: { status: 'CANCELLED' } }, s)).bookings;
    expect(cancelled.edges.map((e: any) => e.node.id)).toEqual([ids[4]]);
    // a page is one statement, one snapshot: read in two (the page's ids, then their rows, as
    // TypeORM's take() does with a join), a booking cancelled in between fell out of a status
    // filter and the page ended early, hasNextPage false, with confirmed bookings never listed
    const ds = t.running.app.get(DataSource);
    const statements: string[] = [];
    const logger = ds.logger;
    Object.assign(ds, {
      logger: Object.assign(Object.create(logger) as object, {
        logQuery: (q: string) => void statements.push(q),
      }),
    });
    try {
      await t.ok(LIST, { n: 2, f: { status: 'CONFIRMED' } }, s);
    } finally {
      Object.assign(ds, { logger });
    }
    // (on PostgreSQL the table is schema-qualified: "pflex_test_…"."bookings")
    expect(statements.filter((q) => /\bFROM (?:"[^"]+"\.)?"bookings"/.test(q))).toHaveLength(1);
    const ranged = (await t.ok(LIST, { f: { from: h(31), to: h(33) } }, s)).bookings;
    expect(ranged.edges.map((e: any) => e.node.id)).toEqual([ids[1], ids[2]]);
    const onB = (await t.ok(LIST, { f: { clusterId: clusterB } }, s)).bookings;
    expect(onB.edges).toEqual([]);
    // by the clusters' region, on the server (the dashboard filtered a fleet-wide page and lost some)
    const inZhuhai = (await t.ok(LIST, { f: { region: 'Zhuhai' }, n: 100 }, s)).bookings;
    expect(inZhuhai.edges.map((e: any) => e.node.id)).toEqual(ids);
    expect((await t.ok(LIST, { f: { region: 'Nowhere' } }, s)).bookings.edges).toEqual([]);
    expect(await t.code(LIST, { n: 101 }, s)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(await t.code(LIST, { n: 0 }, s)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(await t.code(LIST, { a: 'garbage' }, s)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const one = (await t.ok(`query($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } }`, { id: ids[0] }, s)).booking;
    expect(one).toMatchObject({
      id: ids[0],
      startsAt: h(30),
      hours: 1,
      pflops: 1,
      status: 'CONFIRMED',
      idempotencyKey: 'list-0',
    });
  });
});
