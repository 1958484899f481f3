import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../organizations/principal';
import type { Principal } from '../organizations/principal';
import { BookingsService } from './bookings.service';
import { BookingFilterInput, ComputeRequestInput } from './dtos/booking.input';
import { BookingConnection, BookingModel, ObjectiveEnum, QuoteModel } from './dtos/booking.model';

@Resolver(() => BookingModel)
export class BookingsResolver {
  constructor(private readonly svc: BookingsService) {}

  @Query(() => [QuoteModel], { description: 'The best option under each objective (EARLIEST, GREENEST, CHEAPEST); nothing is reserved.' })
  quotes(@Args('request') request: ComputeRequestInput): Promise<QuoteModel[]> {
    return this.svc.quotes(request);
  }

  @Roles('STARTUP')
  @Mutation(() => BookingModel, { description: 'Places and commits atomically; NO_CAPACITY or GREEN_SHORTFALL says what blocked it. The same idempotencyKey returns the same booking.' })
  bookCompute(
    @CurrentOrg() p: Principal,
    @Args('request') request: ComputeRequestInput,
    @Args('objective', { type: () => ObjectiveEnum }) objective: ObjectiveEnum,
    @Args('idempotencyKey') idempotencyKey: string,
  ): Promise<BookingModel> {
    return this.svc.book(p, request, objective, idempotencyKey);
  }

  @Roles('STARTUP', 'BUREAU')
  @Mutation(() => BookingModel, { description: 'Cancels a booking that has not started; capacity and green are released at once.' })
  cancelBooking(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<BookingModel> {
    return this.svc.cancel(p, id);
  }

  @Query(() => BookingConnection, { description: 'Bookings visible to the caller, by start time.' })
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
}
