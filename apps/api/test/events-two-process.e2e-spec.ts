import type { Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import { EventsService } from '../src/events/events.service';
import { bootTestApp, DATABASE_URL, hour, TestApp } from './support/helpers';
import { BOOK, BOOKING_EVENTS, collect, subscribed, UTILIZATION_CHANGED, wsClient } from './support/events-helpers';

// Two API instances on one PostgreSQL schema: a booking committed through A reaches
// WebSocket subscribers connected to B, through LISTEN/NOTIFY only. PGlite is one process.
const onPostgres = DATABASE_URL ? describe : describe.skip;
if (!DATABASE_URL)
  process.stderr.write(
    'events-two-process.e2e-spec: SKIPPED, needs PostgreSQL (DATABASE_URL=$(scripts/pg-up.sh) npm test)\n',
  );

async function confirmedCount(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^pflex_bookings_total\{outcome="confirmed",reason=""\} (\S+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

onPostgres('events between two API processes (PostgreSQL LISTEN/NOTIFY)', () => {
  let a: TestApp;
  let b: TestApp;
  let op: { id: string; key: string };
  let startup: { id: string; key: string };
  let cluster: string;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    a = await bootTestApp();
    b = await bootTestApp({ schema: a.schema });
    op = await a.createOrg('OPERATOR');
    startup = await a.createOrg('STARTUP');
    cluster = await a.registerCluster(op.key, { capacityPflops: 100 });
  }, 60_000);

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.dispose();
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('a booking on A reaches subscribers on B, after its commit, counted once', async () => {
    const opWs = wsClient(b.url, op.key);
    const stWs = wsClient(b.url, startup.key);
    clients.push(opWs, stWs);
    const util = collect(opWs, UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    const mine = collect(stWs, BOOKING_EVENTS, {}, 'bookingEvents');
    await subscribed(b, 2);
    const [beforeA, beforeB] = [await confirmedCount(a.url), await confirmedCount(b.url)];

    const booked = (
      await a.ok(
        BOOK,
        { r: { pflops: 20, hours: 2, earliestStart: hour(20), deadline: hour(22), clusterIds: [cluster] }, k: 'x1' },
        startup.key,
      )
    ).bookCompute;
    const [hours] = await util.waitFor(1);
    expect(hours.map((h: any) => [h.hour, h.bookedPflops, h.utilization])).toEqual([
      [hour(20), 20, 0.2],
      [hour(21), 20, 0.2],
    ]);
    const [e] = await mine.waitFor(1);
    expect(e).toMatchObject({
      type: 'CONFIRMED',
      booking: { id: booked.id, organizationId: startup.id, status: 'CONFIRMED' },
    });
    // the committing process counts the booking; the one that only received the event does not
    let countA = beforeA;
    for (const t0 = Date.now(); countA === beforeA && Date.now() - t0 < 5000;) countA = await confirmedCount(a.url);
    expect(countA).toBe(beforeA + 1);
    expect(await confirmedCount(b.url)).toBe(beforeB);
  });

  it('the listener reconnects after its connection is killed: subscriptions end (events may have been missed), new ones get later events', async () => {
    const ws = wsClient(b.url, op.key);
    clients.push(ws);
    const util = collect(ws, UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(b, 1);
    const admin = new Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      const killed = await admin.query(`SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1`, [
        `LISTEN "pflex_events_${a.schema}"`,
      ]);
      expect(killed.rowCount).toBe(2);
      // both instances listen again (each has a fresh LISTEN session) before we book; the killed
      // sessions can linger in pg_stat_activity for a moment, so count only new pids
      const dead = killed.rows.map((r: { pid: number }) => r.pid);
      const t0 = Date.now();
      let listening = 0;
      while (Date.now() - t0 < 10_000) {
        listening = (
          await admin.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1 AND NOT (pid = ANY($2::int[]))`,
            [`LISTEN "pflex_events_${a.schema}"`, dead],
          )
        ).rows[0].n;
        if (listening === 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(listening).toBe(2);
    } finally {
      await admin.end();
    }
    // what was committed while B could not hear is lost to B's subscribers: they are told
    expect((await util.waitError()).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', reason: 'EVENTS_MISSED' });
    const again = collect(ws, UTILIZATION_CHANGED, { c: cluster }, 'utilizationChanged');
    await subscribed(b, 1);
    await a.ok(
      BOOK,
      { r: { pflops: 10, hours: 1, earliestStart: hour(30), deadline: hour(31), clusterIds: [cluster] }, k: 'x2' },
      startup.key,
    );
    const [hours] = await again.waitFor(1);
    expect(hours.map((h: any) => [h.hour, h.bookedPflops])).toEqual([[hour(30), 10]]);
    expect(b.running.app.get(EventsService).subscriptions()).toBe(1);
  }, 30_000);
});
