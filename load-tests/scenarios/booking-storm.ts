// Booking storm: bookCompute from many startups at once, mixing objectives, sizes, deadlines and
// green requirements, aimed at a few clusters until they fill up. Refusals (NO_CAPACITY,
// GREEN_SHORTFALL) are expected outcomes, not errors. A few requests replay an earlier
// idempotency key with the same request: the API must answer with the same booking.
import { randomUUID } from 'node:crypto';
import { authHeaders, body, bookedId, classify, DOCS, type BookingRequest, type Objective, type Org } from '../lib/api';
import type { Executor, LoadRequest, ScenarioSpec, Threshold } from '../lib/engine';
import type { AckedBooking } from '../check-invariants';
import { Rng } from '../lib/rng';

export interface StormOptions {
  name: string;
  targets: string[];
  executor: Executor;
  startups: Org[];
  clusterIds: string[];
  /** First hour (UTC, aligned) of the booking horizon and its length in hours. */
  horizonStart: number;
  horizonHours: number;
  acks: AckedBooking[];
  thresholds: Threshold[];
  seed?: number;
  /** Share of requests that replay an earlier key (idempotency), default 0.03. */
  replayShare?: number;
  /** A hot spot: this share of requests asks for `cluster` within the 24 hours from `start` (ms). */
  hotspot?: { cluster: string; start: number; share: number };
}

const OBJECTIVES: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];
const H = 3600_000;

export function bookingRequest(
  rng: Rng,
  clusterIds: string[],
  horizonStart: number,
  horizonHours: number,
): BookingRequest {
  const hours = 1 + rng.int(8);
  const earliest = horizonStart + rng.int(Math.max(1, horizonHours - hours)) * H;
  const slack = rng.int(24);
  const deadline = Math.min(horizonStart + horizonHours * H, earliest + (hours + slack) * H);
  const g = rng.next();
  const req: BookingRequest = {
    pflops: [5, 10, 25, 50, 100, 200][rng.int(6)],
    hours,
    earliestStart: new Date(earliest).toISOString(),
    deadline: new Date(Math.max(deadline, earliest + hours * H)).toISOString(),
  };
  if (g < 0.15) req.minGreenShare = 1;
  else if (g < 0.35) req.minGreenShare = 0.5;
  else if (g < 0.5) req.minGreenShare = 0.2;
  if (rng.next() < 0.3) req.clusterIds = [clusterIds[rng.int(clusterIds.length)]];
  else req.clusterIds = clusterIds;
  return req;
}

export function bookingStorm(o: StormOptions): ScenarioSpec {
  const rng = new Rng(o.seed ?? 1);
  const replayShare = o.replayShare ?? 0.03;
  const recent: { org: Org; key: string; payload: string }[] = [];
  const next = (): LoadRequest => {
    let org: Org;
    let key: string;
    let payload: string;
    if (recent.length > 0 && rng.next() < replayShare) {
      ({ org, key, payload } = recent[rng.int(recent.length)]);
    } else {
      org = o.startups[rng.int(o.startups.length)];
      key = randomUUID();
      const hot = o.hotspot && rng.next() < o.hotspot.share ? o.hotspot : undefined;
      const request = hot
        ? bookingRequest(rng, [hot.cluster], hot.start, 24)
        : bookingRequest(rng, o.clusterIds, o.horizonStart, o.horizonHours);
      payload = body(DOCS.bookCompute, { request, objective: OBJECTIVES[rng.int(3)], idempotencyKey: key });
      if (recent.length < 1000) recent.push({ org, key, payload });
      else recent[rng.int(1000)] = { org, key, payload };
    }
    return {
      op: 'bookCompute',
      body: payload,
      headers: authHeaders(org.apiKey),
      onResult: (json, c) => {
        const id = c.outcome === 'ok' ? bookedId(json) : undefined;
        if (id) o.acks.push({ id, idempotencyKey: key, orgId: org.id });
      },
    };
  };
  return { name: o.name, targets: o.targets, executor: o.executor, next, classify, thresholds: o.thresholds };
}
