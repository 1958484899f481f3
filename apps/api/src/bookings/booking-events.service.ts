import { Injectable } from '@nestjs/common';
import { BookingEntity } from '@pflex/persistence';
import { DataSource } from 'typeorm';
import { ClustersService } from '../clusters/clusters.service';
import { BookingCommittedEvent, EventsService, Subscriber } from '../events/events.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { BookingErrorCode, BookingException } from './bookings.exception';
import { BookingsService } from './bookings.service';
import { BookingEventModel, BookingEventTypeEnum } from './dtos/booking-event.model';

/**
 * How long one read of an event's booking serves the subscribers it is sent to (a later event
 * about the booking reads it again at once): 200 bureau subscribers of 1,000 bookings made
 * 200,000 reads of them, one per subscriber and event.
 */
export const SHARED_READ_MS = 1_000;

/**
 * Live booking events for the booking's own organization, its cluster's operator and the bureau.
 * Per event, the booking is shown through the same visibility rule as the `booking` query, so
 * a subscriber receives exactly the events whose booking it could query. The booking is read
 * once for the subscribers it is sent to within SHARED_READ_MS, and again after any newer event
 * about it, so none sees it older than an event already announced.
 */
@Injectable()
export class BookingEventsService {
  /** The latest read of each booking sent to subscribers, oldest first. */
  private readonly reads = new Map<string, { at: number; read: Promise<BookingEntity | null> }>();

  constructor(
    private readonly ds: DataSource,
    private readonly bookings: BookingsService,
    private readonly clusters: ClustersService,
    private readonly events: EventsService,
    private readonly timelines: TimelinesService,
  ) {
    events.onBooking((e) => {
      if (e.bookingId) this.reads.delete(e.bookingId);
    });
  }

  /** Booking `id` read now, or by another subscriber's delivery less than SHARED_READ_MS ago. */
  private read(id: string): Promise<BookingEntity | null> {
    const now = Date.now();
    const last = this.reads.get(id);
    if (last && now - last.at < SHARED_READ_MS) return last.read;
    // reads older than SHARED_READ_MS serve no one: drop them (the oldest come first)
    for (const [k, v] of this.reads) {
      if (now - v.at < SHARED_READ_MS) break;
      this.reads.delete(k);
    }
    const read = this.bookings.stored(id);
    this.reads.delete(id);
    this.reads.set(id, { at: now, read });
    // a failed read is not shared with later deliveries
    read.catch(() => this.reads.get(id)?.read === read && this.reads.delete(id));
    return read;
  }

  async subscribe(who: Subscriber, clusterId?: string | null): Promise<AsyncIterableIterator<BookingEventModel>> {
    const p = who.principal;
    // an operator may narrow to its own clusters only; startups may narrow to any cluster
    const only =
      clusterId != null ? (await this.clusters.readable(this.ds.manager, p, clusterId, 'clusterId')).id : null;
    return this.events.bookings(
      who,
      (e) => this.deliver(p, only, e),
      (e) => this.mayReach(p, only, e),
    );
  }

  /**
   * Whether `e` can reach this subscriber at all, from the event alone (checked as it arrives, so
   * that others' events never queue up for it): the cluster it narrowed to, a startup's own
   * bookings, an operator's own clusters (one the timelines do not know yet passes, for
   * `deliver` to decide). `deliver` still reads the booking through the visibility rule.
   */
  private mayReach(p: Principal, only: string | null, e: BookingCommittedEvent): boolean {
    if (only !== null && e.clusterId !== only) return false;
    if (p.role === 'STARTUP') return e.orgId === p.orgId;
    if (p.role === 'OPERATOR') {
      if (e.clusterId === null) return false;
      const owner = this.timelines.cluster(e.clusterId)?.ownerOrgId;
      return owner === undefined || owner === p.orgId;
    }
    return true;
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
      const booking = this.bookings.shown(p, e.bookingId, await this.read(e.bookingId));
      return { type: e.status as BookingEventTypeEnum, booking, ...rr };
    } catch (err) {
      if (err instanceof BookingException && err.code === BookingErrorCode.BOOKING_NOT_FOUND) return undefined;
      throw err;
    }
  }
}
