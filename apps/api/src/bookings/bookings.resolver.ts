import { Args, Context, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { rangeWorkComplexity } from '../common/query-limits';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { QuoteLogService } from '../kpis/quote-log.service';
import { BookingEventsService } from './booking-events.service';
import { BookingsService } from './bookings.service';
import { BookingEventModel } from './dtos/booking-event.model';
import { BookingFilterInput, ComputeRequestInput } from './dtos/booking.input';
import { BookingConnection, BookingModel, ObjectiveEnum, QuoteModel } from './dtos/booking.model';

/** quotes and bookCompute search every start of the request's window: one more per day of it (query cost). */
const REQUEST_WINDOW_COST = rangeWorkComplexity(
  (a) => {
    const r = a.request as { earliestStart?: unknown; deadline?: unknown } | undefined;
    return [r?.earliestStart, r?.deadline];
  },
  3660 * 24,
  24,
);

@Resolver(() => BookingModel)
export class BookingsResolver {
  constructor(
    private readonly svc: BookingsService,
    private readonly live: BookingEventsService,
    private readonly quoteLog: QuoteLogService,
  ) {}

  @Query(() => [QuoteModel], {
    description:
      'The best option under each objective (EARLIEST, GREENEST, CHEAPEST); nothing is reserved. For a startup: within its access rules, priced after the voucher it would draw. For an operator: on its own clusters. Query cost: one per day of the request window besides its fields.',
    complexity: REQUEST_WINDOW_COST,
  })
  async quotes(@CurrentOrg() p: Principal, @Args('request') request: ComputeRequestInput): Promise<QuoteModel[]> {
    const quotes = await this.svc.quotes(p, request);
    this.quoteLog.record(p, request);
    return quotes;
  }

  @Roles('STARTUP')
  @Mutation(() => BookingModel, {
    description:
      'Places and commits atomically; NO_CAPACITY, GREEN_SHORTFALL, GRID_LIMIT or QUOTA_EXCEEDED says what blocked it (QUOTA_EXCEEDED: extensions.limit and .over, with .clusterId and .hour for CLUSTER_SHARE, .windowStart and .windowEnd for PFLOPS_HOURS_PER_7_DAYS); draws the applicable voucher. The same idempotencyKey with the same request returns the same booking, also after the hour has turned; with another request (the objective included) it is CONFLICT IDEMPOTENCY_KEY_REUSED (extensions.field idempotencyKey). Keys are trimmed, 1 to 200 characters (code points), and may not start with "round:". Query cost: one per day of the request window besides its fields.',
    complexity: REQUEST_WINDOW_COST,
  })
  async bookCompute(
    @CurrentOrg() p: Principal,
    @Args('request') request: ComputeRequestInput,
    @Args('objective', { type: () => ObjectiveEnum }) objective: ObjectiveEnum,
    @Args('idempotencyKey') idempotencyKey: string,
  ): Promise<BookingModel> {
    await this.quoteLog.flushFor(p.orgId);
    return this.svc.book(p, request, objective, idempotencyKey);
  }

  @Roles('STARTUP', 'BUREAU')
  @Mutation(() => BookingModel, {
    description:
      'Cancels a booking that has not started; capacity and green are released and the voucher refunded at once. A booking already cancelled is CONFLICT ALREADY_CANCELLED (nothing changes: of concurrent cancels exactly one succeeds); one that has started, CONFLICT ALREADY_STARTED.',
  })
  cancelBooking(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<BookingModel> {
    return this.svc.cancel(p, id);
  }

  @Query(() => BookingConnection, {
    description:
      'Bookings visible to the caller, by start time, then id. Forward paging (first, after = the previous pageInfo.endCursor); a booking present throughout is listed exactly once, also while others are booked or cancelled.',
  })
  bookings(
    @CurrentOrg() p: Principal,
    @Args('filter', { type: () => BookingFilterInput, nullable: true }) filter?: BookingFilterInput,
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<BookingConnection> {
    return this.svc.list(p, filter, first, after);
  }

  @Query(() => BookingModel, { description: 'NOT_FOUND both for unknown ids and for bookings the caller may not see.' })
  booking(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<BookingModel> {
    return this.svc.get(p, id);
  }

  @Subscription(() => BookingEventModel, {
    description:
      "Live: bookings confirmed or cancelled, for the booking's organization, its cluster's operator and the bureau; optionally one cluster.",
    resolve: (e: BookingEventModel) => e,
  })
  bookingEvents(
    @CurrentOrg() p: Principal,
    @Context('req') req: { headers: { authorization?: string } },
    @Args('clusterId', { type: () => ID, nullable: true }) clusterId?: string,
  ): Promise<AsyncIterableIterator<BookingEventModel>> {
    return this.live.subscribe({ principal: p, authorization: req.headers.authorization }, clusterId);
  }
}
