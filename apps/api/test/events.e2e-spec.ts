import type { Client } from 'graphql-ws';
import { ChangeFeed } from '../src/events/change-feed.service';
import { EventsService, KEY_RECHECK_MS } from '../src/events/events.service';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../src/events/graphql-ws.options';
import { UtilizationService } from '../src/utilization/utilization.service';
import { BookingsService } from '../src/bookings/bookings.service';
import WebSocket from 'ws';
import { BODY_LIMIT_BYTES } from '../src/bootstrap';
import { bootTestApp, hour, TestApp } from './support/helpers';
import {
  BOOK,
  BOOKING_EVENTS,
  collect,
  Received,
  subscribed,
  until,
  UTILIZATION_CHANGED,
  wsClient,
} from './support/events-helpers';

// Live events over graphql-ws in one process (PGlite, or PostgreSQL with DATABASE_URL).
describe(`live events (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let app: TestApp;
  let op: { id: string; key: string };
  let otherOp: { id: string; key: string };
  let s1: { id: string; key: string };
  let s2: { id: string; key: string };
  let cluster: string;
  let otherCluster: string;
  const clients: Client[] = [];
  const client = (key?: string) => {
    const c = wsClient(app.url, key);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    app = await bootTestApp();
    op = await app.createOrg('OPERATOR');
    otherOp = await app.createOrg('OPERATOR');
    s1 = await app.createOrg('STARTUP');
    s2 = await app.createOrg('STARTUP');
    cluster = await app.registerCluster(op.key, { capacityPflops: 100 });
    otherCluster = await app.registerCluster(otherOp.key, { capacityPflops: 100 });
  }, 60_000);

  // every test starts with no subscription open, so subscribed(app, n) counts its own
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.dispose();
    const events = app.running.app.get(EventsService);
    await until(
      () => events.subscriptions() === 0,
      5000,
      () => `${events.subscriptions()} subscriptions still open`,
    );
  });

  afterAll(async () => {
    await app?.close();
  });

  const book = async (key: string, clusterId: string, pflops: number, from: number, hours: number, k: string) =>
    (
      await app.ok(
        BOOK,
        { r: { pflops, hours, earliestStart: hour(from), deadline: hour(from + hours), clusterIds: [clusterId] }, k },
        key,
      )
    ).bookCompute;

  it('utilizationChanged: the booked hours with their new values, to the owning operator and the bureau', async () => {
    const mine = collect(client(op.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    const bureau = collect(client(app.bureauKey), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(app, 2);
    await book(s1.key, cluster, 12.5, 30, 3, 'u1');
    const [hours] = await mine.waitFor(1);
    expect(hours.map((h: any) => h.hour)).toEqual([hour(30), hour(31), hour(32)]);
    expect(
      hours.every(
        (h: any) =>
          h.clusterId === cluster && h.bookedPflops === 12.5 && h.capacityPflops === 100 && h.utilization === 0.125,
      ),
    ).toBe(true);
    const [seen] = await bureau.waitFor(1);
    expect(seen).toEqual(hours);

    // a capacity change is a utilization change too
    await app.ok(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { setCapacity(clusterId: $c, from: $f, to: $t, pflops: 50) { pflops } }`,
      { c: cluster, f: hour(31), t: hour(33) },
      op.key,
    );
    const events = await mine.waitFor(2);
    expect(events[1].map((h: any) => [h.hour, h.capacityPflops, h.utilization])).toEqual([
      [hour(31), 50, 0.25],
      [hour(32), 50, 0.25],
    ]);
  });

  it('utilizationChanged without clusterId: every cluster the caller may see on one subscription, one registered later included', async () => {
    const ALL = `subscription { utilizationChanged { clusterId hour bookedPflops } }`;
    const mine = collect(client(op.key), ALL, {}, 'utilizationChanged');
    const bureau = collect(client(app.bureauKey), ALL, {}, 'utilizationChanged');
    await subscribed(app, 2);
    // another operator's cluster: the bureau sees it, this operator does not
    await book(s1.key, otherCluster, 5, 50, 1, 'all-1');
    const [other] = await bureau.waitFor(1);
    expect(other.map((h: any) => [h.clusterId, h.hour, h.bookedPflops])).toEqual([[otherCluster, hour(50), 5]]);
    // a cluster the operator registers after subscribing
    const later = await app.registerCluster(op.key, { capacityPflops: 40 });
    await book(s1.key, later, 4, 51, 2, 'all-2');
    const [own] = await mine.waitFor(1);
    expect(own.map((h: any) => [h.clusterId, h.hour, h.bookedPflops])).toEqual([
      [later, hour(51), 4],
      [later, hour(52), 4],
    ]);
    await book(s1.key, cluster, 6, 53, 1, 'all-3');
    const events = await mine.waitFor(2);
    expect(events[1].map((h: any) => [h.clusterId, h.hour])).toEqual([[cluster, hour(53)]]);
    // the other operator's booking never reached this operator
    expect(mine.data.flat().some((h: any) => h.clusterId === otherCluster)).toBe(false);
    expect((await bureau.waitFor(3)).map((e: any[]) => e[0].clusterId)).toEqual([otherCluster, later, cluster]);
  });

  // found by a review of live events: one 8,000-hour booking sent 58 events, one per NOTIFY part
  it('utilizationChanged: a change too large for one NOTIFY still arrives as one event', async () => {
    const mine = collect(client(op.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(app, 1);
    await book(s1.key, cluster, 1, 700, 600, 'long-run');
    await book(s1.key, cluster, 1, 1350, 1, 'after-it');
    const [first, second] = await mine.waitFor(2);
    expect([first.length, first[0].hour, first[599].hour]).toEqual([600, hour(700), hour(1299)]);
    expect(second.map((h: any) => h.hour)).toEqual([hour(1350)]);
    mine.stop();
  });

  // found by a review of live events: another operator's changes queued (and were read) for an
  // operator's fleet-wide subscription, and a burst of them ended it with EVENTS_MISSED
  it("an operator's fleet-wide utilizationChanged never queues another operator's changes", async () => {
    const ALL = `subscription { utilizationChanged { clusterId hour } }`;
    const svc = app.running.app.get(UtilizationService);
    const reads = jest.spyOn(
      svc as unknown as { readChange(e: { clusterId: string }): Promise<unknown> },
      'readChange',
    );
    try {
      const mine = collect(client(op.key), ALL, {}, 'utilizationChanged');
      await subscribed(app, 1);
      for (let i = 0; i < 3; i++) await book(s1.key, otherCluster, 1, 60 + i, 1, `fleet-other-${i}`);
      await book(s1.key, cluster, 1, 64, 1, 'fleet-own');
      const [own] = await mine.waitFor(1);
      expect(own.map((h: any) => [h.clusterId, h.hour])).toEqual([[cluster, hour(64)]]);
      // nobody else listens: a read of the other cluster's changes would have been for this subscriber
      expect(reads.mock.calls.map(([e]) => e.clusterId)).toEqual([cluster]);
      mine.stop();
    } finally {
      reads.mockRestore();
    }
  });

  it('utilizationChanged: green supply changes arrive, and a refused booking sends nothing', async () => {
    const mine = collect(client(op.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(app, 1);
    // refused (more than the capacity): rolled back, so no event
    const refused = await app.code(
      BOOK,
      { r: { pflops: 101, hours: 1, earliestStart: hour(40), deadline: hour(41), clusterIds: [cluster] }, k: 'r1' },
      s1.key,
    );
    expect(refused.code).toBe('NO_CAPACITY');
    await app.ok(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $f, endsAt: $t, megawatts: 2, source: SOLAR, pricePerMwh: 300) { id } }`,
      { c: cluster, f: hour(40), t: hour(42) },
      op.key,
    );
    const [first] = await mine.waitFor(1);
    expect(first.map((h: any) => [h.hour, h.greenAvailableMw, h.bookedPflops])).toEqual([
      [hour(40), 2, 0],
      [hour(41), 2, 0],
    ]);
    // a booking drawing 50 x 10 kW x 1.2 = 0.6 MW takes green in both hours
    await book(s1.key, cluster, 50, 40, 2, 'g1');
    await mine.waitFor(2);
    // a revision re-sets supply and allocation hour by hour: the revised hours arrive with both
    const REVISE = `mutation($c: ID!, $f: DateTime!, $t: DateTime!, $mw: Float!) { reviseGreenSupply(clusterId: $c, from: $f, to: $t, megawatts: $mw, reason: "clouds") { id } }`;
    await app.ok(REVISE, { c: cluster, f: hour(40), t: hour(42), mw: 0.5 }, op.key);
    const cut = await mine.waitFor(3);
    expect(cut[2].map((h: any) => [h.hour, h.greenAvailableMw, h.greenAllocatedMw])).toEqual([
      [hour(40), 0.5, 0.5],
      [hour(41), 0.5, 0.5],
    ]);
    // and a raise that gives the booking its promised green back
    await app.ok(REVISE, { c: cluster, f: hour(41), t: hour(42), mw: 2 }, op.key);
    const raised = await mine.waitFor(4);
    expect(raised[3].map((h: any) => [h.hour, h.greenAvailableMw, h.greenAllocatedMw])).toEqual([[hour(41), 2, 0.6]]);
  });

  it('bookingEvents: the booking organization, the cluster operator and the bureau, nobody else', async () => {
    const own = collect(client(s1.key), BOOKING_EVENTS, {}, 'bookingEvents');
    const otherStartup = collect(client(s2.key), BOOKING_EVENTS, {}, 'bookingEvents');
    const operator = collect(client(op.key), BOOKING_EVENTS, {}, 'bookingEvents');
    const otherOperator = collect(client(otherOp.key), BOOKING_EVENTS, {}, 'bookingEvents');
    const bureau = collect(client(app.bureauKey), BOOKING_EVENTS, { c: cluster }, 'bookingEvents');
    await subscribed(app, 5);
    const b = await book(s1.key, cluster, 5, 50, 2, 'b1');
    // then one booking each that s2 and the other operator may see: they arrive after b's event
    // in the same order, so receiving only these proves b's event was withheld from them
    const b2 = await book(s2.key, otherCluster, 5, 50, 2, 'b2');
    const [e] = await own.waitFor(1);
    expect(e).toEqual({
      type: 'CONFIRMED',
      booking: {
        id: b.id,
        organizationId: s1.id,
        clusterId: cluster,
        status: 'CONFIRMED',
        startsAt: hour(50),
        hours: 2,
        pflops: 5,
      },
    });
    expect((await operator.waitFor(1))[0].booking.id).toBe(b.id);
    expect((await bureau.waitFor(1))[0].booking.id).toBe(b.id);
    expect((await otherStartup.waitFor(1)).map((x) => x.booking.id)).toEqual([b2.id]);
    expect((await otherOperator.waitFor(1)).map((x) => x.booking.id)).toEqual([b2.id]);

    await app.ok(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id: b.id }, s1.key);
    const events = await own.waitFor(2);
    expect(events[1]).toMatchObject({ type: 'CANCELLED', booking: { id: b.id, status: 'CANCELLED' } });
    expect((await operator.waitFor(2)).map((x) => [x.type, x.booking.id])).toEqual([
      ['CONFIRMED', b.id],
      ['CANCELLED', b.id],
    ]);
  });

  // found by a fan-out measurement: 200 bureau subscribers of 1,000 bookings read them 200,000 times
  it('bookingEvents: one read of the booking for every subscriber it reaches; a newer event about it reads it again', async () => {
    const stored = jest.spyOn(app.running.app.get(BookingsService), 'stored');
    try {
      const subs = [
        ...[1, 2, 3].map(() => collect(client(app.bureauKey), BOOKING_EVENTS, {}, 'bookingEvents')),
        collect(client(op.key), BOOKING_EVENTS, {}, 'bookingEvents'),
        collect(client(s1.key), BOOKING_EVENTS, {}, 'bookingEvents'),
        collect(client(s2.key), BOOKING_EVENTS, {}, 'bookingEvents'),
      ];
      await subscribed(app, subs.length);
      const b = await book(s1.key, cluster, 3, 70, 1, 'shared-read');
      for (const r of subs.slice(0, 5)) expect((await r.waitFor(1))[0]).toMatchObject({ booking: { id: b.id } });
      const readsOf = () => stored.mock.calls.filter(([id]) => id === b.id).length;
      expect(readsOf()).toBe(1);
      // within SHARED_READ_MS of the first read: the CANCELLED event reads it again all the same
      await app.ok(`mutation($id: ID!) { cancelBooking(id: $id) { status } }`, { id: b.id }, s1.key);
      for (const r of subs.slice(0, 5))
        expect((await r.waitFor(2))[1]).toMatchObject({
          type: 'CANCELLED',
          booking: { id: b.id, status: 'CANCELLED' },
        });
      expect(readsOf()).toBe(2);
      // the other startup never had either
      expect(subs[5].data).toEqual([]);
    } finally {
      stored.mockRestore();
    }
  });

  it('closes a socket that sends a message larger than a request body (1009), so one message cannot stall the process', async () => {
    const ws = new WebSocket(`${app.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((ok, fail) => ws.once('open', ok).once('error', fail));
    const closed = new Promise<number>((ok) => ws.once('close', (code) => ok(code)));
    ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    // 600 KiB of aliased fields, over the 512 KiB limit
    const query = `{ ${Array.from({ length: 60_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(query.length).toBeGreaterThan(BODY_LIMIT_BYTES);
    ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
    expect(await closed).toBe(1009);
  });

  it('applies the query cost limit of HTTP to queries, mutations and subscriptions: the same error, nothing runs', async () => {
    const COST_ERROR = {
      message: 'query cost 5001 exceeds the limit of 5000; ask for fewer items (first) or fewer fields',
      extensions: { code: 'BAD_USER_INPUT' },
    };
    // n aliases of one field under one root field: cost 1 + n (and one token of the rate limit)
    const many = (field: string, n: number) => Array.from({ length: n }, (_, i) => `f${i}: ${field}`).join(' ');
    // the first answer to a subscribe message: how many results, and the errors
    const answer = async <T>(r: Received<T>) => {
      await until(
        () => r.data.length + r.errors.length > 0,
        5000,
        () => 'no answer',
      );
      return { results: r.data.length, errors: r.errors };
    };
    const ws = client(app.bureauKey);
    const query = `{ me { ${many('id', 5000)} } }`;
    const mutation = `mutation { createOrganization(input: { name: "too costly", role: STARTUP }) { organization { ${many('id', 4999)} } } }`;
    for (const [doc, field] of [
      [query, 'me'],
      [mutation, 'createOrganization'],
    ]) {
      const overHttp = await app.gql(doc);
      expect(overHttp.status).toBe(400);
      expect(overHttp.errors).toEqual([COST_ERROR]);
      expect(await answer(collect(ws, doc, {}, field))).toEqual({ results: 0, errors: overHttp.errors });
    }
    const names = (await app.ok(`{ organizations(first: 100) { edges { node { name } } } }`)).organizations.edges.map(
      (e: { node: { name: string } }) => e.node.name,
    );
    expect(names).not.toContain('too costly');
    // the same limit, not a tighter one: cost 5000 runs
    expect((await collect(ws, `{ me { ${many('id', 4999)} } }`, {}, 'me').waitFor(1))[0]).toHaveProperty('f4998');
    const sub = (n: number) => `subscription($c: ID!) { utilizationChanged(clusterId: $c) { ${many('hour', n)} } }`;
    expect(await answer(collect(ws, sub(5000), { c: cluster }, 'utilizationChanged'))).toEqual({
      results: 0,
      errors: [COST_ERROR],
    });
    expect(app.running.app.get(EventsService).subscriptions()).toBe(0);
    collect(ws, sub(4999), { c: cluster }, 'utilizationChanged');
    await subscribed(app, 1);
  }, 30_000);

  it('refuses a subscription sent over HTTP with BAD_USER_INPUT naming the WebSocket, before anything runs', async () => {
    for (const doc of [
      'subscription { bookingEvents { type } }',
      `subscription { utilizationChanged(clusterId: "${cluster}") { hour } }`,
    ]) {
      const r = await app.gql(doc, {}, op.key);
      expect(r.status).toBe(400);
      expect(r.errors).toEqual([
        {
          message:
            'subscriptions are served over WebSocket on /graphql (graphql-ws, subprotocol graphql-transport-ws), not over HTTP',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ]);
    }
  });

  it('refuses subscriptions the caller could not query', async () => {
    const noKey = collect(client(), BOOKING_EVENTS, {}, 'bookingEvents');
    expect((await noKey.waitError()).extensions?.code).toBe('UNAUTHENTICATED');
    const badKey = collect(client('nope'), BOOKING_EVENTS, {}, 'bookingEvents');
    expect((await badKey.waitError()).extensions?.code).toBe('UNAUTHENTICATED');
    const startup = collect(client(s1.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    expect((await startup.waitError()).extensions?.code).toBe('FORBIDDEN');
    const foreign = collect(client(otherOp.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    expect((await foreign.waitError()).extensions?.code).toBe('FORBIDDEN');
    const foreignBookings = collect(client(otherOp.key), BOOKING_EVENTS, { c: cluster }, 'bookingEvents');
    expect((await foreignBookings.waitError()).extensions?.code).toBe('FORBIDDEN');
    const unknown = collect(
      client(op.key),
      UTILIZATION_CHANGED,
      { c: '00000000-0000-4000-8000-000000000000' },
      'utilizationChanged',
    );
    expect((await unknown.waitError()).extensions?.code).toBe('NOT_FOUND');
  });

  it('ends a subscription with UNAUTHENTICATED at the first event after its API key was revoked', async () => {
    const issued = (
      await app.ok(`mutation($o: ID!) { issueApiKey(organizationId: $o) { key apiKey { id } } }`, { o: op.id })
    ).issueApiKey;
    const sub = collect(client(issued.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(app, 1);
    await book(s1.key, cluster, 1, 60, 1, 'rv1');
    await sub.waitFor(1);
    await app.ok(`mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: issued.apiKey.id });
    // the revocation comes with the change feed: the very next event ends it, well inside
    // KEY_RECHECK_MS (the full re-check's period, which used to let events through for a second)
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    await book(s1.key, cluster, 1, 61, 1, 'rv2');
    expect((await sub.waitError()).extensions?.code).toBe('UNAUTHENTICATED');
    expect(Date.now() - t0).toBeLessThan(KEY_RECHECK_MS + 2000);
    expect(sub.data).toHaveLength(1);
  });

  // PGlite is one process with an in-process listener: there is no connection to lose
  (process.env.DATABASE_URL ? it : it.skip)(
    "ends every subscription with SERVICE_UNAVAILABLE (EVENTS_MISSED) when the server's event listener reconnects",
    async () => {
      const util = collect(client(op.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
      const mine = collect(client(s1.key), BOOKING_EVENTS, {}, 'bookingEvents');
      await subscribed(app, 2);
      await book(s1.key, cluster, 1, 70, 1, 'gap-before');
      await util.waitFor(1);
      await mine.waitFor(1);
      // what is committed while the listener is away never reaches this process: the
      // subscriptions end after what they had, so their clients know to query again
      app.running.app.get(ChangeFeed).dropConnectionForTest();
      for (const sub of [util, mine]) {
        const e = await sub.waitError(15_000);
        expect(e.extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'EVENTS_MISSED' });
        expect(e.message).toMatch(/events may have been missed/);
      }
      expect(mine.data).toHaveLength(1);
    },
  );

  it('limits subscriptions per connection', async () => {
    const c = client(op.key);
    const subs = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () =>
      collect(c, UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged'),
    );
    await subscribed(app, MAX_SUBSCRIPTIONS_PER_CONNECTION);
    const extra = collect(c, UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    expect(await extra.waitError()).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    // a query on the full connection is refused saying what counts (not "subscriptions" alone)
    const q = collect(c, `{ me { id } }`, {}, 'me');
    expect((await q.waitError()).message).toMatch(
      /^at most 20 operations open at once per connection \(subscriptions, and queries/,
    );
    expect(subs.every((s) => s.errors.length === 0)).toBe(true);
  });

  it('stops delivering when the client unsubscribes', async () => {
    const events = app.running.app.get(EventsService);
    const sub = collect(client(op.key), UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(app, 1);
    sub.stop();
    await until(
      () => events.subscriptions() === 0,
      5000,
      () => 'the subscription is still open',
    );
    expect(events.subscriptions()).toBe(0);
  });
});
