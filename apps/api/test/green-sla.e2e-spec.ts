import { DataSource } from 'typeorm';
import { TimelinesService } from '../src/ledger/timelines.service';
import { collect, wsClient } from './support/events-helpers';
import { bootTestApp, DATABASE_URL, gqlAt, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { id greenMwh greenShare price { total } } }`;
const REVISE = `mutation($c: ID!, $f: DateTime!, $t: DateTime!, $mw: Float, $hourly: [Float!], $p: Float, $why: String!) {
  reviseGreenSupply(clusterId: $c, from: $f, to: $t, megawatts: $mw, hourlyMegawatts: $hourly, pricePerMwh: $p, reason: $why) {
    id reason breaches penaltyFactor hours { hour supplyBeforeMw supplyAfterMw }
    bookings { bookingId greenMwhBefore greenMwhAfter greenShareBefore greenShareAfter priceTotalBefore priceTotalAfter breached creditAfter shortHours } } }`;
const BOOKING = `query($id: ID!) { booking(id: $id) { id status greenMwh greenMwhPromised greenShare slaMet slaCredit price { total greenEnergy gridEnergy } } }`;

/**
 * The operator's green and SLA KPIs over every window inside hours [first, last) equal a recount
 * hour by hour (each booking's array positions inside the window, generate_subscripts).
 */
async function kpisMatchRecount(t: TestApp, op: { id: string; key: string }, first: number, last: number) {
  const ds = t.running.app.get(DataSource);
  for (let a = first; a < last; a++)
    for (let b = a + 1; b <= last; b++) {
      const [r]: any[] = await ds.query(
        `SELECT coalesce(sum(bk.green_w_promised[i]), 0)::float8 AS promised, coalesce(sum(bk.green_w[i]), 0)::float8 AS delivered
         FROM bookings bk JOIN clusters c ON c.id = bk.cluster_id, generate_subscripts(bk.green_w, 1) i
         WHERE c.owner_org_id = $1 AND bk.status = 'CONFIRMED' AND bk.starts_at + make_interval(hours => i - 1) >= $2
           AND bk.starts_at + make_interval(hours => i - 1) < $3`,
        [op.id, hour(a), hour(b)],
      );
      const [sla]: any[] = await ds.query(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE (SELECT sum(g) FROM unnest(bk.green_w) g) < ceil(bk.min_green_share * bk.draw_w * bk.hours - 1e-6))::int AS breaches
         FROM bookings bk JOIN clusters c ON c.id = bk.cluster_id
         WHERE c.owner_org_id = $1 AND bk.status = 'CONFIRMED' AND bk.min_green_share > 0 AND bk.starts_at < $3 AND bk.ends_at > $2`,
        [op.id, hour(a), hour(b)],
      );
      const k = (
        await t.ok(
          `query($f: DateTime!, $t: DateTime!) { kpis(from: $f, to: $t) { greenMwhPromised greenMwhDelivered slaBookings slaBreaches } }`,
          { f: hour(a), t: hour(b) },
          op.key,
        )
      ).kpis;
      expect({ a, b, ...k }).toEqual({
        a,
        b,
        greenMwhPromised: expect.closeTo(r.promised / 1e6, 6),
        greenMwhDelivered: expect.closeTo(r.delivered / 1e6, 6),
        slaBookings: sla.n,
        slaBreaches: sla.breaches,
      });
    }
}

