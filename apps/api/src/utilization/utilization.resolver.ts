import { Args, Context, ID, Query, Resolver, Subscription } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { UtilizationArgs } from './dtos/utilization.args';
import { UtilizationChangeModel } from './dtos/utilization-change.model';
import { UtilizationHourModel } from './dtos/utilization.model';
import { MAX_UTILIZATION_HOURS, UtilizationService } from './utilization.service';
import { hourRangeComplexity } from '../common/query-limits';

@Resolver(() => UtilizationHourModel)
export class UtilizationResolver {
  constructor(private readonly svc: UtilizationService) {}

  @Roles('OPERATOR', 'BUREAU')
  @Query(() => [UtilizationHourModel], {
    description:
      'Per hour: capacity, booked PFLOPS, utilization, green MW available and allocated (at most 744 hours). Only the hours the ledger holds: from the hour the cluster was registered to about a day past the bookable horizon (extended once an hour, so its last hour may lag the clock by up to an hour); others in the range are absent, not zero.',
    complexity: hourRangeComplexity(MAX_UTILIZATION_HOURS),
  })
  utilization(@CurrentOrg() p: Principal, @Args() args: UtilizationArgs): Promise<UtilizationHourModel[]> {
    return this.svc.hours(p, args);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Subscription(() => [UtilizationChangeModel], {
    description:
      'Live: the hours of a cluster whose booked PFLOPS, green allocation, capacity or green supply changed, with their new values (the cluster operator and the bureau). Without clusterId: the changes of every cluster the caller may see (an operator its own, the bureau all), clusters registered later included, on one subscription.',
    resolve: (hours: UtilizationChangeModel[]) => hours,
  })
  utilizationChanged(
    @CurrentOrg() p: Principal,
    @Context('req') req: { headers: { authorization?: string } },
    @Args('clusterId', { type: () => ID, nullable: true }) clusterId?: string | null,
  ): Promise<AsyncIterableIterator<UtilizationChangeModel[]>> {
    return this.svc.changes({ principal: p, authorization: req.headers.authorization }, clusterId);
  }
}
