// Fault: kill -9 the API process that is clearing a round, in the middle of the clearing. The
// round must be untouched (CLOSED, every request PENDING, no booking of it) or, if the commit won
// the race, fully cleared; then the tick of the surviving or restarted process clears it exactly
// once.
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { AckedBooking } from '../check-invariants';
import { DOCS, gql, type Objective, type Org } from '../lib/api';
import { Rng } from '../lib/rng';
import { bookingRequest } from '../scenarios/booking-storm';
import { roundAcks } from '../scenarios/round';
import type { ApiProcess } from '../lib/processes';

export interface RoundFaultContext {
  apis: ApiProcess[];
  bureauKey: string;
  startups: Org[];
  clusterIds: string[];
  horizonStart: number;
  horizonHours: number;
  requests: number;
  databaseUrl: string;
  schema: string;
  log: (m: string) => void;
}

export interface RoundFaultResult {
  did: string[];
  problems: string[];
  acks: AckedBooking[];
  requests: number;
}

const OBJECTIVES: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function killDuringClearing(c: RoundFaultContext): Promise<RoundFaultResult> {
  const [victim, other] = c.apis;
  const did: string[] = [];
  const problems: string[] = [];
  const round = (
    await gql(victim.base, c.bureauKey, DOCS.openRound, {
      region: null,
      closesAt: new Date(Date.now() + 6 * 3600_000).toISOString(),
    })
  ).openRound.id as string;
  const rng = new Rng(21);
  let next = 0;
  const submit = async (w: number) => {
    const target = c.apis[w % c.apis.length].base;
    while (next < c.requests) {
      next++;
      const org = c.startups[rng.int(c.startups.length)];
      await gql(target, org.apiKey, DOCS.submitRoundRequest, {
        request: bookingRequest(rng, c.clusterIds, c.horizonStart, c.horizonHours),
        objective: OBJECTIVES[rng.int(3)],
        idempotencyKey: randomUUID(),
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, (_, w) => submit(w)));
  did.push(`${c.requests} requests submitted to round ${round}`);

  const db = new Client({ connectionString: c.databaseUrl, options: `-c search_path=${c.schema}` });
  await db.connect();
  try {
    // close on the victim, and kill it as soon as its clearing holds the round's row lock
    const closing = gql(victim.base, c.bureauKey, DOCS.closeRound, { id: round }).catch((e: Error) => e);
    const t0 = performance.now();
    let locked = false;
    while (performance.now() - t0 < 30_000) {
      await db.query('BEGIN');
      const r = await db
        .query(`SELECT status FROM rounds WHERE id = $1 FOR UPDATE NOWAIT`, [round])
        .catch((e: { code?: string }) => e);
      await db.query('ROLLBACK');
      if ((r as { code?: string }).code === '55P03') {
        locked = true;
        break;
      }
      if ((r as { rows?: { status: string }[] }).rows?.[0]?.status === 'CLEARED') break;
      await sleep(5);
    }
    if (locked) {
      await sleep(50);
      const pid = victim.pid;
      await victim.kill9();
      did.push(
        `kill -9 pid ${pid} (port ${victim.port}) ${Math.round(performance.now() - t0)} ms after closeRound, while its clearing held the round`,
      );
    } else did.push('the clearing committed before the kill could land (nothing to interrupt)');
    await closing;

    const state = async () =>
      (
        await db.query(
          `SELECT r.status, q.status AS request, count(*)::int AS n FROM rounds r JOIN round_requests q ON q.round_id = r.id WHERE r.id = $1 GROUP BY r.status, q.status`,
          [round],
        )
      ).rows;
    const booked = async () =>
      (
        await db.query(
          `SELECT count(*)::int AS n FROM bookings b JOIN round_requests q ON b.id = q.booking_id WHERE q.round_id = $1`,
          [round],
        )
      ).rows[0].n as number;
    const s1 = await state();
    const roundStatus = s1[0]?.status;
    const untouched = roundStatus === 'CLOSED' || roundStatus === 'OPEN';
    if (untouched) {
      if (s1.some((r) => r.request !== 'PENDING'))
        problems.push(`after the kill the round is ${roundStatus} but has decided requests: ${JSON.stringify(s1)}`);
      if ((await booked()) !== 0)
        problems.push(`after the kill the round is ${roundStatus} but some of its bookings exist`);
      did.push(
        `after the kill: round untouched (${roundStatus}, ${s1.reduce((a, r) => a + r.n, 0)} requests PENDING, no bookings)`,
      );
    } else if (roundStatus === 'CLEARED') {
      if (s1.some((r) => r.request === 'PENDING'))
        problems.push(`after the kill the round is CLEARED but requests are PENDING: ${JSON.stringify(s1)}`);
      did.push('after the kill: round fully cleared (its commit came first)');
    } else problems.push(`round ${round} in state ${JSON.stringify(s1)}`);

    await victim.start();
    did.push(`restarted on port ${victim.port} (pid ${victim.pid})`);
    if (untouched) {
      // a CLOSED round is cleared by the next tick of a live process (ROUND_TICK_MS); one the
      // kill caught before closeRound had closed it (still OPEN, closing in hours) by closeRound
      const t1 = performance.now();
      let out: { placed: number; refused: number; pflopsHours: number; firstCome: { pflopsHours: number } } | null =
        roundStatus === 'OPEN'
          ? (await gql(other.base, c.bureauKey, DOCS.closeRound, { id: round })).closeRound.outcome
          : null;
      while (!out && performance.now() - t1 < 120_000) {
        await sleep(100);
        out = (await gql(other.base, c.bureauKey, DOCS.roundOutcome, { id: round })).round.outcome;
      }
      if (out)
        did.push(
          `cleared ${Math.round(performance.now() - t1)} ms after the restart: ${out.placed} placed, ${out.refused} refused, ${out.pflopsHours} PFLOPS-hours (first-come ${out.firstCome.pflopsHours})`,
        );
      else problems.push(`round ${round} still not cleared 120 s after the restart`);
    }
    const s2 = await state();
    const confirmed = s2.find((r) => r.request === 'CONFIRMED')?.n ?? 0;
    if (s2[0]?.status !== 'CLEARED' || s2.some((r) => r.request === 'PENDING'))
      problems.push(`after the restart the round is not fully cleared: ${JSON.stringify(s2)}`);
    if ((await booked()) !== confirmed) problems.push(`${confirmed} requests CONFIRMED but ${await booked()} bookings`);
  } finally {
    await db.end();
  }
  // what the API acknowledges for the round, for the invariant checker
  const acks = await roundAcks(other.base, c.bureauKey, round);
  return { did, problems, acks, requests: c.requests };
}
