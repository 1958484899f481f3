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
        await gql(target, c.org.apiKey, DOCS.submitRoundRequest, {
          request: c.request,
          objective: c.objective,
          idempotencyKey: randomUUID(),
        });
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

  o.acks.push(...(await roundAcks(api, o.bureauKey, round)));
  return { requests: o.requests, submitErrors: errors, submitSeconds, clearSeconds, used, outcome: closed.outcome };
}

/** The bookings a cleared round acknowledged (its CONFIRMED requests, paged as the bureau reads them), for the invariant checker. */
export async function roundAcks(api: string, bureauKey: string, round: string): Promise<AckedBooking[]> {
  const acks: AckedBooking[] = [];
  let after: string | null = null;
  for (;;) {
    const page: {
      edges: { node: { id: string; organizationId: string; booking: { id: string } } }[];
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    } = (await gql(api, bureauKey, DOCS.roundRequests, { roundId: round, after })).roundRequests;
    for (const e of page.edges)
      acks.push({ id: e.node.booking.id, idempotencyKey: `round:${e.node.id}`, orgId: e.node.organizationId });
    if (!page.pageInfo.hasNextPage) return acks;
    after = page.pageInfo.endCursor;
  }
}
