import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { ClusterModel } from '../clusters/dtos/cluster.model';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import {
  CreateSiteInput,
  GridCapacityChangeModel,
  GridPriceHourModel,
  GridPricesArgs,
  PostGridPricesArgs,
  SetClusterSiteArgs,
  SetGridCapacityArgs,
  SetGridTariffArgs,
  SiteGridArgs,
  SiteGridHourModel,
  SiteModel,
} from './dtos/grid.dtos';
import { hourRangeComplexity } from '../common/query-limits';
import { GridService, MAX_GRID_HOURS } from './grid.service';

@Resolver()
export class GridResolver {
  constructor(private readonly svc: GridService) {}

  @Query(() => [SiteModel], {
    description: 'Sites (grid connections), oldest first, at most 1,000; an operator sees its own.',
  })
  sites(@CurrentOrg() p: Principal): Promise<SiteModel[]> {
    return this.svc.sites(p);
  }

  @Query(() => [GridPriceHourModel], {
    description:
      "A cluster's grid price hour by hour over [from, to) (at most 31 days): posted, its tariff's period, or flat.",
    // one row per hour, like utilization: aliased copies of long ranges do not fit in one request
    complexity: hourRangeComplexity(MAX_GRID_HOURS),
  })
  gridPrices(@CurrentOrg() p: Principal, @Args() a: GridPricesArgs): Promise<GridPriceHourModel[]> {
    return this.svc.gridPrices(p, a);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Query(() => [SiteGridHourModel], {
    description:
      "A site's grid hour by hour over [from, to) (at most 31 days): MW its bookings draw vs MW reserved. The site's operator and the bureau (like utilization).",
    complexity: hourRangeComplexity(MAX_GRID_HOURS),
  })
  siteGrid(@CurrentOrg() p: Principal, @Args() a: SiteGridArgs): Promise<SiteGridHourModel[]> {
    return this.svc.siteGrid(p, a);
  }

  @Roles('OPERATOR')
  @Mutation(() => SiteModel, {
    description: 'A campus behind one grid connection; put clusters behind it with setClusterSite.',
  })
  createSite(@CurrentOrg() p: Principal, @Args('input') input: CreateSiteInput): Promise<SiteModel> {
    return this.svc.createSite(p, input);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => ClusterModel, {
    description:
      "Posts a cluster's grid price hour by hour from `from` (e.g. day-ahead prices): it replaces what was posted for those hours and takes precedence over the tariff; null: none posted in that hour.",
  })
  postGridPrices(@CurrentOrg() p: Principal, @Args() a: PostGridPricesArgs): Promise<ClusterModel> {
    return this.svc.postGridPrices(p, a);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => ClusterModel, {
    description:
      "Puts a cluster behind a site's grid connection (null: its own again); GRID_LIMIT if the site's reserved capacity cannot take what its bookings draw.",
  })
  setClusterSite(@CurrentOrg() p: Principal, @Args() a: SetClusterSiteArgs): Promise<ClusterModel> {
    return this.svc.setClusterSite(p, a);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => GridCapacityChangeModel, {
    description:
      'Grid capacity reserved for a site in every hour of [from, to) (null: no cap). Bookings never draw more: each draws its power minus the green it takes. GRID_LIMIT if bookings already draw more in some hour.',
  })
  setGridCapacity(@CurrentOrg() p: Principal, @Args() a: SetGridCapacityArgs): Promise<GridCapacityChangeModel> {
    return this.svc.setGridCapacity(p, a);
  }

  @Roles('OPERATOR', 'BUREAU')
  @Mutation(() => ClusterModel, {
    description:
      "A cluster's time-of-use grid tariff (null: flat gridPricePerMwh). Quotes and bookings made from now on price grid energy hour by hour; CHEAPEST follows the valley hours.",
  })
  setGridTariff(@CurrentOrg() p: Principal, @Args() a: SetGridTariffArgs): Promise<ClusterModel> {
    return this.svc.setGridTariff(p, a);
  }
}
