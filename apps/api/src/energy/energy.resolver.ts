import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../organizations/principal';
import type { Principal } from '../organizations/principal';
import { AddGreenWindowArgs, GreenWindowsArgs } from './dtos/green-window.args';
import { GreenWindowModel } from './dtos/green-window.model';
import { EnergyService } from './energy.service';

@Resolver(() => GreenWindowModel)
export class EnergyResolver {
  constructor(private readonly svc: EnergyService) {}

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GreenWindowModel, { description: 'Posts green supply for a cluster over [startsAt, endsAt).' })
  addGreenWindow(@CurrentOrg() p: Principal, @Args() args: AddGreenWindowArgs): Promise<GreenWindowModel> {
    return this.svc.add(p, args);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GreenWindowModel, { description: 'Withdraws a window; CONFLICT if green already allocated to bookings would exceed the rest.' })
  removeGreenWindow(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<GreenWindowModel> {
    return this.svc.remove(p, id);
  }

  @Query(() => [GreenWindowModel], { description: 'Windows overlapping [from, to) (at most 93 days).' })
  greenWindows(@CurrentOrg() p: Principal, @Args() args: GreenWindowsArgs): Promise<GreenWindowModel[]> {
    return this.svc.list(p, args);
  }
}
