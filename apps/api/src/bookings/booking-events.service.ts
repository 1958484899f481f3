import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ClustersService } from '../clusters/clusters.service';
import { BookingCommittedEvent, EventsService, Subscriber } from '../events/events.service';
import type { Principal } from '../security/principal';
import { BookingErrorCode, BookingException } from './bookings.exception';
import { BookingsService } from './bookings.service';
import { BookingEventModel, BookingEventTypeEnum } from './dtos/booking-event.model';

/**
 * Live booking events for the booking's own organization, its cluster's operator and the bureau.
 * Per event, the booking is read through the same visibility rule as the `booking` query, so
 * a subscriber receives exactly the events whose booking it could query.
 */
@Injectable()
export class BookingEventsService {
  constructor(
    private readonly ds: DataSource,
    private readonly bookings: BookingsService,
    private readonly clusters: ClustersService,
    private readonly events: EventsService,
  ) {}

  async subscribe(who: Subscriber, clusterId?: string | null): Promise<AsyncIterableIterator<BookingEventModel>> {
    const p = who.principal;
    // an operator may narrow to its own clusters only; startups may narrow to any cluster
    const only =
      clusterId != null ? (await this.clusters.readable(this.ds.manager, p, clusterId, 'clusterId')).id : null;
    return this.events.bookings(who, (e) => this.deliver(p, only, e));
  }

  private async deliver(
    p: Principal,
    only: string | null,
    e: BookingCommittedEvent,
  ): Promise<BookingEventModel | undefined> {
    if (only !== null && e.clusterId !== only) return undefined;
    // cheap pre-filter: a startup sees its own bookings only
    if (p.role === 'STARTUP' && e.orgId !== p.orgId) return undefined;
    const rr = {
      ...(e.roundRequestId ? { roundRequestId: e.roundRequestId } : {}),
      ...(e.revisionId ? { revisionId: e.revisionId } : {}),
    };
    // a refused round request has no booking: its startup and the bureau see it
    if (e.bookingId === null)
      return p.role === 'OPERATOR' || only !== null
        ? undefined
        : { type: BookingEventTypeEnum.REFUSED, booking: null, ...rr };
    try {
      const booking = await this.bookings.get(p, e.bookingId);
      return { type: e.status as BookingEventTypeEnum, booking, ...rr };
    } catch (err) {
      if (err instanceof BookingException && err.code === BookingErrorCode.BOOKING_NOT_FOUND) return undefined;
      throw err;
    }
  }
}
