import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';

export enum ObjectiveEnum {
  EARLIEST = 'EARLIEST',
  GREENEST = 'GREENEST',
  CHEAPEST = 'CHEAPEST',
}
registerEnumType(ObjectiveEnum, {
  name: 'Objective',
  description: 'EARLIEST start, GREENEST (most green MWh) or CHEAPEST total price',
});

export enum BookingStatusEnum {
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(BookingStatusEnum, { name: 'BookingStatus' });

export enum RefusalReasonEnum {
  NO_CAPACITY = 'NO_CAPACITY',
  GREEN_SHORTFALL = 'GREEN_SHORTFALL',
  GRID_LIMIT = 'GRID_LIMIT',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
}
registerEnumType(RefusalReasonEnum, { name: 'RefusalReason' });

@ObjectType('Price', {
  description:
    'Money in whole cents. Each part is rounded to the cent (half a cent away from zero) and total is the sum of the rounded parts.',
})
export class PriceModel {
  @Field(() => Float, { description: 'pflops x hours x price per PFLOPS-hour, rounded to whole cents' })
  compute: number;
  @Field(() => Float, { description: 'green MWh x green price, rounded to whole cents' })
  greenEnergy: number;
  @Field(() => Float, { description: 'grid MWh x grid price, rounded to whole cents' })
  gridEnergy: number;
  @Field(() => Float, {
    description:
      'compute + greenEnergy + gridEnergy (of the rounded parts, so they add up), before any voucher; whole cents',
  })
  total: number;
  @Field(() => Float, {
    description:
      'money covered by a voucher: percentCovered of total rounded down to the cent, at most what the voucher has left (0 without one); whole cents',
  })
  voucher: number;
  @Field(() => Float, { description: 'total - voucher: what the startup pays; whole cents' })
  totalAfterVoucher: number;
}

@ObjectType('GridPeriodCost', {
  description:
    "Grid energy of a placement in one period of its cluster's tariff ('flat': hours no period covers, or no tariff).",
})
export class GridPeriodCostModel {
  @Field()
  period: string;
  @Field(() => Int, { description: 'hours of the run in this period' })
  hours: number;
  @Field(() => Float, { description: 'grid MWh drawn in these hours (draw minus the green taken)' })
  gridMwh: number;
  @Field(() => Float)
  pricePerMwh: number;
  @Field(() => Float, {
    description:
      'gridMwh x pricePerMwh in whole cents, the parts adding up to price.gridEnergy (each within a cent of its exact value)',
  })
  cost: number;
}

@ObjectType('Placement')
export class PlacementModel {
  @Field(() => ID)
  clusterId: string;
  @Field()
  clusterName: string;
  @Field(() => Date)
  startsAt: Date;
  @Field(() => Date)
  endsAt: Date;
  @Field(() => Int)
  hours: number;
  @Field(() => Float)
  pflops: number;
  @Field(() => Float, {
    description:
      'green energy / total energy, in [0, 1]; 1 for a run whose draw rounds to 0 W (it takes no grid power, so any minGreenShare holds)',
  })
  greenShare: number;
  @Field(() => Float)
  greenMwh: number;
  @Field(() => Float)
  gridMwh: number;
  @Field(() => Float)
  energyMwh: number;
  @Field(() => Float, { description: 'facility power drawn in each hour, MW' })
  powerMw: number;
  @Field(() => PriceModel)
  price: PriceModel;
  @Field(() => ID, {
    nullable: true,
    description:
      'the voucher drawn (a booking) or that would be drawn (a quote); the one expiring first among those that apply',
  })
  voucherId: string | null;
}

@ObjectType('Quote', { description: 'The best option under one objective; nothing is reserved.' })
export class QuoteModel {
  @Field(() => ObjectiveEnum)
  objective: ObjectiveEnum;
  @Field()
  available: boolean;
  @Field(() => PlacementModel, { nullable: true })
  placement: PlacementModel | null;
  @Field(() => [GridPeriodCostModel], {
    nullable: true,
    description:
      "the placement's grid MWh and cost per period of its cluster's tariff: one entry per period and price (posted hours: one per price), in the order the run first meets each",
  })
  gridPeriods: GridPeriodCostModel[] | null;
  @Field(() => RefusalReasonEnum, { nullable: true })
  reason: RefusalReasonEnum | null;
  @Field(() => String, { nullable: true, description: 'what blocked it, when not available' })
  message: string | null;
}

@ObjectType('Booking')
export class BookingModel extends PlacementModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  organizationId: string;
  @Field(() => BookingStatusEnum)
  status: BookingStatusEnum;
  @Field(() => ObjectiveEnum)
  objective: ObjectiveEnum;
  @Field(() => Float, { nullable: true })
  minGreenShare: number | null;
  @Field()
  idempotencyKey: string;
  @Field(() => Date)
  createdAt: Date;
  @Field(() => Date, { nullable: true })
  cancelledAt: Date | null;
  @Field(() => Float, {
    description:
      'green MWh allocated when booked; greenMwh is what the supply now delivers (lower after a revision that cut it)',
  })
  greenMwhPromised: number;
  @Field(() => Boolean, {
    nullable: true,
    description: 'greenShare >= minGreenShare now (null without a minGreenShare, and once cancelled)',
  })
  slaMet: boolean | null;
  @Field(() => Float, {
    description:
      'SLA credit owed to the startup by the operator for the missed minGreenShare (whole cents; 0 when met); see `credits`',
  })
  slaCredit: number;
}

@ObjectType('BookingEdge')
export class BookingEdge {
  @Field()
  cursor: string;
  @Field(() => BookingModel)
  node: BookingModel;
}

@ObjectType('BookingConnection')
export class BookingConnection {
  @Field(() => [BookingEdge])
  edges: BookingEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
}
