// Clearing round: the booking storm's request mix submitted to one fleet-wide round through the
// API (spread over the API processes), then closed by the bureau: the clearing's wall time and
// CPU (read + pack + write, one transaction), and PFLOPS-hours placed against the first-come
// baseline the round records (the same requests placed one by one in submission order).
import { randomUUID } from 'node:crypto';
import type { AckedBooking } from '../check-invariants';
import { DOCS, gql, type Objective, type Org } from '../lib/api';
import { Rng } from '../lib/rng';
import { since, usage, type Usage } from '../lib/resources';
import { bookingRequest } from './booking-storm';

export interface RoundOptions {
  targets: string[];
  apiPids: number[];
  bureauKey: string;
  startups: Org[];
  clusterIds: string[];
  horizonStart: number;
  horizonHours: number;
  requests: number;
  acks: AckedBooking[];
  seed?: number;
}

export interface RoundRun {
  requests: number;
  submitErrors: number;
  /** acknowledged submissions the round does not hold, and outcome figures its requests do not add up to */
  problems: string[];
  submitSeconds: number;
  clearSeconds: number;
  /** CPU and round trips around closeRound */
  used: Usage;
  outcome: {
    requests: number;
    placed: number;
    refused: number;
    pflopsHours: number;
    greenShare: number;
    gain: number | null;
    strategy: string;
    clearingMs: number;
    packingMs: number;
    firstCome: { placed: number; pflopsHours: number; greenShare: number };
  };
}

const OBJECTIVES: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];

export async function runRound(o: RoundOptions): Promise<RoundRun> {
  const api = o.targets[0];
  const round = (
    await gql(api, o.bureauKey, DOCS.openRound, {
      region: null,
      closesAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    })
  ).openRound.id as string;
  const rng = new Rng(o.seed ?? 11);
  // what the API acknowledged: request id -> organization (checked against the round once cleared)
  const submitted = new Map<string, string>();
  const calls = Array.from({ length: o.requests }, () => ({
    org: o.startups[rng.int(o.startups.length)],
    request: bookingRequest(rng, o.clusterIds, o.horizonStart, o.horizonHours),
    objective: OBJECTIVES[rng.int(3)],
  }));
  let next = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  const t0 = performance.now();
  const worker = async (w: number) => {
    const target = o.targets[w % o.targets.length];
    while (next < calls.length) {
      const c = calls[next++];
      try {
        const ack = await gql(target, c.org.apiKey, DOCS.submitRoundRequest, {
          request: c.request,
          objective: c.objective,
          idempotencyKey: randomUUID(),
        });
        submitted.set(ack.submitRoundRequest.id as string, c.org.id);
      } catch (e) {
        errors++;
        if (firstErrors.length < 3) firstErrors.push(String((e as Error).message));
      }
    }
  };
  await Promise.all(Array.from({ length: 32 * o.targets.length }, (_, w) => worker(w)));
  const submitSeconds = (performance.now() - t0) / 1000;
  if (errors) process.stderr.write(`round: ${errors} submissions failed, e.g. ${firstErrors.join(' | ')}\n`);

  const before = await usage(o.apiPids, o.targets);
  const t1 = performance.now();
  const closed = (await gql(api, o.bureauKey, DOCS.closeRound, { id: round })).closeRound;
  const clearSeconds = (performance.now() - t1) / 1000;
  const used = since(before, await usage(o.apiPids, o.targets));

  const held = await roundRequests(api, o.bureauKey, round);
  o.acks.push(...bookingAcks(held));
  const problems = roundProblems(submitted, held, closed.outcome);
  for (const p of problems.slice(0, 5)) process.stderr.write(`round: ${p}\n`);
  return {
    requests: o.requests,
    submitErrors: errors,
    problems,
    submitSeconds,
    clearSeconds,
    used,
    outcome: closed.outcome,
  };
}

/**
 * A round's own record against what the submitters were told (request id -> organization) and
 * what closeRound answered: a request lost, with or without its booking, shows here, not only in
 * the database's own view of itself.
 */
export function roundProblems(
  submitted: ReadonlyMap<string, string>,
  held: readonly HeldRequest[],
  outcome: { requests: number; placed: number },
): string[] {
  const problems: string[] = [];
  const byId = new Map(held.map((r) => [r.id, r]));
  for (const [id, org] of submitted) {
    const r = byId.get(id);
    if (!r) problems.push(`round request ${id} was acknowledged but the round does not hold it`);
    else if (r.organizationId !== org) problems.push(`round request ${id} belongs to ${r.organizationId}, not ${org}`);
  }
  const confirmed = held.filter((r) => r.status === 'CONFIRMED').length;
  if (held.length !== outcome.requests || confirmed !== outcome.placed)
    problems.push(
      `closeRound answered ${outcome.requests} requests, ${outcome.placed} placed; the round holds ${held.length}, ${confirmed} confirmed`,
    );
  return problems;
}

export interface HeldRequest {
  id: string;
  organizationId: string;
  status: string;
  booking: { id: string } | null;
}

/** Every request a round holds, paged as the bureau reads them. */
async function roundRequests(api: string, bureauKey: string, round: string): Promise<HeldRequest[]> {
  const out: HeldRequest[] = [];
  let after: string | null = null;
  for (;;) {
    const page: {
      edges: { node: HeldRequest }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    } = (await gql(api, bureauKey, DOCS.roundRequests, { roundId: round, after })).roundRequests;
    out.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return out;
    after = page.pageInfo.endCursor;
  }
}

/** The bookings of a round's CONFIRMED requests, for the invariant checker. */
function bookingAcks(held: HeldRequest[]): AckedBooking[] {
  return held
    .filter((r) => r.status === 'CONFIRMED' && r.booking)
    .map((r) => ({ id: r.booking!.id, idempotencyKey: `round:${r.id}`, orgId: r.organizationId }));
}

/** The bookings a cleared round acknowledged (its CONFIRMED requests), for the invariant checker. */
export async function roundAcks(api: string, bureauKey: string, round: string): Promise<AckedBooking[]> {
  return bookingAcks(await roundRequests(api, bureauKey, round));
}
