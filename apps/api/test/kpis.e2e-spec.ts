import { DataSource } from 'typeorm';
import { bootTestApp, HOUR, TestApp } from './support/helpers';

// KPIs on a small seeded scenario whose figures are computed by hand below.
//   X (Zhuhai, operator opX): 100 PFLOPS, 10 kW/PFLOPS, PUE 1.2 -> 12 kW per booked PFLOPS
//   Y (Shenzhen, operator opY): 50 PFLOPS, 5 kW/PFLOPS, PUE 1.0 -> 5 kW per booked PFLOPS
//   green on X: 1.2 MW over [h10, h12)
//   s1: 10 PFLOPS x 4 h on X from h10 -> 120 kW; green 120 kW in h10, h11 (0.24 MWh); voucher 50 %
//   s2: 20 PFLOPS x 2 h on Y from h11 -> 100 kW; no green
const base = Math.floor(Date.now() / HOUR) * HOUR;
const h = (n: number) => new Date(base + n * HOUR).toISOString();

const KPIS = `query($f: DateTime!, $t: DateTime!, $r: String) { kpis(from: $f, to: $t, region: $r) {
  from to region clusters pflopsHoursAvailable pflopsHoursBooked utilization peakMegawattsCommitted averageMegawattsCommitted
  bookedEnergyMwh greenShare greenMwhUsed greenMwhOffered bookings startupsServed medianQuoteToBookingSeconds voucherMoneySpent voucherMoneyLeft } }`;

