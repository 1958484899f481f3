import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { RoundClearer } from '../src/rounds/round-clearer';
import { LedgerRepository } from '../src/ledger/ledger.repository';
import { TimelinesService } from '../src/ledger/timelines.service';
import { collect, wsClient } from './support/events-helpers';
import { bootTestApp, DATABASE_URL, hour, HOUR, TestApp } from './support/helpers';

const OPEN = `mutation($r: String, $c: DateTime!) { openRound(region: $r, closesAt: $c) { id region status pending } }`;
const SUBMIT = `mutation($q: ComputeRequestInput!, $o: Objective!, $k: String!, $r: String) { submitRoundRequest(request: $q, objective: $o, idempotencyKey: $k, region: $r) { id roundId status } }`;
const CLOSE = `mutation($id: ID!) { closeRound(id: $id) { id status clearedAt pending outcome { requests placed refused pflopsHours greenShare gain strategy clearingMs firstCome { placed refused pflopsHours } } } }`;
const REQUESTS = `query($r: ID) { roundRequests(roundId: $r, first: 100) { edges { node { id status reason message idempotencyKey booking { id idempotencyKey clusterId startsAt hours pflops voucherId price { voucher } } } } } }`;
const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id } }`;

const req = (pflops: number, hours: number, from: number, to: number, clusterIds?: string[]) => ({
  pflops,
  hours,
  earliestStart: hour(from),
  deadline: hour(to),
  ...(clusterIds ? { clusterIds } : {}),
});

/** Ledger rows of the cluster over the next days equal the sums of its confirmed bookings (an independent recount). */
async function ledgerMatchesBookings(t: TestApp, cluster: string): Promise<void> {
  const repo = t.running.app.get(LedgerRepository);
  const rows = await repo.hours(
    cluster,
    Math.floor(Date.now() / HOUR) * HOUR,
    Math.floor(Date.now() / HOUR) * HOUR + 72 * HOUR,
  );
  const b = (
    await t.ok(
      `query($c: ID) { bookings(filter: { clusterId: $c, status: CONFIRMED }, first: 100) { edges { node { startsAt hours pflops } } } }`,
      { c: cluster },
    )
  ).bookings.edges.map((e: any) => e.node);
  for (const r of rows) {
    const h = new Date(r.hour).getTime();
    const sum = b
      .filter((x: any) => new Date(x.startsAt).getTime() <= h && new Date(x.startsAt).getTime() + x.hours * HOUR > h)
      .reduce((a: number, x: any) => a + Math.round(x.pflops * 1000), 0);
    expect({ h: r.hour, booked: r.booked_tflops }).toEqual({ h: r.hour, booked: sum });
    expect(r.booked_tflops).toBeLessThanOrEqual(r.capacity_tflops);
  }
}

describe('clearing rounds', () => {
  let t: TestApp;
  let operator: string;
  let cluster: string;

  beforeAll(async () => {
    t = await bootTestApp({ config: { roundTickMs: 0 } });
    operator = (await t.createOrg('OPERATOR')).key;
    cluster = await t.registerCluster(operator, { capacityPflops: 100, region: 'Pearl' });
  }, 60_000);
  afterAll(() => t?.close());

  it('the whole cycle: submit, replay, withdraw, close, results and events; pooling places what first-come cannot', async () => {
    const [a, b] = [await t.createOrg('STARTUP'), await t.createOrg('STARTUP')];
    const round = (await t.ok(OPEN, { r: 'Pearl', c: hour(1) })).openRound;
    expect(round).toMatchObject({ region: 'Pearl', status: 'OPEN', pending: 0 });
    // opened again (a retry that lost its answer): CONFLICT naming the round that is open
    expect((await t.gql(OPEN, { r: 'Pearl', c: hour(2) })).errors?.[0].extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'ROUND_ALREADY_OPEN',
      field: 'region',
      roundId: round.id,
    });

    // first-come puts a's flexible 50 PFLOPS at +2h and b's fixed 60 PFLOPS no longer fits; the round fits both
    const r1 = (await t.ok(SUBMIT, { q: req(50, 2, 2, 6, [cluster]), o: 'EARLIEST', k: 'a-1' }, a.key))
      .submitRoundRequest;
    expect(r1).toMatchObject({ roundId: round.id, status: 'PENDING' });
    const r2 = (await t.ok(SUBMIT, { q: req(60, 2, 2, 4, [cluster]), o: 'EARLIEST', k: 'b-1' }, b.key))
      .submitRoundRequest;
    const r3 = (await t.ok(SUBMIT, { q: req(500, 1, 2, 6), o: 'CHEAPEST', k: 'b-2', r: 'Pearl' }, b.key))
      .submitRoundRequest;
    const r4 = (await t.ok(SUBMIT, { q: req(1, 1, 2, 6), o: 'GREENEST', k: 'a-2', r: 'Pearl' }, a.key))
      .submitRoundRequest;
    // a replay returns the same request; the same key for another request is refused; nothing else changes
    expect(
      (await t.ok(SUBMIT, { q: req(50, 2, 2, 6, [cluster]), o: 'EARLIEST', k: 'a-1' }, a.key)).submitRoundRequest.id,
    ).toBe(r1.id);
    const reused = await t.code(SUBMIT, { q: req(51, 2, 2, 6, [cluster]), o: 'EARLIEST', k: 'a-1' }, a.key);
    expect(reused).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect((await t.code(SUBMIT, { q: req(1, 1, 2, 6), o: 'EARLIEST', k: 'x', r: 'Atlantis' }, a.key)).code).toBe(
      'CONFLICT',
    );
    expect((await t.code(SUBMIT, { q: req(1, 1, 2, 6), o: 'EARLIEST', k: 'z' }, a.key)).message).toMatch(
      /no round of the whole fleet is open/,
    );
    expect((await t.code(SUBMIT, { q: req(1, 1, 2, 1), o: 'EARLIEST', k: 'y' }, a.key)).code).toBe('BAD_USER_INPUT');
    // withdraw: only the owner, only while pending
    expect(
      (await t.code(`mutation($id: ID!) { withdrawRoundRequest(id: $id) { id } }`, { id: r4.id }, b.key)).code,
    ).toBe('NOT_FOUND');
    expect(
      (await t.ok(`mutation($id: ID!) { withdrawRoundRequest(id: $id) { status } }`, { id: r4.id }, a.key))
        .withdrawRoundRequest.status,
    ).toBe('WITHDRAWN');
    expect(
      (await t.code(`mutation($id: ID!) { withdrawRoundRequest(id: $id) { id } }`, { id: r4.id }, a.key)).code,
    ).toBe('CONFLICT');
    expect((await t.ok(`query($id: ID!) { round(id: $id) { pending } }`, { id: round.id })).round.pending).toBe(3);

    const ws = wsClient(t.url, a.key);
    const events = collect(
      ws,
      `subscription { bookingEvents { type booking { id } roundRequest { id status reason } } }`,
      {},
      'bookingEvents',
    );
    const wsB = wsClient(t.url, b.key);
    const eventsB = collect(
      wsB,
      `subscription { bookingEvents { type booking { id } roundRequest { id status reason } } }`,
      {},
      'bookingEvents',
    );
    await new Promise((r) => setTimeout(r, 300));
    const cleared = (await t.ok(CLOSE, { id: round.id })).closeRound;
    expect(cleared.status).toBe('CLEARED');
    expect(cleared.pending).toBe(0);
    expect(cleared.outcome).toMatchObject({
      requests: 3,
      placed: 2,
      refused: 1,
      pflopsHours: 220,
      firstCome: { placed: 1, refused: 2, pflopsHours: 100 },
      gain: 2.2,
    });
    expect((await t.code(CLOSE, { id: round.id })).code).toBe('CONFLICT');

    const mine = (await t.ok(REQUESTS, { r: round.id }, a.key)).roundRequests.edges.map((e: any) => e.node);
    expect(mine.map((x: any) => x.status).sort()).toEqual(['CONFIRMED', 'WITHDRAWN']);
    const a1 = mine.find((x: any) => x.id === r1.id);
    expect(a1.booking).toMatchObject({
      idempotencyKey: `round:${r1.id}`,
      clusterId: cluster,
      startsAt: new Date(hour(4)).toISOString(),
      hours: 2,
      pflops: 50,
    });
    // page by page, each page's endCursor opens the next (the cursor used to be refused)
    const all = (await t.ok(REQUESTS, { r: round.id })).roundRequests.edges.map((e: any) => e.node.id);
    const paged: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = (
        await t.ok(
          `query($r: ID, $a: String) { roundRequests(roundId: $r, first: 1, after: $a) { edges { node { id } } pageInfo { endCursor hasNextPage } } }`,
          { r: round.id, a: after },
        )
      ).roundRequests;
      paged.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(all.length).toBeGreaterThan(1);
    expect(paged).toEqual(all);
    // a forged cursor whose sequence number is no bigint is refused as any bad cursor (it was an internal error)
    const forged = Buffer.from(
      JSON.stringify(['99999999999999999999999', '00000000-0000-0000-0000-000000000000']),
    ).toString('base64url');
    expect(
      await t.code(`query($a: String) { roundRequests(after: $a) { edges { cursor } } }`, { a: forged }),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const theirs = (await t.ok(REQUESTS, { r: round.id }, b.key)).roundRequests.edges.map((e: any) => e.node);
    expect(theirs.find((x: any) => x.id === r2.id)).toMatchObject({
      status: 'CONFIRMED',
      booking: { startsAt: new Date(hour(2)).toISOString() },
    });
    expect(theirs.find((x: any) => x.id === r3.id)).toMatchObject({
      status: 'REFUSED',
      reason: 'NO_CAPACITY',
      booking: null,
    });
    expect(theirs.find((x: any) => x.id === r3.id).message).toMatch(/500 PFLOPS/);

    // events: each outcome once, to its startup, with the round request
    const got = await events.waitFor(1);
    expect(got).toEqual([
      {
        type: 'CONFIRMED',
        booking: { id: a1.booking.id },
        roundRequest: { id: r1.id, status: 'CONFIRMED', reason: null },
      },
    ]);
    const gotB = await eventsB.waitFor(2);
    expect(gotB.map((e: any) => `${e.type}:${e.roundRequest.id}`).sort()).toEqual(
      [`CONFIRMED:${r2.id}`, `REFUSED:${r3.id}`].sort(),
    );
    expect(gotB.find((e: any) => e.type === 'REFUSED')).toMatchObject({
      booking: null,
      roundRequest: { reason: 'NO_CAPACITY' },
    });
    events.stop();
    eventsB.stop();
    await ws.dispose();
    await wsB.dispose();

    // after the clearing: no round open, a withdraw is too late, the ledger holds exactly the bookings
    expect((await t.code(SUBMIT, { q: req(1, 1, 2, 6), o: 'EARLIEST', k: 'late', r: 'Pearl' }, a.key)).code).toBe(
      'CONFLICT',
    );
    expect(
      (await t.code(`mutation($id: ID!) { withdrawRoundRequest(id: $id) { id } }`, { id: r1.id }, a.key)).code,
    ).toBe('CONFLICT');
    await ledgerMatchesBookings(t, cluster);
    // bookCompute may not use the keys rounds give their bookings
    expect((await t.code(BOOK, { r: req(1, 1, 2, 6), k: `round:${r1.id}` }, a.key)).field).toBe('idempotencyKey');
    const listed = (await t.ok(`{ rounds(region: "Pearl") { id status outcome { placed } } }`)).rounds;
    expect(listed).toEqual([{ id: round.id, status: 'CLEARED', outcome: { placed: 2 } }]);
  }, 60_000);

  it('members are held to access rules and vouchers; the others stand', async () => {
    const [ruled, funded] = [await t.createOrg('STARTUP'), await t.createOrg('STARTUP')];
    await t.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
      i: { organizationId: ruled.id, maxPflopsHoursPer7Days: 30 },
    });
    await t.ok(`mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`, {
      i: { organizationId: funded.id, percentCovered: 50, cap: 1000, validFrom: hour(0), validUntil: hour(72) },
    });
    const round = (await t.ok(OPEN, { r: null, c: hour(1) })).openRound;
    expect(round.region).toBeNull();
    // no region named, clusters of one region with no open round there: the fleet-wide round takes it
    const q1 = (await t.ok(SUBMIT, { q: req(10, 2, 10, 20, [cluster]), o: 'EARLIEST', k: 'r-1' }, ruled.key))
      .submitRoundRequest;
    const q2 = (await t.ok(SUBMIT, { q: req(10, 2, 10, 20, [cluster]), o: 'EARLIEST', k: 'r-2' }, ruled.key))
      .submitRoundRequest;
    const q3 = (await t.ok(SUBMIT, { q: req(5, 2, 10, 20), o: 'CHEAPEST', k: 'f-1' }, funded.key)).submitRoundRequest;
    expect(q1.roundId).toBe(round.id);
    const out = (await t.ok(CLOSE, { id: round.id })).closeRound.outcome;
    expect(out).toMatchObject({ requests: 3, placed: 2, refused: 1 });
    const rq = (await t.ok(REQUESTS, { r: round.id })).roundRequests.edges.map((e: any) => e.node);
    const by = (id: string) => rq.find((x: any) => x.id === id);
    expect([by(q1.id).status, by(q2.id).status].sort()).toEqual(['CONFIRMED', 'REFUSED']);
    const refused = [by(q1.id), by(q2.id)].find((x: any) => x.status === 'REFUSED');
    expect(refused.reason).toBe('QUOTA_EXCEEDED');
    expect(refused.message).toMatch(/7 days/);
    expect(by(q3.id).booking.voucherId).not.toBeNull();
    expect(by(q3.id).booking.price.voucher).toBeGreaterThan(0);
    await ledgerMatchesBookings(t, cluster);
  }, 60_000);

  it('a member whose packed start breaks the 7-day rule takes the best start that keeps it, as bookCompute; QUOTA_EXCEEDED only when none does', async () => {
    const c = await t.registerCluster(operator, { capacityPflops: 40, region: 'Weekly' });
    const s = await t.createOrg('STARTUP');
    await t.ok(`mutation($i: AccessRuleInput!) { setAccessRule(input: $i) { organizationId } }`, {
      i: { organizationId: s.id, maxPflopsHoursPer7Days: 30 },
    });
    // 20 of its 30 PFLOPS-hours start at +10 h: another 20 may start only 7 days later, from +178 h
    await t.ok(BOOK, { r: req(10, 2, 10, 12, [c]), k: 'week-1' }, s.key);
    const round = (await t.ok(OPEN, { r: 'Weekly', c: hour(1) })).openRound;
    // the packer starts both at +2 h (EARLIEST on an empty cluster)
    const late = (await t.ok(SUBMIT, { q: req(10, 2, 2, 200, [c]), o: 'EARLIEST', k: 'late' }, s.key))
      .submitRoundRequest;
    const never = (await t.ok(SUBMIT, { q: req(10, 2, 2, 100, [c]), o: 'EARLIEST', k: 'never' }, s.key))
      .submitRoundRequest;
    const quoted = (
      await t.ok(
        `query($r: ComputeRequestInput!) { quotes(request: $r) { objective placement { startsAt } } }`,
        { r: req(10, 2, 2, 200, [c]) },
        s.key,
      )
    ).quotes.find((q: any) => q.objective === 'EARLIEST').placement.startsAt;
    expect(quoted).toBe(hour(178));
    const out = (await t.ok(CLOSE, { id: round.id })).closeRound.outcome;
    expect(out).toMatchObject({ requests: 2, placed: 1, refused: 1, pflopsHours: 20, firstCome: { placed: 1 } });
    const rq = (await t.ok(REQUESTS, { r: round.id }, s.key)).roundRequests.edges.map((e: any) => e.node);
    const by = (id: string) => rq.find((x: any) => x.id === id);
    expect(by(late.id)).toMatchObject({ status: 'CONFIRMED', booking: { startsAt: quoted, clusterId: c } });
    expect(by(never.id)).toMatchObject({ status: 'REFUSED', reason: 'QUOTA_EXCEEDED', booking: null });
    expect(by(never.id).message).toMatch(/per rolling 7 days/);
  }, 60_000);

  it('the same round clears the same way (deterministic), and a larger round beats first-come', async () => {
    // two identical rounds on two fresh clusters of their own regions
    const outcomes: any[] = [];
    for (const region of ['Det-1', 'Det-2']) {
      const c = await t.registerCluster(operator, { capacityPflops: 40, region });
      const s = await t.createOrg('STARTUP');
      const round = (await t.ok(OPEN, { r: region, c: hour(1) })).openRound;
      let seed = 7;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = 0; i < 40; i++) {
        const hours = 1 + Math.floor(rnd() * 6);
        const from = 2 + Math.floor(rnd() * 10);
        const to = from + hours + Math.floor(rnd() * 12);
        await t.ok(
          SUBMIT,
          {
            q: req(5 + Math.floor(rnd() * 30), hours, from, to, [c]),
            o: ['EARLIEST', 'GREENEST', 'CHEAPEST'][i % 3],
            k: `k${i}`,
          },
          s.key,
        );
      }
      const out = (await t.ok(CLOSE, { id: round.id })).closeRound.outcome;
      const rows = (await t.ok(REQUESTS, { r: round.id }, s.key)).roundRequests.edges.map((e: any) => e.node);
      outcomes.push({
        out,
        placed: rows
          .map((x: any) =>
            x.booking ? `${x.idempotencyKey}@${x.booking.startsAt}` : `${x.idempotencyKey}:${x.reason}`,
          )
          .sort(),
      });
      await ledgerMatchesBookings(t, c);
    }
    const strip = (o: any) => ({ ...o.out, clearingMs: 0, packingMs: 0 });
    expect(strip(outcomes[0])).toEqual(strip(outcomes[1]));
    expect(outcomes[0].placed).toEqual(outcomes[1].placed);
    expect(outcomes[0].out.pflopsHours).toBeGreaterThanOrEqual(outcomes[0].out.firstCome.pflopsHours);
  }, 120_000);

  it('scheduled rounds open on the cadence and clear at their time, on the tick', async () => {
    const clearer = t.running.app.get(RoundClearer);
    const sched = (
      await t.ok(
        `mutation { scheduleRounds(region: "Pearl", everyMinutes: 60) { region everyMinutes openRound { id closesAt status } } }`,
      )
    ).scheduleRounds;
    expect(sched).toMatchObject({ region: 'Pearl', everyMinutes: 60, openRound: { status: 'OPEN' } });
    const closes = new Date(sched.openRound.closesAt).getTime();
    expect(closes % HOUR).toBe(0);
    expect(closes).toBeGreaterThan(Date.now());
    const s = await t.createOrg('STARTUP');
    await t.ok(SUBMIT, { q: req(1, 1, 3, 8, [cluster]), o: 'EARLIEST', k: 'sched-1' }, s.key);
    // before the close time a tick leaves it; at the close time (moved clock) a tick clears it and opens the next
    await clearer.tick();
    expect((await t.ok(`query($id: ID!) { round(id: $id) { status } }`, { id: sched.openRound.id })).round.status).toBe(
      'OPEN',
    );
    const first = (
      await t.ok(`{ roundRequests(roundId: "${sched.openRound.id}") { edges { node { id } } } }`, {}, s.key)
    ).roundRequests.edges[0].node.id;
    const config = (clearer as unknown as { config: { now: () => number } }).config;
    const realNow = config.now;
    config.now = () => closes + 1000;
    let next: { id: string; closesAt: string };
    try {
      // past the close time, before any tick: the round reads CLOSED, and no round of the region is open
      const ids = async (status: string) =>
        (await t.ok(`{ rounds(region: "Pearl", status: ${status}) { id } }`)).rounds.map((r: any) => r.id);
      expect(
        (await t.ok(`query($id: ID!) { round(id: $id) { status } }`, { id: sched.openRound.id })).round.status,
      ).toBe('CLOSED');
      expect(await ids('OPEN')).toEqual([]);
      expect(await ids('CLOSED')).toEqual([sched.openRound.id]);
      // a submission closes the round itself and joins the next one (no gap while the last one
      // waits for its clearing), which a withdrawal cannot leave
      const late = (await t.ok(SUBMIT, { q: req(1, 1, 3, 8, [cluster]), o: 'EARLIEST', k: 'sched-2' }, s.key))
        .submitRoundRequest;
      expect(late.roundId).not.toBe(sched.openRound.id);
      const mid = (await t.ok(`{ rounds(region: "Pearl") { id status closesAt clearedAt pending } }`)).rounds;
      expect(mid.find((r: any) => r.id === sched.openRound.id)).toMatchObject({
        status: 'CLOSED',
        clearedAt: null,
        pending: 1,
      });
      next = mid.find((r: any) => r.status === 'OPEN');
      expect(next).toMatchObject({ id: late.roundId, pending: 1 });
      expect(new Date(next.closesAt).getTime()).toBe(closes + HOUR);
      const w = await t.gql(`mutation($id: ID!) { withdrawRoundRequest(id: $id) { id } }`, { id: first }, s.key);
      expect(w.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'ROUND_CLOSED', field: 'id' });
      await clearer.tick();
      await clearer.tick();
    } finally {
      config.now = realNow;
    }
    const after = (await t.ok(`{ rounds(region: "Pearl") { id status closesAt outcome { placed } } }`)).rounds;
    expect(after.find((r: any) => r.id === sched.openRound.id)).toMatchObject({
      status: 'CLEARED',
      outcome: { placed: 1 },
    });
    expect(after.filter((r: any) => r.status === 'OPEN').map((r: any) => r.id)).toEqual([next.id]);
    // closing a scheduled round by hand opens the next one at once, whether or not a process ticks
    await t.ok(`mutation($id: ID!) { closeRound(id: $id) { status } }`, { id: next.id });
    const [again] = (await t.ok(`{ rounds(region: "Pearl", status: OPEN) { id closesAt } }`)).rounds;
    expect(again.id).not.toBe(next.id);
    expect(new Date(again.closesAt).getTime() % HOUR).toBe(0);
    expect(
      (await t.ok(SUBMIT, { q: req(1, 1, 3, 8, [cluster]), o: 'EARLIEST', k: 'sched-3' }, s.key)).submitRoundRequest
        .roundId,
    ).toBe(again.id);
    const off = (
      await t.ok(`mutation { scheduleRounds(region: "Pearl", everyMinutes: null) { everyMinutes openRound { id } } }`)
    ).scheduleRounds;
    expect(off).toEqual({ everyMinutes: null, openRound: { id: again.id } });
    expect((await t.code(`mutation { scheduleRounds(region: "Pearl", everyMinutes: -5) { everyMinutes } }`)).code).toBe(
      'BAD_USER_INPUT',
    );
    expect(
      (await t.code(`mutation { scheduleRounds(region: "Pearl", everyMinutes: 5) { everyMinutes } }`, {}, s.key)).code,
    ).toBe('FORBIDDEN');
  }, 60_000);

  // found by a black-box review
  it('round requests take the keys bookCompute takes (another region is another request), an unknown round is NOT_FOUND, and a named cluster that left the region is not used', async () => {
    const startup = (await t.createOrg('STARTUP')).key;
    const moving = await t.registerCluster(operator, { capacityPflops: 100, region: 'Moving' });
    const round = (await t.ok(OPEN, { r: 'Moving', c: hour(1) })).openRound;
    const q = { pflops: 10, hours: 1, earliestStart: hour(3), deadline: hour(10), clusterIds: [moving] };
    expect(await t.code(SUBMIT, { q, o: 'EARLIEST', k: 'round:mine', r: 'Moving' }, startup)).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'idempotencyKey',
    });
    expect(await t.code(REQUESTS, { r: '00000000-0000-4000-8000-000000000000' }, startup)).toMatchObject({
      code: 'NOT_FOUND',
      field: 'roundId',
    });
    const req = (await t.ok(SUBMIT, { q, o: 'EARLIEST', k: 'moving-1', r: 'Moving' }, startup)).submitRoundRequest;
    // the same key and request named for another region's round is not that request
    expect(await t.code(SUBMIT, { q, o: 'EARLIEST', k: 'moving-1', r: 'Pearl' }, startup)).toMatchObject({
      code: 'CONFLICT',
      field: 'idempotencyKey',
    });
    expect((await t.ok(SUBMIT, { q, o: 'EARLIEST', k: 'moving-1' }, startup)).submitRoundRequest.id).toBe(req.id);
    // the same request with its cluster listed twice (a repeat counts once) is the same request
    const twice = { ...q, clusterIds: [moving, moving.toUpperCase()] };
    expect((await t.ok(SUBMIT, { q: twice, o: 'EARLIEST', k: 'moving-1' }, startup)).submitRoundRequest.id).toBe(
      req.id,
    );
    // a cluster outside the named region is named by its place in the list
    expect(
      await t.code(
        SUBMIT,
        { q: { ...q, clusterIds: [moving, cluster] }, o: 'EARLIEST', k: 'moving-2', r: 'Moving' },
        startup,
      ),
    ).toMatchObject({ code: 'BAD_USER_INPUT', field: 'request.clusterIds[1]' });
    // round-request keys and bookCompute keys are separate: the same key books, and names the same round request still
    expect((await t.ok(BOOK, { r: q, k: 'moving-1' }, startup)).bookCompute.id).toEqual(expect.any(String));
    expect((await t.ok(SUBMIT, { q, o: 'EARLIEST', k: 'moving-1' }, startup)).submitRoundRequest.id).toBe(req.id);
    await t.ok(
      `mutation($i: UpdateClusterInput!) { updateCluster(input: $i) { id region } }`,
      {
        i: { id: moving, region: 'Elsewhere' },
      },
      operator,
    );
    const closed = (await t.ok(CLOSE, { id: round.id })).closeRound;
    expect(closed.outcome).toMatchObject({ requests: 1, placed: 0 });
    const mine = (await t.ok(REQUESTS, { r: round.id }, startup)).roundRequests.edges.map((e: any) => e.node);
    expect(mine).toEqual([
      expect.objectContaining({
        id: req.id,
        status: 'REFUSED',
        reason: 'NO_CAPACITY',
        message: 'none of the clusters the request names is in region Moving any more',
        booking: null,
      }),
    ]);
  });

  it('a one-off round past its close time is CLOSED before any tick, and a new round of its region may open', async () => {
    const clearer = t.running.app.get(RoundClearer);
    const closes = Date.now() + HOUR;
    const first = (await t.ok(OPEN, { r: 'Delta', c: new Date(closes).toISOString() })).openRound;
    const config = (clearer as unknown as { config: { now: () => number } }).config;
    const realNow = config.now;
    config.now = () => closes + 1000;
    try {
      expect((await t.ok(`query($id: ID!) { round(id: $id) { status } }`, { id: first.id })).round.status).toBe(
        'CLOSED',
      );
      const second = (await t.ok(OPEN, { r: 'Delta', c: new Date(closes + 2 * HOUR).toISOString() })).openRound;
      expect(second).toMatchObject({ region: 'Delta', status: 'OPEN' });
      expect((await t.ok(`{ rounds(region: "Delta", status: OPEN) { id } }`)).rounds).toEqual([{ id: second.id }]);
      // the closed one still clears once, by closeRound here (no tick in this app)
      expect((await t.ok(CLOSE, { id: first.id })).closeRound).toMatchObject({ status: 'CLEARED' });
      expect((await t.code(CLOSE, { id: first.id })).code).toBe('CONFLICT');
    } finally {
      config.now = realNow;
    }
  });

  it('a refused submission changes nothing: a due round of a region without a schedule stays for the tick', async () => {
    const clearer = t.running.app.get(RoundClearer);
    const closes = Date.now() + HOUR;
    const due = (await t.ok(OPEN, { r: 'Echo', c: new Date(closes).toISOString() })).openRound;
    const startup = (await t.createOrg('STARTUP')).key;
    const q = { pflops: 1, hours: 1, earliestStart: hour(3), deadline: hour(10) };
    const ds = t.running.app.get(DataSource);
    const rows = () => ds.query(`SELECT id, status FROM rounds ORDER BY id`);
    const config = (clearer as unknown as { config: { now: () => number } }).config;
    const realNow = config.now;
    config.now = () => closes + 1000;
    try {
      const before = await rows();
      // its own region (past its close time) and a region with no round: both refused, nothing written
      for (const r of ['Echo', 'Nowhere'])
        expect(await t.code(SUBMIT, { q, o: 'EARLIEST', k: `echo-${r}`, r }, startup)).toMatchObject({
          code: 'CONFLICT',
          field: 'region',
        });
      expect(await rows()).toEqual(before);
      expect(before).toContainEqual({ id: due.id, status: 'OPEN' });
    } finally {
      config.now = realNow;
    }
    expect((await t.ok(CLOSE, { id: due.id })).closeRound).toMatchObject({ status: 'CLEARED' });
  });

  it('rounds page on with `after` (the last id of the previous page), each round once, in the same order', async () => {
    // rounds of their own regions, two of them closing at the same instant
    for (const [r, h] of [
      ['Page A', 5],
      ['Page B', 5],
      ['Page C', 6],
      ['Page D', 7],
      ['Page E', 4],
    ] as const)
      await t.ok(OPEN, { r, c: hour(h) });
    const all = (await t.ok(`{ rounds(first: 100) { id closesAt } }`)).rounds.map((r: { id: string }) => r.id);
    expect(all.length).toBeGreaterThanOrEqual(5);
    const paged: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { id: string }[] = (await t.ok(`query($a: ID) { rounds(first: 2, after: $a) { id } }`, { a: after }))
        .rounds;
      if (page.length === 0) break;
      paged.push(...page.map((r) => r.id));
      after = page[page.length - 1].id;
    }
    expect(paged).toEqual(all);
    const unknown = await t.code(`{ rounds(after: "00000000-0000-4000-8000-000000000000") { id } }`);
    expect([unknown.code, unknown.field]).toEqual(['NOT_FOUND', 'after']);
  });
});

const onPostgres = DATABASE_URL ? describe : describe.skip;

onPostgres('clearing rounds on PostgreSQL: two processes', () => {
  let a: TestApp;
  let b: TestApp;
  let db: Client;
  let cluster: string;

  beforeAll(async () => {
    a = await bootTestApp({ config: { roundTickMs: 0 } });
    b = await bootTestApp({ schema: a.schema, config: { roundTickMs: 0 } });
    db = new Client({ connectionString: DATABASE_URL, options: `-c search_path=${a.schema}` });
    await db.connect();
    const op = (await a.createOrg('OPERATOR')).key;
    cluster = await a.registerCluster(op, { capacityPflops: 100, region: 'Race' });
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await b?.close();
    await a?.close();
  });

  it('two processes closing the same round clear it once; online bookings during the clearing count as taken room', async () => {
    const s = await a.createOrg('STARTUP');
    const round = (await a.ok(OPEN, { r: 'Race', c: hour(1) })).openRound;
    for (let i = 0; i < 300; i++)
      await a.ok(
        SUBMIT,
        {
          q: req(1 + (i % 9), 1 + (i % 4), 2, 30, [cluster]),
          o: ['EARLIEST', 'GREENEST', 'CHEAPEST'][i % 3],
          k: `race-${i}`,
        },
        s.key,
      );
    const online = await a.createOrg('STARTUP');
    const racing = Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? a : b).gql(BOOK, { r: req(3, 2, 2, 30, [cluster]), k: `online-${i}` }, online.key),
    );
    const [ca, cb] = await Promise.all([a.gql(CLOSE, { id: round.id }), b.gql(CLOSE, { id: round.id }), ...racing]);
    // both answers show the one clearing (the second one either waited for it or was refused as already cleared)
    const answers = [ca, cb].map((r) => r.data?.closeRound ?? r.errors?.[0]?.extensions?.code);
    expect(
      answers.filter((x: any) => x?.status === 'CLEARED').length + answers.filter((x) => x === 'CONFLICT').length,
    ).toBe(2);
    const { rows } = await db.query(
      `SELECT status, count(*)::int AS n FROM round_requests WHERE round_id = $1 GROUP BY status`,
      [round.id],
    );
    const placed = rows.find((r) => r.status === 'CONFIRMED')?.n ?? 0;
    expect(rows.reduce((x, r) => x + r.n, 0)).toBe(300);
    expect(rows.find((r) => r.status === 'PENDING')).toBeUndefined();
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM bookings WHERE idempotency_key LIKE 'round:%'`))
      .rows;
    expect(n).toBe(placed);
    const [{ dup }] = (
      await db.query(
        `SELECT count(*)::int AS dup FROM (SELECT booking_id FROM round_requests WHERE booking_id IS NOT NULL GROUP BY booking_id HAVING count(*) > 1) d`,
      )
    ).rows;
    expect(dup).toBe(0);
    // the ledger equals the recount of every confirmed booking, online and round alike, and never exceeds capacity
    const { rows: over } = await db.query(
      `SELECT h.hour, h.booked_tflops, coalesce(sum(b.tflops), 0)::int AS recount, h.capacity_tflops FROM cluster_hours h
       LEFT JOIN bookings b ON b.cluster_id = h.cluster_id AND b.status = 'CONFIRMED' AND b.starts_at <= h.hour AND b.ends_at > h.hour
       WHERE h.cluster_id = $1 GROUP BY h.hour, h.booked_tflops, h.capacity_tflops HAVING h.booked_tflops <> coalesce(sum(b.tflops), 0) OR h.booked_tflops > h.capacity_tflops`,
      [cluster],
    );
    expect(over).toEqual([]);
    for (const app of [a, b]) {
      const t = app.running.app.get(TimelinesService);
      await t.exclusive(async () => undefined);
    }
  }, 120_000);
});