/** The ledger rows of the cluster over [from, to) equal the sums of its confirmed bookings, never over supply, and the process's timelines equal the rows. */
async function consistent(t: TestApp, cluster: string, from: string, to: string): Promise<void> {
  const ds = t.running.app.get(DataSource);
  const rows: any[] = await ds.query(
    `SELECT (extract(epoch FROM h.hour) / 3600)::int AS h, h.green_supply_w::float8 AS s, h.green_alloc_w::float8 AS a, h.booked_tflops AS b,
            (SELECT coalesce(sum(bk.green_w[(extract(epoch FROM h.hour - bk.starts_at) / 3600)::int + 1]), 0)::float8 FROM bookings bk
              WHERE bk.cluster_id = h.cluster_id AND bk.status = 'CONFIRMED' AND bk.starts_at <= h.hour AND bk.ends_at > h.hour) AS recount,
            (SELECT bool_and(bk.green_w[i] <= bk.green_w_promised[i]) FROM bookings bk, generate_subscripts(bk.green_w, 1) i WHERE bk.cluster_id = h.cluster_id) AS within_promise
     FROM cluster_hours h WHERE h.cluster_id = $1 AND h.hour >= $2 AND h.hour < $3 ORDER BY h.hour`,
    [cluster, from, to],
  );
  const tl = t.running.app.get(TimelinesService);
  await tl.exclusive(async () => undefined);
  const mem = tl.fleet!.timeline(cluster);
  for (const r of rows) {
    expect({ h: r.h, a: r.a }).toEqual({ h: r.h, a: r.recount });
    expect(r.a).toBeLessThanOrEqual(r.s);
    expect(r.within_promise).not.toBe(false);
    expect({
      h: r.h,
      s: mem.greenSupplyW[r.h - tl.base],
      a: mem.greenSupplyW[r.h - tl.base] - mem.greenFreeW[r.h - tl.base],
    }).toEqual({
      h: r.h,
      s: r.s,
      a: r.a,
    });
  }
}

