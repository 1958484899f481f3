import { bootTestApp, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { id clusterId startsAt gridMwh greenMwh price { gridEnergy } } }`;
const CANCEL = `mutation($id: ID!) { cancelBooking(id: $id) { id status } }`;
const QUOTES = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason message placement { startsAt gridMwh price { gridEnergy } } gridPeriods { period hours gridMwh pricePerMwh cost } } }`;
const SITE = `mutation($i: CreateSiteInput!) { createSite(input: $i) { id clusterIds } }`;
const JOIN = `mutation($c: ID!, $s: ID) { setClusterSite(clusterId: $c, siteId: $s) { id siteId } }`;
const CAP = `mutation($s: ID!, $f: DateTime!, $t: DateTime!, $mw: Float) { setGridCapacity(siteId: $s, from: $f, to: $t, megawatts: $mw) { siteId megawatts } }`;
const GRID = `query($s: ID!, $f: DateTime!, $t: DateTime!) { siteGrid(siteId: $s, from: $f, to: $t) { hour drawnMw reservedMw } }`;
const TARIFF = `mutation($c: ID!, $t: GridTariffInput) { setGridTariff(clusterId: $c, tariff: $t) { id gridTariff { utcOffsetHours periods { name pricePerMwh hours days } } } }`;
const GREEN = `mutation($c: ID!, $s: DateTime!, $e: DateTime!, $mw: Float!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: $mw, source: WIND, pricePerMwh: 50) { id } }`;