describe(`kpis (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let app: TestApp;
  let opX: { id: string; key: string };
  let opY: { id: string; key: string };
  let s1: { id: string; key: string };
  let s2: { id: string; key: string };
  let x: string;
  let y: string;
  let b1: { id: string; startsAt: string; price: { total: number; voucher: number } };
  let b2: { id: string };

  const kpis = async (key: string, f: number, t: number, r?: string) =>
    (await app.ok(KPIS, { f: h(f), t: h(t), r: r ?? null }, key)).kpis;
  const request = (cluster: string, pflops: number, hours: number, from: number) => ({
    pflops,
    hours,
    earliestStart: h(from),
    deadline: h(from + hours),
    clusterIds: [cluster],
  });
  const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id startsAt greenMwh price { total voucher } } }`;
  const QUOTE = `query($r: ComputeRequestInput!) { quotes(request: $r) { objective available } }`;

  beforeAll(async () => {
    app = await bootTestApp();
    opX = await app.createOrg('OPERATOR');
    opY = await app.createOrg('OPERATOR');
    s1 = await app.createOrg('STARTUP');
    s2 = await app.createOrg('STARTUP');
    x = await app.registerCluster(opX.key, { region: 'Zhuhai', capacityPflops: 100, kwPerPflops: 10, pue: 1.2 });
    y = await app.registerCluster(opY.key, { region: 'Shenzhen', capacityPflops: 50, kwPerPflops: 5, pue: 1 });
    await app.ok(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $f, endsAt: $t, megawatts: 1.2, source: SOLAR, pricePerMwh: 300) { id } }`,
      { c: x, f: h(10), t: h(12) },
      opX.key,
    );
    await app.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
      i: { organizationId: s1.id, percentCovered: 50, cap: 1000, validFrom: h(0), validUntil: h(100) },
    });
    // both startups quote first (s1 twice: only the first quote counts), then book
    await app.ok(QUOTE, { r: request(x, 10, 4, 10) }, s1.key);
    await app.ok(QUOTE, { r: request(x, 10, 4, 10) }, s1.key);
    await app.ok(QUOTE, { r: request(y, 20, 2, 11) }, s2.key);
    b1 = (await app.ok(BOOK, { r: request(x, 10, 4, 10), k: 'k1' }, s1.key)).bookCompute;
    b2 = (await app.ok(BOOK, { r: request(y, 20, 2, 11), k: 'k2' }, s2.key)).bookCompute;
    // exact quote -> booking delays: 600 s for s1, 1200 s for s2
    const ds = app.running.app.get(DataSource);
    await ds.query(
      `UPDATE quote_log q SET first_quoted_at = b.created_at - make_interval(secs => CASE WHEN b.id = $1 THEN 600 ELSE 1200 END)
       FROM bookings b WHERE b.org_id = q.org_id AND b.id IN ($1, $2)`,
      [b1.id, b2.id],
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it('the seeded bookings are as the hand computation assumes', () => {
    expect(b1.startsAt).toBe(h(10));
    // 10 x 4 x 2 (compute) + 0.24 MWh x 300 (green) + 0.24 MWh x 600 (grid) = 296; voucher 50 %
    expect(b1.price.total).toBeCloseTo(296, 6);
    expect(b1.price.voucher).toBeCloseTo(148, 6);
  });

  it('bureau, all regions, the four booked hours', async () => {
    expect(await kpis(app.bureauKey, 10, 14)).toEqual({
      from: h(10),
      to: h(14),
      region: null,
      clusters: 2,
      pflopsHoursAvailable: 600,
      pflopsHoursBooked: 80,
      utilization: expect.closeTo(80 / 600, 12),
      peakMegawattsCommitted: expect.closeTo(0.22, 12),
      averageMegawattsCommitted: expect.closeTo(0.68 / 4, 12),
      bookedEnergyMwh: expect.closeTo(0.68, 12),
      greenShare: expect.closeTo(0.24 / 0.68, 12),
      greenMwhUsed: expect.closeTo(0.24, 12),
      greenMwhOffered: expect.closeTo(2.4, 12),
      bookings: 2,
      startupsServed: 2,
      medianQuoteToBookingSeconds: 900,
      voucherMoneySpent: 148,
      voucherMoneyLeft: 852,
    });
  });

  it('clips to the range hour by hour', async () => {
    expect(await kpis(app.bureauKey, 12, 13)).toMatchObject({
      pflopsHoursAvailable: 150,
      pflopsHoursBooked: 30,
      peakMegawattsCommitted: expect.closeTo(0.22, 12),
      averageMegawattsCommitted: expect.closeTo(0.22, 12),
      bookedEnergyMwh: expect.closeTo(0.22, 12),
      greenShare: 0,
      greenMwhOffered: 0,
      bookings: 2,
      voucherMoneySpent: 37,
    });
    expect(await kpis(app.bureauKey, 13, 20)).toMatchObject({
      pflopsHoursAvailable: 1050,
      pflopsHoursBooked: 10,
      peakMegawattsCommitted: expect.closeTo(0.12, 12),
      averageMegawattsCommitted: expect.closeTo(0.12 / 7, 12),
      bookings: 1,
      startupsServed: 1,
      medianQuoteToBookingSeconds: 600,
    });
    expect(await kpis(app.bureauKey, 20, 30)).toMatchObject({
      pflopsHoursBooked: 0,
      peakMegawattsCommitted: 0,
      greenShare: 0,
      bookings: 0,
      medianQuoteToBookingSeconds: null,
      voucherMoneySpent: 0,
    });
  });

  it('region filter, and operators see their own clusters only', async () => {
    const zhuhai = {
      clusters: 1,
      pflopsHoursAvailable: 400,
      pflopsHoursBooked: 40,
      bookedEnergyMwh: expect.closeTo(0.48, 12),
      peakMegawattsCommitted: expect.closeTo(0.12, 12),
      greenMwhUsed: expect.closeTo(0.24, 12),
      greenShare: expect.closeTo(0.5, 12),
      bookings: 1,
      startupsServed: 1,
      medianQuoteToBookingSeconds: 600,
    };
    expect(await kpis(app.bureauKey, 10, 14, 'Zhuhai')).toMatchObject({
      region: 'Zhuhai',
      ...zhuhai,
      voucherMoneyLeft: 852,
    });
    // trimmed as regions are kept; a blank one is refused, not read as every region (dates review)
    expect(await kpis(app.bureauKey, 10, 14, ' Zhuhai ')).toMatchObject({ region: 'Zhuhai', clusters: 1 });
    expect(await app.code(KPIS, { f: h(10), t: h(14), r: '   ' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'region',
    });
    // a region without clusters: the voucher usable anywhere is usable nowhere in it
    expect(await kpis(app.bureauKey, 10, 14, 'Atlantis')).toMatchObject({
      clusters: 0,
      pflopsHoursAvailable: 0,
      voucherMoneySpent: 0,
      voucherMoneyLeft: 0,
    });
    expect(await kpis(opX.key, 10, 14)).toMatchObject({ region: null, ...zhuhai });
    expect(await kpis(opX.key, 10, 14, 'Shenzhen')).toMatchObject({
      clusters: 0,
      pflopsHoursAvailable: 0,
      utilization: 0,
      bookings: 0,
      greenShare: 0,
      medianQuoteToBookingSeconds: null,
    });
    expect(await kpis(opY.key, 10, 14)).toMatchObject({
      clusters: 1,
      pflopsHoursAvailable: 200,
      pflopsHoursBooked: 40,
      bookedEnergyMwh: expect.closeTo(0.2, 12),
      greenShare: 0,
      bookings: 1,
      medianQuoteToBookingSeconds: 1200,
      voucherMoneySpent: 0,
      // the startup's voucher is usable anywhere: the market's, not shown to an operator (the
      // bureau sees it, 852 above)
      voucherMoneyLeft: 0,
    });
  });

  it('startups are refused, and the range is validated', async () => {
    expect((await app.code(KPIS, { f: h(10), t: h(14) }, s1.key)).code).toBe('FORBIDDEN');
    expect((await app.code(KPIS, { f: h(10), t: h(14) }, null)).code).toBe('UNAUTHENTICATED');
    expect(await app.code(KPIS, { f: h(14), t: h(10) })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    expect(await app.code(KPIS, { f: new Date(base + 10 * HOUR + 60_000).toISOString(), t: h(14) })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'from',
    });
    expect(await app.code(KPIS, { f: h(0), t: h(8785) })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });

  it('a cancellation leaves the figures at once', async () => {
    await app.ok(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id: b2.id }, s2.key);
    expect(await kpis(app.bureauKey, 10, 14)).toMatchObject({
      pflopsHoursBooked: 40,
      bookedEnergyMwh: expect.closeTo(0.48, 12),
      peakMegawattsCommitted: expect.closeTo(0.12, 12),
      bookings: 1,
      startupsServed: 1,
      medianQuoteToBookingSeconds: 600,
    });
  });
});