describe('green SLAs: supply revisions, re-allocation, credits', () => {
  let t: TestApp;
  let op: { id: string; key: string };
  let cluster: string;

  beforeAll(async () => {
    t = await bootTestApp();
    op = await t.createOrg('OPERATOR');
    // 10 PFLOPS draw 10 x 10 x 1.2 kW = 0.12 MW
    cluster = await t.registerCluster(op.key, {
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
    });
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.3, source: SOLAR, pricePerMwh: 100) { id } }`,
      {
        c: cluster,
        s: hour(2),
        e: hour(6),
      },
      op.key,
    );
  }, 60_000);
  afterAll(() => t?.close());

  it('cuts share the green by the rule (SLA needs first, the rest pro rata), breach gives credits, the inverse restores everything', async () => {
    const [a, b] = [await t.createOrg('STARTUP'), await t.createOrg('STARTUP')];
    const req = { pflops: 10, hours: 2, earliestStart: hour(2), deadline: hour(4), clusterIds: [cluster] };
    const sla = (await t.ok(BOOK, { r: { ...req, minGreenShare: 1 }, o: 'GREENEST', k: 'sla' }, a.key)).bookCompute;
    const plain = (await t.ok(BOOK, { r: req, o: 'GREENEST', k: 'plain' }, b.key)).bookCompute;
    expect([sla.greenMwh, plain.greenMwh]).toEqual([0.24, 0.24]);
    const before = {
      sla: (await t.ok(BOOKING, { id: sla.id })).booking,
      plain: (await t.ok(BOOKING, { id: plain.id })).booking,
    };

    const ws = wsClient(t.url, b.key);
    const events = collect(
      ws,
      `subscription { bookingEvents { type booking { id greenMwh } greenRevision { greenMwhBefore greenMwhAfter priceTotalBefore priceTotalAfter breached } } }`,
      {},
      'bookingEvents',
    );
    await new Promise((r) => setTimeout(r, 300));

    // 0.15 MW: the SLA booking needs its 0.12 MW; the other gets the 0.03 left
    const r1 = (await t.ok(REVISE, { c: cluster, f: hour(2), t: hour(4), mw: 0.15, why: 'clouds' }, op.key))
      .reviseGreenSupply;
    expect(r1.hours.map((h: any) => [h.supplyBeforeMw, h.supplyAfterMw])).toEqual([
      [0.3, 0.15],
      [0.3, 0.15],
    ]);
    expect(r1.breaches).toBe(0);
    expect(r1.bookings).toHaveLength(1);
    expect(r1.bookings[0]).toMatchObject({
      bookingId: plain.id,
      greenMwhBefore: 0.24,
      greenMwhAfter: 0.06,
      breached: false,
      creditAfter: 0,
    });
    expect(r1.bookings[0].shortHours).toEqual([hour(2), hour(3)]);
    const p1 = (await t.ok(BOOKING, { id: plain.id })).booking;
    // green 0.06 MWh x 100 + grid 0.18 MWh x 600 + compute 10 x 2 x 2
    expect(p1).toMatchObject({
      greenMwh: 0.06,
      greenMwhPromised: 0.24,
      greenShare: 0.25,
      slaMet: null,
      slaCredit: 0,
      price: { greenEnergy: 6, gridEnergy: 108, total: 154 },
    });
    expect((await t.ok(BOOKING, { id: sla.id })).booking).toEqual(before.sla);
    const ev = await events.waitFor(1);
    expect(ev[0]).toEqual({
      type: 'GREEN_REVISED',
      booking: { id: plain.id, greenMwh: 0.06 },
      greenRevision: {
        greenMwhBefore: 0.24,
        greenMwhAfter: 0.06,
        priceTotalBefore: before.plain.price.total,
        priceTotalAfter: 154,
        breached: false,
      },
    });
    await consistent(t, cluster, hour(0), hour(8));
    // nothing is free in those hours now: a green-only request cannot have them
    expect(
      (await t.code(BOOK, { r: { ...req, pflops: 1, minGreenShare: 1 }, o: 'GREENEST', k: 'late' }, a.key)).code,
    ).toBe('GREEN_SHORTFALL');

    // 0.1 MW: not even the SLA's need: it keeps all there is and breaks; credit = 0.04 MWh x 600 x 1
    const r2 = (await t.ok(REVISE, { c: cluster, f: hour(2), t: hour(4), mw: 0.1, why: 'storm' }, op.key))
      .reviseGreenSupply;
    expect(r2.breaches).toBe(1);
    const s2 = (await t.ok(BOOKING, { id: sla.id })).booking;
    expect(s2).toMatchObject({ greenMwh: 0.2, slaMet: false, slaCredit: 24 });
    expect((await t.ok(BOOKING, { id: plain.id })).booking.greenMwh).toBe(0);
    const credits = (
      await t.ok(`{ credits { total edges { node { bookingId kind amount missingMwh revisionId } } } }`, {}, a.key)
    ).credits;
    expect(credits.total).toBe(24);
    expect(credits.edges.map((e: any) => e.node)).toEqual([
      { bookingId: sla.id, kind: 'CREDIT', amount: 24, missingMwh: 0.04, revisionId: r2.id },
    ]);
    expect((await t.ok(`{ credits { total } }`, {}, b.key)).credits.total).toBe(0);
    const bal = (await t.ok(`{ slaBalances { operatorId owed bookingsInBreach } }`, {}, op.key)).slaBalances;
    expect(bal).toEqual([{ operatorId: op.id, owed: 24, bookingsInBreach: 1 }]);
    const KPIS = `{ kpis(from: "${hour(0)}", to: "${hour(24)}") { greenMwhPromised greenMwhDelivered greenMwhUsed slaBookings slaBreaches slaAttainment slaCreditsOwed } }`;
    expect((await t.ok(KPIS, {}, op.key)).kpis).toEqual({
      greenMwhPromised: 0.48,
      greenMwhDelivered: 0.2,
      greenMwhUsed: 0.2,
      slaBookings: 1,
      slaBreaches: 1,
      slaAttainment: 0,
      slaCreditsOwed: 24,
    });
    await consistent(t, cluster, hour(0), hour(8));
    await kpisMatchRecount(t, op, 0, 8);

    // back to 0.3 MW: every booking gets its promise again, the credit is taken back, prices return
    await t.ok(REVISE, { c: cluster, f: hour(2), t: hour(4), hourly: [0.3, 0.3], why: 'forecast restored' }, op.key);
    expect((await t.ok(BOOKING, { id: sla.id })).booking).toEqual(before.sla);
    expect((await t.ok(BOOKING, { id: plain.id })).booking).toEqual(before.plain);
    expect((await t.ok(`{ credits { total edges { node { kind amount } } } }`, {}, a.key)).credits).toEqual({
      total: 0,
      edges: [{ node: { kind: 'REVERSAL', amount: 24 } }, { node: { kind: 'CREDIT', amount: 24 } }],
    });
    expect((await t.ok(KPIS, {}, op.key)).kpis).toEqual({
      greenMwhPromised: 0.48,
      greenMwhDelivered: 0.48,
      greenMwhUsed: 0.48,
      slaBookings: 1,
      slaBreaches: 0,
      slaAttainment: 1,
      slaCreditsOwed: 0,
    });
    await consistent(t, cluster, hour(0), hour(8));

    // history: who, when, why, before and after per hour, newest first
    const hist = (
      await t.ok(
        `query($c: ID!) { greenRevisions(clusterId: $c, from: "${hour(0)}", to: "${hour(24)}") { reason revisedBy breaches hours { supplyAfterMw } } }`,
        { c: cluster },
        op.key,
      )
    ).greenRevisions;
    expect(hist.map((h: any) => [h.reason, h.revisedBy, h.breaches, h.hours[0].supplyAfterMw])).toEqual([
      ['forecast restored', op.id, 0, 0.3],
      ['storm', op.id, 1, 0.1],
      ['clouds', op.id, 0, 0.15],
    ]);
    events.stop();
    await ws.dispose();
  }, 60_000);

  /** A cluster of 10 kW per PFLOPS, grid at 100 per MWh, with `mw` of green at 900 in [from, to) hours from now. */
  const dearGreenCluster = async (mw: number, from: number, to: number): Promise<string> => {
    const c = await t.registerCluster(op.key, {
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 100,
    });
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!, $mw: Float!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: $mw, source: WIND, pricePerMwh: 900) { id } }`,
      { c, s: hour(from), e: hour(to), mw },
      op.key,
    );
    return c;
  };

  it('a revision to 0 undone without pricePerMwh takes the price of the hours’ green windows', async () => {
    const s = await t.createOrg('STARTUP');
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 0.5, source: WIND, pricePerMwh: 250) { id } }`,
      { c: cluster, s: hour(60), e: hour(62) },
      op.key,
    );
    const req = { pflops: 10, hours: 2, earliestStart: hour(60), deadline: hour(62), clusterIds: [cluster] };
    const b = (await t.ok(BOOK, { r: req, o: 'GREENEST', k: 'undo-0' }, s.key)).bookCompute;
    const before = (await t.ok(BOOKING, { id: b.id })).booking;
    expect(before).toMatchObject({ greenMwh: 0.24, price: { greenEnergy: 60 } });
    await t.ok(REVISE, { c: cluster, f: hour(60), t: hour(62), mw: 0, why: 'outage' }, op.key);
    expect((await t.ok(BOOKING, { id: b.id })).booking.greenMwh).toBe(0);
    // the inverse, as the revision's own: no price needed, the booking gets everything back
    await t.ok(REVISE, { c: cluster, f: hour(60), t: hour(62), mw: 0.5, why: 'back' }, op.key);
    expect((await t.ok(BOOKING, { id: b.id })).booking).toEqual(before);
    // and the hours' green sells at the windows' price again
    const q = (
      await t.ok(
        `query($r: ComputeRequestInput!) { quotes(request: $r) { objective placement { greenMwh price { greenEnergy } } } }`,
        { r: { ...req, pflops: 10, hours: 1, deadline: hour(61) } },
        s.key,
      )
    ).quotes.find((x: any) => x.objective === 'GREENEST');
    expect(q.placement).toEqual({ greenMwh: 0.12, price: { greenEnergy: 30 } });
    await consistent(t, cluster, hour(58), hour(64));
  });

  it('a revised booking prices its green MWh at its green price, not at a share of its rounded green cents', async () => {
    const s = await t.createOrg('STARTUP');
    // 100 PFLOPS draw 1 MW; 2 MWh of green at 333.333 cost 666.666, billed 666.67
    const c = await t.registerCluster(op.key, {
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      pricePerPflopsHour: 1,
      gridPricePerMwh: 100,
    });
    await t.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 10, source: SOLAR, pricePerMwh: 333.333) { id } }`,
      { c, s: hour(70), e: hour(72) },
      op.key,
    );
    const req = { pflops: 100, hours: 2, earliestStart: hour(70), deadline: hour(72), clusterIds: [c] };
    const b = (await t.ok(BOOK, { r: req, o: 'GREENEST', k: 'green-price' }, s.key)).bookCompute;
    expect((await t.ok(BOOKING, { id: b.id })).booking).toMatchObject({ greenMwh: 2, price: { greenEnergy: 666.67 } });
    const rev = (await t.ok(REVISE, { c, f: hour(71), t: hour(72), mw: 0, why: 'cloud' }, op.key)).reviseGreenSupply;
    // 1 MWh x 333.333 = 333.333 -> 333.33 (half of 666.67 would be 333.335 -> 333.34); grid 1 MWh x 100
    expect((await t.ok(BOOKING, { id: b.id })).booking).toMatchObject({
      greenMwh: 1,
      price: { greenEnergy: 333.33, gridEnergy: 100, total: 633.33 },
    });
    expect(rev.bookings).toEqual([expect.objectContaining({ priceTotalBefore: 866.67, priceTotalAfter: 633.33 })]);
  });

  it('a revision that lowers a price lowers what its voucher covers: percentCovered of the new price, the rest back to the voucher', async () => {
    // green dearer than grid: losing it makes the booking cheaper
    const c = await dearGreenCluster(0.1, 30, 32);
    const price = `query($id: ID!) { booking(id: $id) { voucherId price { total voucher totalAfterVoucher } } }`;
    const holders = [];
    // [percentCovered, hour, drawn, covered after, back]
    for (const [percent, h, drawn, after, back] of [
      [100, 30, 110, 30, 80],
      [50, 31, 55, 15, 40],
    ]) {
      const s = await t.createOrg('STARTUP');
      const v = (
        await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
          i: { organizationId: s.id, percentCovered: percent, cap: 1000, validFrom: hour(0), validUntil: hour(48) },
        })
      ).issueVoucher.id;
      // 10 PFLOPS draw 0.1 MW, all green at 900 for an hour: compute 20 + green 90
      const req = { pflops: 10, hours: 1, earliestStart: hour(h), deadline: hour(h + 1), clusterIds: [c] };
      const b = (await t.ok(BOOK, { r: req, o: 'EARLIEST', k: `v${percent}` }, s.key)).bookCompute;
      expect((await t.ok(price, { id: b.id }, s.key)).booking).toEqual({
        voucherId: v,
        price: { total: 110, voucher: drawn, totalAfterVoucher: 110 - drawn },
      });
      holders.push({ s, v, b, drawn, after, back });
    }
    // no green left: 0.1 MWh of grid at 100 instead, the price falls to 30
    await t.ok(REVISE, { c, f: hour(30), t: hour(32), mw: 0, why: 'calm' }, op.key);
    for (const { s, v, b, drawn, after: covered, back } of holders) {
      expect((await t.ok(price, { id: b.id }, s.key)).booking.price).toEqual({
        total: 30,
        voucher: covered,
        totalAfterVoucher: 30 - covered,
      });
      expect(
        (await t.ok(`query($id: ID!) { voucher(id: $id) { spent remaining } }`, { id: v }, s.key)).voucher,
      ).toEqual({
        spent: covered,
        remaining: 1000 - covered,
      });
      const ledger = (
        await t.ok(
          `query($id: ID!) { voucherLedger(voucherId: $id) { edges { node { kind amount spentAfter } } } }`,
          { id: v },
          s.key,
        )
      ).voucherLedger.edges.map((e: any) => e.node);
      expect(ledger).toEqual([
        { kind: 'DRAW', amount: drawn, spentAfter: drawn },
        { kind: 'ADJUST', amount: back, spentAfter: covered },
      ]);
    }
  });

  it('lists the voucher ledger in the order it was written: the adjustments of one revision replay to their spentAfter', async () => {
    const c = await dearGreenCluster(0.3, 40, 41);
    const s = await t.createOrg('STARTUP');
    const v = (
      await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
        i: { organizationId: s.id, percentCovered: 50, cap: 1000, validFrom: hour(0), validUntil: hour(48) },
      })
    ).issueVoucher.id;
    // three bookings of 0.1 MW, all green at 900: 110 each, 55 drawn each
    for (let i = 0; i < 3; i++) {
      const req = { pflops: 10, hours: 1, earliestStart: hour(40), deadline: hour(41), clusterIds: [c] };
      await t.ok(BOOK, { r: req, o: 'EARLIEST', k: `ledger-order-${i}` }, s.key);
    }
    // one revision takes all their green: three ADJUST entries of 40 in one transaction
    await t.ok(REVISE, { c, f: hour(40), t: hour(41), mw: 0, why: 'calm' }, op.key);
    const page = async (after: string | null) =>
      (
        await t.ok(
          `query($id: ID!, $a: String) { voucherLedger(voucherId: $id, first: 2, after: $a) { edges { node { kind amount spentAfter } } pageInfo { hasNextPage endCursor } } }`,
          { id: v, a: after },
          s.key,
        )
      ).voucherLedger;
    const entries: { kind: string; amount: number; spentAfter: number }[] = [];
    for (let after: string | null = null, more = true; more;) {
      const p = await page(after);
      entries.push(...p.edges.map((e: any) => e.node));
      more = p.pageInfo.hasNextPage;
      after = p.pageInfo.endCursor;
    }
    expect(entries.map((e) => e.kind)).toEqual(['DRAW', 'DRAW', 'DRAW', 'ADJUST', 'ADJUST', 'ADJUST']);
    // replayed in the listed order, every entry gives its own spentAfter
    let spent = 0;
    for (const e of entries) {
      spent += e.kind === 'DRAW' ? e.amount : -e.amount;
      expect(e.spentAfter).toBe(spent);
    }
    expect(spent).toBe(45);
    expect(
      await t.gql(
        `query($id: ID!) { voucherLedger(voucherId: $id, after: "bm90IGEgY3Vyc29y") { pageInfo { hasNextPage } } }`,
        { id: v },
        s.key,
      ),
    ).toMatchObject({
      errors: [{ extensions: { code: 'BAD_USER_INPUT', field: 'after' } }],
    });
  });

  it('cancelling a credited booking settles its credit; bad input changes nothing', async () => {
    const s = await t.createOrg('STARTUP');
    const req = {
      pflops: 10,
      hours: 1,
      earliestStart: hour(5),
      deadline: hour(6),
      clusterIds: [cluster],
      minGreenShare: 0.5,
    };
    const bk = (await t.ok(BOOK, { r: req, o: 'EARLIEST', k: 'c1' }, s.key)).bookCompute;
    await t.ok(REVISE, { c: cluster, f: hour(5), t: hour(6), mw: 0, why: 'outage' }, op.key);
    expect((await t.ok(BOOKING, { id: bk.id })).booking).toMatchObject({ greenMwh: 0, slaMet: false, slaCredit: 36 });
    // the answer to the cancel says what the booking now is, as a read does
    expect(
      (await t.ok(`mutation($id: ID!) { cancelBooking(id: $id) { status slaCredit slaMet } }`, { id: bk.id }, s.key))
        .cancelBooking,
    ).toEqual({ status: 'CANCELLED', slaCredit: 0, slaMet: null });
    expect((await t.ok(BOOKING, { id: bk.id }, s.key)).booking).toMatchObject({
      status: 'CANCELLED',
      slaCredit: 0,
      slaMet: null,
    });
    expect((await t.ok(`{ credits { total edges { node { kind amount revisionId } } } }`, {}, s.key)).credits).toEqual({
      total: 0,
      edges: [
        { node: { kind: 'REVERSAL', amount: 36, revisionId: null } },
        { node: expect.objectContaining({ kind: 'CREDIT', amount: 36 }) },
      ],
    });

    const other = await t.createOrg('OPERATOR');
    const bad = async (vars: Record<string, unknown>, key: string, code: string, field?: string) => {
      const e = await t.code(REVISE, { c: cluster, f: hour(2), t: hour(4), why: 'x', ...vars }, key);
      expect({ code: e.code, field: e.field }).toEqual({ code, field: field ?? e.field });
    };
    await bad({ mw: 0.1, hourly: [0.1, 0.1] }, op.key, 'BAD_USER_INPUT');
    await bad({}, op.key, 'BAD_USER_INPUT', 'megawatts');
    await bad({ hourly: [0.1] }, op.key, 'BAD_USER_INPUT', 'hourlyMegawatts');
    await bad({ hourly: [0.1, -1] }, op.key, 'BAD_USER_INPUT', 'hourlyMegawatts[1]');
    await bad({ mw: 0.0001 }, op.key, 'BAD_USER_INPUT', 'megawatts');
    await bad({ mw: 0.1, why: '  ' }, op.key, 'BAD_USER_INPUT', 'reason');
    await bad({ mw: 0.1, f: hour(-3) }, op.key, 'BAD_USER_INPUT', 'from');
    await bad({ mw: 0.1 }, other.key, 'FORBIDDEN');
    await bad({ mw: 0.1 }, s.key, 'FORBIDDEN');
    // supply raised where there was none: a price is needed
    await bad({ mw: 1, f: hour(10), t: hour(11) }, op.key, 'BAD_USER_INPUT', 'pricePerMwh');
    const n = (
      await t.ok(
        `query($c: ID!) { greenRevisions(clusterId: $c, from: "${hour(0)}", to: "${hour(24)}") { id } }`,
        { c: cluster },
        op.key,
      )
    ).greenRevisions.length;
    expect(n).toBe(4);
    await consistent(t, cluster, hour(0), hour(12));
    // the bureau sets the penalty factor
    expect(
      (await t.ok(`mutation { setSlaPenaltyFactor(penaltyFactor: 2.5) { penaltyFactor } }`)).setSlaPenaltyFactor
        .penaltyFactor,
    ).toBe(2.5);
    expect(
      (await t.code(`mutation { setSlaPenaltyFactor(penaltyFactor: 2.5) { penaltyFactor } }`, {}, op.key)).code,
    ).toBe('FORBIDDEN');
    // out of range: refused with its own reason, naming the field, and nothing changes
    for (const bad of ['100.5', '-1', '1.2345']) {
      const r = await t.gql(`mutation { setSlaPenaltyFactor(penaltyFactor: ${bad}) { penaltyFactor } }`);
      expect(r.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'INVALID_PENALTY_FACTOR',
        field: 'penaltyFactor',
      });
    }
    expect((await t.ok(`{ slaSettings { penaltyFactor } }`)).slaSettings.penaltyFactor).toBe(2.5);
    await t.ok(`mutation { setSlaPenaltyFactor(penaltyFactor: 1) { penaltyFactor } }`);
  }, 60_000);
});

