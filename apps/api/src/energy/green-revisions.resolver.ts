import { Args, Float, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { BookingEventModel } from '../bookings/dtos/booking-event.model';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import {
  BookingGreenRevisionModel,
  GreenRevisionModel,
  GreenRevisionsArgs,
  ReviseGreenSupplyArgs,
  SlaBalanceModel,
  SlaCreditConnection,
  SlaSettingsModel,
} from './dtos/green-revision.dtos';
import { GreenRevisionsService } from './green-revisions.service';
import { SlaCreditsService } from './sla-credits.service';

@Resolver(() => GreenRevisionModel)
export class GreenRevisionsResolver {
  constructor(
    private readonly svc: GreenRevisionsService,
    private readonly sla: SlaCreditsService,
  ) {}

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GreenRevisionModel, {
    description:
      "Sets a cluster's green supply over [from, to), below what is allocated too (the forecast failed) or above. In the same transaction the green of each hour is shared again among the bookings running in it (promises when covered; SLA needs first; the rest pro rata to draw), their figures and prices updated, SLA credits set, GREEN_REVISED events sent.",
  })
  reviseGreenSupply(@CurrentOrg() p: Principal, @Args() args: ReviseGreenSupplyArgs): Promise<GreenRevisionModel> {
    return this.svc.revise(p, args);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Query(() => [GreenRevisionModel], {
    description:
      "A cluster's supply revisions overlapping [from, to), latest first, with what each did to which bookings.",
  })
  greenRevisions(@CurrentOrg() p: Principal, @Args() args: GreenRevisionsArgs): Promise<GreenRevisionModel[]> {
    return this.svc.list(p, args);
  }

  @Query(() => SlaCreditConnection, {
    description:
      "SLA credit ledger: a startup's own credits, an operator's (what it pays), the bureau's (all); newest first.",
  })
  credits(
    @CurrentOrg() p: Principal,
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<SlaCreditConnection> {
    return this.sla.credits(p, first, after);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Query(() => [SlaBalanceModel], {
    description:
      "Operators' SLA accounts: credits owed and bookings in breach (the bureau: all; an operator: its own).",
  })
  slaBalances(@CurrentOrg() p: Principal): Promise<SlaBalanceModel[]> {
    return this.sla.balances(p);
  }

  @Query(() => SlaSettingsModel)
  slaSettings(): Promise<SlaSettingsModel> {
    return this.sla.settings();
  }

  @Roles('BUREAU')
  @Mutation(() => SlaSettingsModel, {
    description:
      "The penalty factor of SLA credits, in [0, 100]; applies to revisions from now on. credit = missing green MWh x the booking's average grid price per MWh over its hours (as booked) x factor, where missing = minGreenShare x the booking's energy - the green it gets.",
  })
  setSlaPenaltyFactor(@Args('penaltyFactor', { type: () => Float }) penaltyFactor: number): Promise<SlaSettingsModel> {
    return this.sla.setPenaltyFactor(penaltyFactor);
  }
}

@Resolver(() => BookingEventModel)
export class BookingEventRevisionResolver {
  constructor(private readonly svc: GreenRevisionsService) {}

  @ResolveField(() => BookingGreenRevisionModel, {
    nullable: true,
    description: "GREEN_REVISED: the booking's green before and after the revision",
  })
  greenRevision(@Parent() e: BookingEventModel): Promise<BookingGreenRevisionModel | null> | null {
    return e.revisionId && e.booking ? this.svc.bookingRevision(e.revisionId, e.booking.id) : null;
  }
}
