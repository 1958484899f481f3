import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';
import { GridTariffModel } from '../../grid/dtos/grid.dtos';

@ObjectType('Cluster')
export class ClusterModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  ownerOrganizationId: string;
  @Field()
  name: string;
  @Field()
  region: string;
  @Field()
  accelerator: string;
  @Field(() => Float, { description: 'base capacity, PFLOPS (time ranges may differ, see setCapacity)' })
  capacityPflops: number;
  @Field(() => Float, { description: 'facility power per PFLOPS before PUE, kW' })
  kwPerPflops: number;
  @Field(() => Float)
  pue: number;
  @Field(() => Float)
  pricePerPflopsHour: number;
  @Field(() => Float, {
    description: "grid price per MWh; with a gridTariff, the price of the hours none of its periods covers ('flat')",
  })
  gridPricePerMwh: number;
  @Field(() => ID, {
    nullable: true,
    description: 'the site (grid connection) it belongs to; null: its own, no grid cap',
  })
  siteId: string | null;
  @Field(() => GridTariffModel, {
    nullable: true,
    description: 'time-of-use grid tariff; null: gridPricePerMwh in every hour',
  })
  gridTariff: GridTariffModel | null;
  @Field(() => Date)
  createdAt: Date;
}

@ObjectType('ClusterEdge')
export class ClusterEdge {
  @Field()
  cursor: string;
  @Field(() => ClusterModel)
  node: ClusterModel;
}

@ObjectType('ClusterConnection')
export class ClusterConnection {
  @Field(() => [ClusterEdge])
  edges: ClusterEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
}

@ObjectType('CapacityChange')
export class CapacityChangeModel {
  @Field(() => ID)
  clusterId: string;
  @Field(() => Date)
  from: Date;
  @Field(() => Date)
  to: Date;
  @Field(() => Float)
  pflops: number;
}