const onPostgres = DATABASE_URL ? describe : describe.skip;

onPostgres('green SLAs on PostgreSQL: a revision racing bookings on the same hours', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await bootTestApp();
    b = await bootTestApp({ schema: a.schema });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('never over supply, no acknowledged booking lost, the timelines of both processes equal the ledger', async () => {
    const op = await a.createOrg('OPERATOR');
    const cluster = await a.registerCluster(op.key, {
      capacityPflops: 1000,
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 2,
      gridPricePerMwh: 600,
    });
    await a.ok(
      `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 5, source: WIND, pricePerMwh: 50) { id } }`,
      { c: cluster, s: hour(2), e: hour(8) },
      op.key,
    );
    const s = await a.createOrg('STARTUP');
    const acked: string[] = [];
    const book = async (i: number) => {
      const r = await gqlAt(
        (i % 2 ? a : b).url,
        BOOK,
        {
          r: {
            pflops: 5,
            hours: 2,
            earliestStart: hour(2),
            deadline: hour(8),
            clusterIds: [cluster],
            ...(i % 3 === 0 ? { minGreenShare: 0.5 } : {}),
          },
          o: 'GREENEST',
          k: `race-${i}`,
        },
        s.key,
      );
      if (r.data?.bookCompute) acked.push(r.data.bookCompute.id);
    };
    const revisions = [1.5, 0.7, 3, 0.2, 4].map(
      (mw, i) => () =>
        gqlAt((i % 2 ? b : a).url, REVISE, { c: cluster, f: hour(2), t: hour(8), mw, why: `race ${i}` }, op.key),
    );
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      work.push(book(i));
      if (i % 12 === 5) work.push(revisions[(i - 5) / 12]().then((r) => expect(r.errors).toBeUndefined()));
    }
    await Promise.all(work);
    expect(acked.length).toBeGreaterThan(10);
    const got = (
      await a.ok(
        `query($c: ID) { bookings(filter: { clusterId: $c, status: CONFIRMED }, first: 100) { edges { node { id } } } }`,
        { c: cluster },
      )
    ).bookings.edges.map((e: any) => e.node.id);
    expect(new Set(got)).toEqual(new Set(acked));
    await consistent(a, cluster, hour(0), hour(10));
    await consistent(b, cluster, hour(0), hour(10));
  }, 120_000);
});
