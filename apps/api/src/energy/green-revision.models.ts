import { GreenRevisionBookingEntity, GreenRevisionEntity } from '@pflex/persistence';
import { wattsToMw, whToMwh } from '@pflex/scheduler';
import { DataSource, In } from 'typeorm';
import { HOUR_MS } from '../common/time.utils';
import type { BookingGreenRevisionModel, GreenRevisionModel } from './dtos/green-revision.dtos';

/** A supply revision as clients read it: supply before and after per hour, and what it did to each booking. */
export function revisionModel(r: GreenRevisionEntity, bookings: BookingGreenRevisionModel[]): GreenRevisionModel {
  return {
    id: r.id,
    clusterId: r.clusterId,
    revisedBy: r.byOrgId,
    reason: r.reason,
    from: r.startsAt,
    to: r.endsAt,
    hours: r.supplyBeforeW.map((s, i) => ({
      hour: new Date(r.startsAt.getTime() + i * HOUR_MS),
      supplyBeforeMw: wattsToMw(Number(s)),
      supplyAfterMw: wattsToMw(Number(r.supplyAfterW[i])),
    })),
    bookings,
    breaches: bookings.filter((b) => b.breached).length,
    penaltyFactor: r.penaltyFactor,
    createdAt: r.createdAt,
  };
}

/**
 * What revision `r` did to one booking (`b`: its first epoch hour and promised green W per hour):
 * green and price before and after, and the hours of the revised range where it got less than promised.
 */
export function bookingRevisionModel(
  x: GreenRevisionBookingEntity,
  r: GreenRevisionEntity,
  b: { h: number; gp: string[] },
): BookingGreenRevisionModel {
  const sum = (a: string[]) => whToMwh(a.reduce((s, g) => s + Number(g), 0));
  const fromH = r.startsAt.getTime() / HOUR_MS;
  const toH = r.endsAt.getTime() / HOUR_MS;
  const shortHours: Date[] = [];
  x.greenWAfter.forEach((g, k) => {
    const h = b.h + k;
    if (h >= fromH && h < toH && Number(g) < Number(b.gp[k])) shortHours.push(new Date(h * HOUR_MS));
  });
  return {
    revisionId: x.revisionId,
    bookingId: x.bookingId,
    greenMwhBefore: sum(x.greenWBefore),
    greenMwhAfter: sum(x.greenWAfter),
    greenShareBefore: x.greenShareBefore,
    greenShareAfter: x.greenShareAfter,
    priceTotalBefore: x.priceTotalBefore,
    priceTotalAfter: x.priceTotalAfter,
    breached: x.breached,
    creditAfter: Number(x.creditAfter),
    shortHours,
  };
}

/** Revisions `ids` as clients read them, in that order (unknown ids left out). */
export async function revisionModels(ds: DataSource, ids: string[]): Promise<GreenRevisionModel[]> {
  if (ids.length === 0) return [];
  const revs = await ds.manager.findBy(GreenRevisionEntity, { id: In(ids) });
  const rows = await ds.manager.findBy(GreenRevisionBookingEntity, { revisionId: In(ids) });
  const starts: { id: string; h: number; gp: string[] }[] = rows.length
    ? await ds.query(
        `SELECT id, (extract(epoch FROM starts_at) / 3600)::int AS h, green_w_promised::text[] AS gp FROM bookings WHERE id = ANY($1::uuid[])`,
        [[...new Set(rows.map((r) => r.bookingId))]],
      )
    : [];
  const byBooking = new Map(starts.map((s) => [s.id, s]));
  return ids
    .map((id) => revs.find((r) => r.id === id))
    .filter((r): r is GreenRevisionEntity => r !== undefined)
    .map((r) =>
      revisionModel(
        r,
        rows.filter((x) => x.revisionId === r.id).map((x) => bookingRevisionModel(x, r, byBooking.get(x.bookingId)!)),
      ),
    );
}
