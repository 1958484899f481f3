import { Args, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { KpisArgs } from './dtos/kpis.args';
import { KpisModel } from './dtos/kpis.model';
import { KpisService, MAX_KPI_HOURS } from './kpis.service';
import { rangeWorkComplexity } from '../common/query-limits';

@Resolver(() => KpisModel)
export class KpisResolver {
  constructor(private readonly svc: KpisService) {}

  @Roles('OPERATOR', 'BUREAU')
  @Query(() => KpisModel, {
    description:
      'Marketplace KPIs over [from, to): the bureau for all clusters, an operator for its own; optionally one region. Query cost: one per 2 hours of the range besides its fields (a year takes most of a request).',
    // it scans every cluster-hour of the range: one per 2 hours (366 days: 4,392)
    complexity: rangeWorkComplexity((a) => [a.from, a.to], MAX_KPI_HOURS, 2),
  })
  kpis(@CurrentOrg() p: Principal, @Args() args: KpisArgs): Promise<KpisModel> {
    return this.svc.kpis(p, args);
  }
}
