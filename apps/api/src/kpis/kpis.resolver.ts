import { Args, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { KpisArgs } from './dtos/kpis.args';
import { KpisModel } from './dtos/kpis.model';
import { KpisService } from './kpis.service';

@Resolver(() => KpisModel)
export class KpisResolver {
  constructor(private readonly svc: KpisService) {}

  @Roles('OPERATOR', 'BUREAU')
  @Query(() => KpisModel, {
    description:
      'Marketplace KPIs over [from, to): the bureau for all clusters, an operator for its own; optionally one region.',
  })
  kpis(@CurrentOrg() p: Principal, @Args() args: KpisArgs): Promise<KpisModel> {
    return this.svc.kpis(p, args);
  }
}