// The grid side through the API: a site's reserved grid capacity is shared by its clusters and
// never exceeded; time-of-use tariffs price each hour and CHEAPEST follows the valley.
describe('grid: sites, reserved capacity and time-of-use tariffs', () => {
  let t: TestApp;
  let operator: string;
  let startup: string;

  beforeAll(async () => {
    t = await bootTestApp();
    operator = (await t.createOrg('OPERATOR')).key;
    startup = (await t.createOrg('STARTUP')).key;
  }, 60_000);
  afterAll(() => t?.close());

  /** Two 100-PFLOPS clusters (10 kW per PFLOPS, PUE 1: 10 PFLOPS draw 0.1 MW) behind one site reserving `mw` over hours [h0, h1). */
  async function campus(mw: number, h0: number, h1: number) {
    const a = await t.registerCluster(operator, { name: 'A', capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const b = await t.registerCluster(operator, { name: 'B', capacityPflops: 100, kwPerPflops: 10, pue: 1 });
    const site = (await t.ok(SITE, { i: { name: 'campus', region: 'Zhuhai' } }, operator)).createSite.id;
    for (const c of [a, b]) expect((await t.ok(JOIN, { c, s: site }, operator)).setClusterSite.siteId).toBe(site);
    await t.ok(CAP, { s: site, f: hour(h0), t: hour(h1), mw }, operator);
    return { a, b, site };
  }
  const book = (cluster: string, pflops: number, h0: number, h1: number, k: string) =>
    t.gql(
      BOOK,
      {
        r: { pflops, hours: h1 - h0, earliestStart: hour(h0), deadline: hour(h1), clusterIds: [cluster] },
        o: 'EARLIEST',
        k,
      },
      startup,
    );

  it('the clusters of a site share its reserved grid: a booking that would exceed it is refused with GRID_LIMIT, and a cancellation gives it back', async () => {
    const { a, b, site } = await campus(1, 10, 14);
    expect((await book(a, 60, 10, 12, 'a60')).data?.bookCompute.gridMwh).toBeCloseTo(1.2, 9);
    // B has 100 PFLOPS free, but 50 more PFLOPS would draw 1.1 MW at the site
    const over = await book(b, 50, 10, 12, 'b50');
    expect(over.errors?.[0].extensions?.code).toBe('GRID_LIMIT');
    expect(over.errors?.[0].message).toMatch(/reserved/);
    const q = (
      await t.ok(
        QUOTES,
        { r: { pflops: 50, hours: 2, earliestStart: hour(10), deadline: hour(12), clusterIds: [b] } },
        startup,
      )
    ).quotes;
    expect(q.map((x: any) => x.reason)).toEqual(['GRID_LIMIT', 'GRID_LIMIT', 'GRID_LIMIT']);
    // exactly up to the reservation
    const fill = await book(b, 40, 10, 12, 'b40');
    expect(fill.errors).toBeUndefined();
    expect((await book(b, 0.001, 10, 11, 'b-last')).errors?.[0].extensions?.code).toBe('GRID_LIMIT');
    const g = (await t.ok(GRID, { s: site, f: hour(10), t: hour(13) }, operator)).siteGrid;
    expect(g.map((x: any) => [x.drawnMw, x.reservedMw])).toEqual([
      [1, 1],
      [1, 1],
      [0, 1],
    ]);
    // the operator sees its cluster's and its site's grid in utilization
    const u = (
      await t.ok(
        `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { gridDrawnMw siteGridDrawnMw siteGridReservedMw } }`,
        { c: b, f: hour(10), t: hour(11) },
        operator,
      )
    ).utilization;
    expect(u).toEqual([{ gridDrawnMw: 0.4, siteGridDrawnMw: 1, siteGridReservedMw: 1 }]);
    // cancelling A's booking gives its 0.6 MW back, exactly
    await t.ok(CANCEL, { id: (await book(a, 60, 10, 12, 'a60')).data!.bookCompute.id }, startup);
    expect((await t.ok(GRID, { s: site, f: hour(10), t: hour(11) }, operator)).siteGrid[0].drawnMw).toBe(0.4);
    expect((await book(b, 50, 10, 12, 'b50-again')).errors).toBeUndefined();
  });

  it('green power a booking takes is not drawn from the grid', async () => {
    const { b } = await campus(0.5, 20, 22);
    expect((await book(b, 60, 20, 21, 'no-green')).errors?.[0].extensions?.code).toBe('GRID_LIMIT');
    await t.ok(GREEN, { c: b, s: hour(20), e: hour(22), mw: 0.1 }, operator);
    const ok = await book(b, 60, 20, 21, 'with-green');
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.bookCompute.greenMwh).toBeCloseTo(0.1, 9);
    expect(ok.data!.bookCompute.gridMwh).toBeCloseTo(0.5, 9);
  });

  it('a reserved capacity below what bookings already draw is refused, naming the hour, and nothing changes', async () => {
    const { a, site } = await campus(2, 30, 34);
    await book(a, 100, 31, 32, 'full');
    const e = await t.gql(CAP, { s: site, f: hour(30), t: hour(34), mw: 0.5 }, operator);
    expect(e.errors?.[0].extensions).toMatchObject({
      code: 'GRID_LIMIT',
      field: 'megawatts',
      hour: hour(31),
      drawnMw: 1,
      reservedMw: 0.5,
    });
    expect(
      (await t.ok(GRID, { s: site, f: hour(30), t: hour(34) }, operator)).siteGrid.map((x: any) => x.reservedMw),
    ).toEqual([2, 2, 2, 2]);
    // a cluster with bookings cannot move behind a site that cannot take its draw
    const other = (await t.ok(SITE, { i: { name: 'small', region: 'Zhuhai' } }, operator)).createSite.id;
    await t.ok(CAP, { s: other, f: hour(30), t: hour(34), mw: 0.5 }, operator);
    const move = await t.gql(JOIN, { c: a, s: other }, operator);
    expect(move.errors?.[0].extensions).toMatchObject({
      code: 'GRID_LIMIT',
      field: 'siteId',
      hour: hour(31),
      drawnMw: 1,
      reservedMw: 0.5,
    });
    expect(move.errors?.[0].message).toContain(`at ${hour(31)}`);
    // null removes the cap; the booking's draw moves with its cluster to a site without one
    await t.ok(CAP, { s: other, f: hour(30), t: hour(34), mw: null }, operator);
    await t.ok(JOIN, { c: a, s: other }, operator);
    expect((await t.ok(GRID, { s: other, f: hour(31), t: hour(32) }, operator)).siteGrid).toEqual([
      { hour: hour(31), drawnMw: 1, reservedMw: null },
    ]);
    expect((await t.ok(GRID, { s: site, f: hour(31), t: hour(32) }, operator)).siteGrid[0].drawnMw).toBe(0);
  });

  it('a supply revision whose lost green would be drawn beyond the reserved grid is refused', async () => {
    const { b } = await campus(0.5, 40, 42);
    await t.ok(GREEN, { c: b, s: hour(40), e: hour(42), mw: 0.1 }, operator);
    await book(b, 60, 40, 41, 'green-held');
    const e = await t.gql(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { reviseGreenSupply(clusterId: $c, from: $f, to: $t, megawatts: 0, reason: "clouds") { id } }`,
      { c: b, f: hour(40), t: hour(41) },
      operator,
    );
    // 60 PFLOPS draw 0.6 MW: without its 0.1 MW of green all of it would come from a 0.5 MW reservation
    expect(e.errors?.[0].extensions).toMatchObject({
      code: 'GRID_LIMIT',
      field: 'megawatts',
      hour: hour(40),
      drawnMw: 0.6,
      reservedMw: 0.5,
    });
    // given hour by hour, the refusal names the hour's value
    const h = await t.gql(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { reviseGreenSupply(clusterId: $c, from: $f, to: $t, hourlyMegawatts: [0, 0], reason: "clouds") { id } }`,
      { c: b, f: hour(39), t: hour(41) },
      operator,
    );
    expect(h.errors?.[0].extensions).toMatchObject({
      code: 'GRID_LIMIT',
      field: 'hourlyMegawatts[1]',
      hour: hour(40),
    });
  });

  it('a booking keeps the grid price of each of its hours: a supply revision prices the grid MWh it changes at them, not at a tariff set later', async () => {
    const c = await t.registerCluster(operator, {
      name: 'kept',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      gridPricePerMwh: 600,
    });
    await t.ok(GREEN, { c, s: hour(50), e: hour(53), mw: 0.1 }, operator);
    // 20 PFLOPS draw 0.2 MW: 0.1 MW green (at 50) and 0.1 MW grid (at 600) in each of two hours
    const b = (await book(c, 20, 50, 52, 'kept-prices')).data!.bookCompute;
    expect(b.price.gridEnergy).toBe(120);
    // a tariff that makes every hour cost 1,000 applies to new bookings only
    await t.ok(
      TARIFF,
      { c, t: { utcOffsetHours: 0, periods: [{ name: 'peak', pricePerMwh: 1000, hours: [[0, 24]], days: 'ALL' }] } },
      operator,
    );
    // the second hour loses half its green: 0.05 MWh more grid there, at that hour's price when booked
    const rev = (
      await t.ok(
        `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { reviseGreenSupply(clusterId: $c, from: $f, to: $t, megawatts: 0.05, reason: "haze") { bookings { priceTotalBefore priceTotalAfter } } }`,
        { c, f: hour(51), t: hour(52) },
        operator,
      )
    ).reviseGreenSupply;
    expect(rev.bookings).toHaveLength(1);
    // grid +0.05 MWh x 600 = +30, green -0.05 MWh x 50 = -2.5
    expect(rev.bookings[0].priceTotalAfter - rev.bookings[0].priceTotalBefore).toBeCloseTo(27.5, 2);
    const after = (
      await t.ok(
        `query($id: ID!) { booking(id: $id) { gridMwh price { gridEnergy greenEnergy } } }`,
        { id: b.id },
        startup,
      )
    ).booking;
    expect(after.gridMwh).toBeCloseTo(0.25, 9);
    expect(after.price).toEqual({ gridEnergy: 150, greenEnergy: 7.5 });
    // flat again, so that the KPI test below sees only its own tariffed clusters
    await t.ok(TARIFF, { c, t: null }, operator);
  });

  it('under a time-of-use tariff CHEAPEST moves a flexible job into the valley, and quotes show grid MWh and cost per period', async () => {
    const c = await t.registerCluster(operator, {
      name: 'tou',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      gridPricePerMwh: 600,
    });
    const tariff = {
      utcOffsetHours: 0,
      periods: [
        { name: 'valley', pricePerMwh: 150, hours: [[0, 6]], days: 'ALL' },
        {
          name: 'peak',
          pricePerMwh: 1200,
          hours: [
            [8, 12],
            [17, 21],
          ],
          days: 'ALL',
        },
      ],
    };
    const set = (await t.ok(TARIFF, { c, t: tariff }, operator)).setGridTariff;
    expect(set.gridTariff.periods.map((p: any) => p.name)).toEqual(['valley', 'peak']);
    const r = { pflops: 10, hours: 2, earliestStart: hour(1), deadline: hour(49), clusterIds: [c] };
    const q = (await t.ok(QUOTES, { r }, startup)).quotes;
    const cheapest = q.find((x: any) => x.objective === 'CHEAPEST');
    const startH = new Date(cheapest.placement.startsAt).getUTCHours();
    expect(startH).toBeLessThanOrEqual(4);
    expect(cheapest.gridPeriods).toEqual([{ period: 'valley', hours: 2, gridMwh: 0.2, pricePerMwh: 150, cost: 30 }]);
    expect(cheapest.placement.price.gridEnergy).toBe(30);
    const earliest = q.find((x: any) => x.objective === 'EARLIEST');
    const cost = earliest.gridPeriods.reduce((s: number, p: any) => s + p.cost, 0);
    expect(cost).toBeCloseTo(earliest.placement.price.gridEnergy, 2);
    // the booking is priced as quoted
    const b = (await t.ok(BOOK, { r, o: 'CHEAPEST', k: 'valley' }, startup)).bookCompute;
    expect(b.startsAt).toBe(cheapest.placement.startsAt);
    expect(b.price.gridEnergy).toBe(30);
    // without the tariff every hour is flat again
    await t.ok(TARIFF, { c, t: null }, operator);
    const flat = (await t.ok(QUOTES, { r }, startup)).quotes.find((x: any) => x.objective === 'CHEAPEST');
    expect(flat.gridPeriods).toEqual([{ period: 'flat', hours: 2, gridMwh: 0.2, pricePerMwh: 600, cost: 120 }]);
  });

  it('a clearing round packs against the reserved grid: what does not fit is refused with GRID_LIMIT', async () => {
    const { a, b, site } = await campus(1, 50, 54);
    // a region of its own, so the round holds only these two clusters
    for (const c of [a, b])
      await t.ok(
        `mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { id } }`,
        { i: { id: c, region: 'GridRound' } },
        operator,
      );
    const round = (
      await t.ok(`mutation($c: DateTime!) { openRound(region: "GridRound", closesAt: $c) { id } }`, { c: hour(40) })
    ).openRound.id;
    // six requests of 30 PFLOPS (0.3 MW) x 2 h, all within [50, 52): the site takes three
    for (let i = 0; i < 6; i++) {
      await t.ok(
        `mutation($q: ComputeRequestInput!, $k: String!) { submitRoundRequest(request: $q, objective: EARLIEST, idempotencyKey: $k, region: "GridRound") { id } }`,
        {
          q: { pflops: 30, hours: 2, earliestStart: hour(50), deadline: hour(52), clusterIds: [i % 2 ? a : b] },
          k: `round-grid-${i}`,
        },
        startup,
      );
    }
    const out = (await t.ok(`mutation($id: ID!) { closeRound(id: $id) { outcome { placed refused } } }`, { id: round }))
      .closeRound.outcome;
    expect(out).toEqual({ placed: 3, refused: 3 });
    const reasons = (
      await t.ok(
        `query($r: ID) { roundRequests(roundId: $r, first: 10) { edges { node { status reason } } } }`,
        { r: round },
        startup,
      )
    ).roundRequests.edges.map((e: any) => e.node);
    expect(reasons.filter((x: any) => x.status === 'REFUSED').map((x: any) => x.reason)).toEqual([
      'GRID_LIMIT',
      'GRID_LIMIT',
      'GRID_LIMIT',
    ]);
    expect(
      (await t.ok(GRID, { s: site, f: hour(50), t: hour(52) }, operator)).siteGrid.map((x: any) => x.drawnMw),
    ).toEqual([0.9, 0.9]);
  });

  it('posted hourly prices take precedence over the tariff: CHEAPEST follows them, quotes and gridPrices show them', async () => {
    const c = await t.registerCluster(operator, {
      name: 'posted',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      gridPricePerMwh: 600,
    });
    const POST = `mutation($c: ID!, $f: DateTime!, $p: [Float]!) { postGridPrices(clusterId: $c, from: $f, pricesPerMwh: $p) { id } }`;
    const PRICES = `query($c: ID!, $f: DateTime!, $t: DateTime!) { gridPrices(clusterId: $c, from: $f, to: $t) { hour pricePerMwh period } }`;
    // hours 30-31 cost 50, hour 32 keeps the flat price (null), hours 33-34 cost 2,000
    await t.ok(POST, { c, f: hour(30), p: [50, 50, null, 2000, 2000] }, operator);
    const prices = (await t.ok(PRICES, { c, f: hour(29), t: hour(35) }, operator)).gridPrices;
    expect(prices.map((x: any) => [x.pricePerMwh, x.period])).toEqual([
      [600, 'flat'],
      [50, 'posted'],
      [50, 'posted'],
      [600, 'flat'],
      [2000, 'posted'],
      [2000, 'posted'],
    ]);
    const r = { pflops: 10, hours: 2, earliestStart: hour(28), deadline: hour(36), clusterIds: [c] };
    const q = (await t.ok(QUOTES, { r }, startup)).quotes.find((x: any) => x.objective === 'CHEAPEST');
    expect(q.placement.startsAt).toBe(hour(30));
    expect(q.gridPeriods).toEqual([{ period: 'posted', hours: 2, gridMwh: 0.2, pricePerMwh: 50, cost: 10 }]);
    // posting again replaces those hours; the price then follows the new series
    await t.ok(POST, { c, f: hour(30), p: [null, null] }, operator);
    expect((await t.ok(PRICES, { c, f: hour(30), t: hour(31) }, operator)).gridPrices[0]).toMatchObject({
      pricePerMwh: 600,
      period: 'flat',
    });
    expect(await t.code(POST, { c, f: hour(30), p: [50, -1] }, operator)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'pricesPerMwh[1]',
    });
  });

  it("the periods' grid costs are whole cents that add up to price.gridEnergy", async () => {
    // 1 PFLOPS x 1,000 kW: 1 MWh per hour, at 1.004 flat and 1.004 posted: 2.008 -> 2.01
    const c = await t.registerCluster(operator, {
      name: 'cents',
      capacityPflops: 10,
      kwPerPflops: 1000,
      pue: 1,
      pricePerPflopsHour: 0,
      gridPricePerMwh: 1.004,
    });
    await t.ok(
      `mutation($c: ID!, $f: DateTime!, $p: [Float]!) { postGridPrices(clusterId: $c, from: $f, pricesPerMwh: $p) { id } }`,
      { c, f: hour(41), p: [1.004] },
      operator,
    );
    const r = { pflops: 1, hours: 2, earliestStart: hour(40), deadline: hour(42), clusterIds: [c] };
    const q = (await t.ok(QUOTES, { r }, startup)).quotes.find((x: any) => x.objective === 'EARLIEST');
    expect(q.placement.price.gridEnergy).toBe(2.01);
    expect(q.gridPeriods.map((p: any) => [p.period, p.cost])).toEqual([
      ['flat', 1.01],
      ['posted', 1],
    ]);
  });

  it('bad input is refused naming the field, and changes nothing', async () => {
    const c = await t.registerCluster(operator, { name: 'bad', capacityPflops: 10 });
    // an omitted reservation is not taken for "no cap": null must be said
    const kept = (await t.ok(SITE, { i: { name: 'kept cap', region: 'Zhuhai' } }, operator)).createSite.id;
    await t.ok(CAP, { s: kept, f: hour(60), t: hour(62), mw: 1 }, operator);
    expect(
      await t.code(
        `mutation($s: ID!, $f: DateTime!, $t: DateTime!) { setGridCapacity(siteId: $s, from: $f, to: $t) { siteId } }`,
        { s: kept, f: hour(60), t: hour(62) },
        operator,
      ),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'megawatts' });
    expect(
      (await t.ok(GRID, { s: kept, f: hour(60), t: hour(62) }, operator)).siteGrid.map((x: any) => x.reservedMw),
    ).toEqual([1, 1]);
    const overlap = await t.code(
      TARIFF,
      {
        c,
        t: {
          utcOffsetHours: 8,
          periods: [
            { name: 'valley', pricePerMwh: 1, hours: [[0, 8]] },
            { name: 'peak', pricePerMwh: 2, hours: [[7, 9]] },
          ],
        },
      },
      operator,
    );
    expect(overlap).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tariff.periods[1].hours[0]' });
    expect(overlap.message).toBe(
      'tariff.periods[1].hours[0] puts local hour 7 every day in peak, but periods[0] (valley) has it already: each hour belongs to one period',
    );
    expect(
      (
        await t.code(
          TARIFF,
          { c, t: { utcOffsetHours: 8, periods: [{ name: 'x', pricePerMwh: 1, hours: [[3]] }] } },
          operator,
        )
      ).field,
    ).toBe('tariff.periods[0].hours[0]');
    expect(
      (await t.ok(`query($id: ID!) { cluster(id: $id) { gridTariff { utcOffsetHours } } }`, { id: c }, operator))
        .cluster.gridTariff,
    ).toBeNull();
    const site = (await t.ok(SITE, { i: { name: 's', region: 'Zhuhai' } }, operator)).createSite.id;
    expect(await t.code(CAP, { s: site, f: hour(1), t: hour(2), mw: 1.2345 }, operator)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'megawatts',
    });
    expect(await t.code(CAP, { s: site, f: hour(1), t: hour(2), mw: -1 }, operator)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'megawatts',
    });
    expect(await t.code(CAP, { s: site, f: hour(2), t: hour(1), mw: 1 }, operator)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'to',
    });
    expect(await t.code(CAP, { s: 'nope', f: hour(1), t: hour(2), mw: 1 }, operator)).toMatchObject({
      code: 'NOT_FOUND',
      field: 'siteId',
    });
    expect((await t.ok(GRID, { s: site, f: hour(1), t: hour(2) }, operator)).siteGrid[0].reservedMw).toBeNull();
    // an omitted or empty site, or an omitted tariff, is not taken for null: the cluster stays
    // behind its cap, the tariff stays (a misspelt variable would otherwise remove them unnoticed)
    await t.ok(JOIN, { c, s: kept }, operator);
    const flat = { utcOffsetHours: 8, periods: [{ name: 'valley', pricePerMwh: 1, hours: [[0, 8]] }] };
    await t.ok(TARIFF, { c, t: flat }, operator);
    for (const s of [undefined, '', '  '])
      expect(await t.code(JOIN, s === undefined ? { c } : { c, s }, operator)).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'siteId',
      });
    expect(await t.code(TARIFF, { c }, operator)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tariff' });
    const after = (
      await t.ok(`query($id: ID!) { cluster(id: $id) { siteId gridTariff { utcOffsetHours } } }`, { id: c }, operator)
    ).cluster;
    expect(after).toEqual({ siteId: kept, gridTariff: { utcOffsetHours: 8 } });
    // null says it: the cluster is its own site again, the price flat
    expect((await t.ok(JOIN, { c, s: null }, operator)).setClusterSite.siteId).toBeNull();
    expect((await t.ok(TARIFF, { c, t: null }, operator)).setGridTariff.gridTariff).toBeNull();
  });

  it('the bureau sees grid KPIs: grid MWh drawn, the peak against the reservation, the valley share', async () => {
    // one 0.2 MWh booking in the valley of a tariffed cluster, one outside it: half the tariffed grid energy in the valley
    const c = await t.registerCluster(operator, {
      name: 'kpi-tou',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      gridPricePerMwh: 600,
    });
    await t.ok(
      TARIFF,
      { c, t: { utcOffsetHours: 0, periods: [{ name: 'valley', pricePerMwh: 100, hours: [[0, 6]], days: 'ALL' }] } },
      operator,
    );
    await t.ok(
      BOOK,
      {
        r: { pflops: 10, hours: 2, earliestStart: hour(1), deadline: hour(49), clusterIds: [c] },
        o: 'CHEAPEST',
        k: 'kpi-valley',
      },
      startup,
    );
    let n = 1;
    while (new Date(hour(n)).getUTCHours() < 8 || new Date(hour(n)).getUTCHours() > 20) n++;
    await t.ok(
      BOOK,
      {
        r: { pflops: 10, hours: 2, earliestStart: hour(n), deadline: hour(n + 2), clusterIds: [c] },
        o: 'EARLIEST',
        k: 'kpi-day',
      },
      startup,
    );
    const k = (
      await t.ok(
        `query($f: DateTime!, $t: DateTime!) { kpis(from: $f, to: $t) { gridMwhDrawn peakGridMegawatts peakShareOfReservedGrid valleyShare } }`,
        { f: hour(0), t: hour(60) },
      )
    ).kpis;
    expect(k.gridMwhDrawn).toBeGreaterThan(0);
    expect(k.peakGridMegawatts).toBeGreaterThanOrEqual(1);
    expect(k.peakShareOfReservedGrid).toBe(1);
    expect(k.valleyShare).toBeCloseTo(0.5, 12);
  });
});
