import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { ClustersService } from './clusters.service';
import { RegisterClusterInput, SetCapacityArgs, UpdateClusterInput } from './dtos/cluster.input';
import { CapacityChangeModel, ClusterConnection, ClusterModel } from './dtos/cluster.model';

@Resolver(() => ClusterModel)
export class ClustersResolver {
  constructor(private readonly svc: ClustersService) {}

  @Query(() => ClusterConnection, { description: 'Clusters (an operator sees its own), oldest first.' })
  clusters(
    @CurrentOrg() p: Principal,
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<ClusterConnection> {
    return this.svc.list(p, first, after);
  }

  @Query(() => ClusterModel)
  cluster(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<ClusterModel> {
    return this.svc.get(p, id);
  }

  @Roles('OPERATOR')
  @Mutation(() => ClusterModel, {
    description:
      'Registers a cluster of the operator. With an idempotencyKey (one per operator), a retry of the same input returns the cluster the first call registered (also when the calls run at once), and the key with another input is CONFLICT IDEMPOTENCY_KEY_REUSED; without one, every call registers another cluster.',
  })
  registerCluster(
    @CurrentOrg() p: Principal,
    @Args('input') input: RegisterClusterInput,
    @Args('idempotencyKey', {
      type: () => String,
      nullable: true,
      description:
        '1-200 characters after trimming: a retry with the same key and request returns what the first call made instead of making it again',
    })
    idempotencyKey?: string | null,
  ): Promise<ClusterModel> {
    return this.svc.register(p, input, idempotencyKey);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => ClusterModel)
  updateCluster(@CurrentOrg() p: Principal, @Args('input') input: UpdateClusterInput): Promise<ClusterModel> {
    return this.svc.update(p, input);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => CapacityChangeModel, {
    description:
      'Capacity over [from, to) (maintenance, expansion); CONFLICT listing the bookings that would no longer fit: extensions.conflictingBookingCount says how many, extensions.conflictingBookings lists the first 100 by start (id, startsAt, endsAt).',
  })
  setCapacity(@CurrentOrg() p: Principal, @Args() input: SetCapacityArgs): Promise<CapacityChangeModel> {
    return this.svc.setCapacity(p, input);
  }
}
