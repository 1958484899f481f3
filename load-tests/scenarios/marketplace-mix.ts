// Marketplace mix: what a busy day looks like: mostly quotes and utilization reads, some
// bookings, and cancellations of bookings this scenario made earlier.
import { randomUUID } from 'node:crypto';
import { authHeaders, body, bookedId, classify, DOCS, type Objective, type Org } from '../lib/api';
import type { Executor, LoadRequest, ScenarioSpec, Threshold } from '../lib/engine';
import type { AckedBooking } from '../check-invariants';
import { Rng } from '../lib/rng';
import { bookingRequest } from './booking-storm';

export interface MixOptions {
  name: string;
  targets: string[];
  executor: Executor;
  startups: Org[];
  clusterIds: string[];
  /** The operator that owns each cluster (utilization is read by the owner), parallel to clusterIds. */
  clusterOwners: Org[];
  horizonStart: number;
  horizonHours: number;
  acks: AckedBooking[];
  thresholds: Threshold[];
  /** Weights of quotes, utilization, bookCompute, cancelBooking; default 70/18/9/3. */
  weights?: [number, number, number, number];
  seed?: number;
}

const OBJECTIVES: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];
const H = 3600_000;

export function marketplaceMix(o: MixOptions): ScenarioSpec {
  const rng = new Rng(o.seed ?? 2);
  const w = o.weights ?? [70, 18, 9, 3];
  const total = w.reduce((a, b) => a + b, 0);
  const mine: { org: Org; ack: AckedBooking }[] = [];
  const next = (): LoadRequest => {
    const r = rng.next() * total;
    const pick = r < w[0] ? 0 : r < w[0] + w[1] ? 1 : r < w[0] + w[1] + w[2] ? 2 : 3;
    const org = o.startups[rng.int(o.startups.length)];
    if (pick === 0) {
      const request = bookingRequest(rng, o.clusterIds, o.horizonStart, o.horizonHours);
      return { op: 'quotes', body: body(DOCS.quotes, { request }), headers: authHeaders(org.apiKey) };
    }
    if (pick === 1) {
      const c = rng.int(o.clusterIds.length);
      const from = o.horizonStart + rng.int(o.horizonHours) * H;
      return {
        op: 'utilization',
        body: body(DOCS.utilization, {
          clusterId: o.clusterIds[c],
          from: new Date(from).toISOString(),
          to: new Date(from + 24 * H).toISOString(),
        }),
        headers: authHeaders(o.clusterOwners[c].apiKey),
      };
    }
    if (pick === 3 && mine.length > 0) {
      const { org: owner, ack } = mine.splice(rng.int(mine.length), 1)[0];
      return {
        op: 'cancelBooking',
        body: body(DOCS.cancelBooking, { id: ack.id }),
        headers: authHeaders(owner.apiKey),
        onResult: (_json, c) => {
          if (c.outcome === 'ok') ack.cancelled = true;
        },
      };
    }
    const key = randomUUID();
    const request = bookingRequest(rng, o.clusterIds, o.horizonStart, o.horizonHours);
    return {
      op: 'bookCompute',
      body: body(DOCS.bookCompute, { request, objective: OBJECTIVES[rng.int(3)], idempotencyKey: key }),
      headers: authHeaders(org.apiKey),
      onResult: (json, c) => {
        const id = c.outcome === 'ok' ? bookedId(json) : undefined;
        if (!id) return;
        const ack: AckedBooking = { id, idempotencyKey: key, orgId: org.id };
        o.acks.push(ack);
        mine.push({ org, ack });
      },
    };
  };
  return { name: o.name, targets: o.targets, executor: o.executor, next, classify, thresholds: o.thresholds };
}
