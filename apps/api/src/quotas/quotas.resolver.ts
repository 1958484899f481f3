import { Inject } from '@nestjs/common';
import { Args, Float, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { AccessRuleInput } from './dtos/access-rule.input';
import { AccessRuleModel } from './dtos/access-rule.model';
import { QuotasService } from './quotas.service';

@Resolver(() => AccessRuleModel)
export class QuotasResolver {
  constructor(
    private readonly svc: QuotasService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Roles('BUREAU')
  @Mutation(() => AccessRuleModel, {
    description:
      "Sets a startup's access rules (bureau only), replacing the ones it had: a limit left out or null is no limit; bookings beyond them fail with QUOTA_EXCEEDED.",
  })
  setAccessRule(@Args('input') input: AccessRuleInput): Promise<AccessRuleModel> {
    return this.svc.set(input);
  }

  @Roles('STARTUP', 'BUREAU')
  @Query(() => AccessRuleModel, {
    nullable: true,
    description:
      "A startup's access rules, null when it has none (bureau: any startup; a startup: its own); NOT_FOUND for an organization that does not exist.",
  })
  accessRule(
    @CurrentOrg() p: Principal,
    @Args('organizationId', { type: () => ID }) organizationId: string,
  ): Promise<AccessRuleModel | null> {
    return this.svc.get(p, organizationId);
  }

  @ResolveField(() => Float, { nullable: true })
  pflopsHoursLeftNow(@Parent() r: AccessRuleModel): Promise<number | null> {
    return this.svc.weeklyHeadroom(r.organizationId, r.maxPflopsHoursPer7Days, this.config.now());
  }
}
