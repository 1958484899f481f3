import { Args, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { BookingsService } from '../bookings/bookings.service';
import { ComputeRequestInput } from '../bookings/dtos/booking.input';
import { BookingEventModel } from '../bookings/dtos/booking-event.model';
import { BookingModel, ObjectiveEnum } from '../bookings/dtos/booking.model';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import {
  RoundModel,
  RoundRequestConnection,
  RoundRequestModel,
  RoundRequestStatusEnum,
  RoundScheduleModel,
  RoundStatusEnum,
} from './dtos/round.model';
import { RoundsService } from './rounds.service';

@Resolver(() => RoundModel)
export class RoundsResolver {
  constructor(private readonly svc: RoundsService) {}

  @Query(() => [RoundModel], {
    description:
      'Rounds, latest close first, then by id (a round closed early closes at its clearing time, so it moves in this order: a round closed early between two pages, the `after` of the next one included, can make that page skip rounds; read again from the first page after a closeRound). region: one region ("" = the fleet-wide rounds); omitted = all.',
  })
  rounds(
    @Args('region', { type: () => String, nullable: true }) region?: string | null,
    @Args('status', { type: () => RoundStatusEnum, nullable: true }) status?: RoundStatusEnum | null,
    @Args('first', { type: () => Int, nullable: true, description: '1..100 (default 20)' }) first?: number | null,
    @Args('after', {
      type: () => ID,
      nullable: true,
      description: 'the id of the last round of the previous page: the next page goes on from it',
    })
    after?: string | null,
  ): Promise<RoundModel[]> {
    return this.svc.rounds(region, status, first, after);
  }

  @Query(() => RoundModel)
  round(@Args('id', { type: () => ID }) id: string): Promise<RoundModel> {
    return this.svc.round(id);
  }

  @Roles('BUREAU')
  @Mutation(() => RoundScheduleModel, {
    description:
      'Rounds of a region (null: the whole fleet) closing every everyMinutes, aligned to multiples of it since the epoch; null or 0 stops them (the open round still clears at its time). Opens the first round at once, and each next one as the last one closes (while it clears).',
  })
  scheduleRounds(
    @Args('region', { type: () => String, nullable: true }) region: string | null,
    @Args('everyMinutes', { type: () => Int, nullable: true }) everyMinutes: number | null,
  ): Promise<RoundScheduleModel> {
    return this.svc.schedule(region, everyMinutes);
  }

  @Roles('BUREAU')
  @Mutation(() => RoundModel, {
    description:
      'A one-off round of a region (null: the whole fleet), open now until closesAt (within 7 days). One open round per region.',
  })
  openRound(
    @Args('region', { type: () => String, nullable: true }) region: string | null,
    @Args('closesAt', { type: () => Date }) closesAt: Date,
  ): Promise<RoundModel> {
    return this.svc.open(region, closesAt);
  }

  @Roles('BUREAU')
  @Mutation(() => RoundModel, {
    description:
      'Closes an open round now and clears it; returns the cleared round with its outcome. A CLOSED round (its time came) is cleared, or its clearing waited for; a CLEARED one is CONFLICT ROUND_CLEARED.',
  })
  closeRound(@Args('id', { type: () => ID }) id: string): Promise<RoundModel> {
    return this.svc.close(id);
  }

  @Roles('STARTUP')
  @Mutation(() => RoundRequestModel, {
    description:
      'Holds the request PENDING in an open round until it clears: the round of `region` if given, else of the region of request.clusterIds when they share one and it has an open round, else the fleet-wide round. Validated like bookCompute; the same idempotencyKey returns the same round request.',
  })
  submitRoundRequest(
    @CurrentOrg() p: Principal,
    @Args('request') request: ComputeRequestInput,
    @Args('objective', { type: () => ObjectiveEnum }) objective: ObjectiveEnum,
    @Args('idempotencyKey') idempotencyKey: string,
    @Args('region', { type: () => String, nullable: true }) region?: string | null,
  ): Promise<RoundRequestModel> {
    return this.svc.submit(p, request, objective, idempotencyKey, region);
  }

  @Roles('STARTUP')
  @Mutation(() => RoundRequestModel, {
    description:
      'Takes a PENDING request out of its round while the round is open (CONFLICT ROUND_CLOSED once it has closed: its clearing decides the request; ALREADY_DECIDED once decided).',
  })
  withdrawRoundRequest(
    @CurrentOrg() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<RoundRequestModel> {
    return this.svc.withdraw(p, id);
  }

  @Roles('STARTUP', 'BUREAU')
  @Query(() => RoundRequestConnection, {
    description: "A startup's round requests (the bureau: everyone's), latest first.",
  })
  roundRequests(
    @CurrentOrg() p: Principal,
    @Args('roundId', { type: () => ID, nullable: true }) roundId?: string | null,
    @Args('status', { type: () => RoundRequestStatusEnum, nullable: true }) status?: RoundRequestStatusEnum | null,
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' })
    first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<RoundRequestConnection> {
    return this.svc.requests(p, roundId, status, first, after);
  }

  @Roles('STARTUP', 'BUREAU')
  @Query(() => RoundRequestModel)
  roundRequest(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<RoundRequestModel> {
    return this.svc.request(p, id);
  }
}

@Resolver(() => RoundRequestModel)
export class RoundRequestFieldsResolver {
  constructor(private readonly bookings: BookingsService) {}

  @ResolveField(() => BookingModel, { nullable: true, description: 'CONFIRMED: the booking the clearing made' })
  booking(@CurrentOrg() p: Principal, @Parent() r: RoundRequestModel): Promise<BookingModel> | null {
    return r.bookingId ? this.bookings.get(p, r.bookingId) : null;
  }
}

@Resolver(() => BookingEventModel)
export class BookingEventRoundResolver {
  constructor(private readonly svc: RoundsService) {}

  @ResolveField(() => RoundRequestModel, {
    nullable: true,
    description: 'the round request a clearing decided (CONFIRMED or REFUSED), when the subscriber may see it',
  })
  async roundRequest(@CurrentOrg() p: Principal, @Parent() e: BookingEventModel): Promise<RoundRequestModel | null> {
    if (!e.roundRequestId || p.role === 'OPERATOR') return null;
    return this.svc.request(p, e.roundRequestId);
  }
}
