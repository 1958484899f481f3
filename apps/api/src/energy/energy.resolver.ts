import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { ImportGreenForecastArgs } from './dtos/green-forecast.args';
import { GreenForecastImportModel } from './dtos/green-forecast.model';
import { AddGreenWindowArgs, GreenWindowsArgs } from './dtos/green-window.args';
import { GreenWindowModel } from './dtos/green-window.model';
import { EnergyService } from './energy.service';
import { GreenForecastService } from './green-forecast.service';

@Resolver(() => GreenWindowModel)
export class EnergyResolver {
  constructor(
    private readonly svc: EnergyService,
    private readonly forecasts: GreenForecastService,
  ) {}

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GreenWindowModel, {
    description:
      'Posts green supply for a cluster over [startsAt, endsAt); windows add up. With an idempotencyKey (one per cluster), a retry of the same window returns the window the first call posted (also when the calls run at once), and the key with another window is CONFLICT IDEMPOTENCY_KEY_REUSED; without one, every call adds its MW again.',
  })
  addGreenWindow(@CurrentOrg() p: Principal, @Args() args: AddGreenWindowArgs): Promise<GreenWindowModel> {
    return this.svc.add(p, args);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GreenWindowModel, {
    description:
      'Withdraws a window; CONFLICT GREEN_STILL_ALLOCATED if green already allocated to bookings would exceed the rest, REVISED_BELOW_WINDOWS if a supply revision left an hour with less than the window (revise it first).',
  })
  removeGreenWindow(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<GreenWindowModel> {
    return this.svc.remove(p, id);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GreenForecastImportModel, {
    description:
      'Replaces the green windows of [from, to) with a forecast in one transaction (windows reaching beyond the range are cut at its ends). Green bookings hold that the new supply no longer covers is shared again by the SLA rule (revisionIds). BAD_USER_INPUT names the row (`extensions.field` rows[i].field); CONFLICT REVISED_BELOW_WINDOWS if a supply revision left an hour with less than the windows the forecast takes away (a revision stays an offset on top of the windows); nothing is saved on any error.',
  })
  importGreenForecast(
    @CurrentOrg() p: Principal,
    @Args() args: ImportGreenForecastArgs,
  ): Promise<GreenForecastImportModel> {
    return this.forecasts.import(p, args);
  }

  @Query(() => [GreenWindowModel], { description: 'Windows overlapping [from, to) (at most 93 days).' })
  greenWindows(@CurrentOrg() p: Principal, @Args() args: GreenWindowsArgs): Promise<GreenWindowModel[]> {
    return this.svc.list(p, args);
  }
}
