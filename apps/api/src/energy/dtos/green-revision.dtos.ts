import { ArgsType, Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { ArrayMaxSize, IsArray, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsQuantity } from '../../common/validators';
import { PageInfo } from '../../common/pagination';
import { servedRows } from '../../common/query-limits';

@ArgsType()
export class ReviseGreenSupplyArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour, not before the current hour' })
  from: Date;

  @Field(() => Date, {
    description: 'whole UTC hour, exclusive; within the bookable horizon; at most 93 days after from',
  })
  to: Date;

  @Field(() => Float, {
    nullable: true,
    description: 'the supply in every hour of [from, to), MW (0 to 2000, at most 3 decimals); or give hourlyMegawatts',
  })
  @IsOptional()
  @IsQuantity({ min: 0, max: 2000 })
  megawatts?: number | null;

  @Field(() => [Float], {
    nullable: true,
    description: 'the supply hour by hour, one value per hour of [from, to), MW (0 to 2000, at most 3 decimals each)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(93 * 24)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  hourlyMegawatts?: number[] | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "price per MWh of supply added above what an hour had (default: the hour's current average green price; where an hour had no green left, the average price of its green windows; required where it has none)",
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100_000)
  pricePerMwh?: number | null;

  @Field({ description: 'why: kept in the revision history (1 to 500 characters)' })
  @IsString()
  @MaxLength(500)
  reason: string;
}

@ObjectType('GreenRevisionHour')
export class GreenRevisionHourModel {
  @Field()
  hour: Date;
  @Field(() => Float, {
    description: "the hour's green supply before the revision (a forecast import's revision: before the import)",
  })
  supplyBeforeMw: number;
  @Field(() => Float, {
    description: "the hour's green supply after the revision (a forecast import's revision: after the import)",
  })
  supplyAfterMw: number;
}

@ObjectType('BookingGreenRevision', { description: "What one supply revision did to one booking's green." })
export class BookingGreenRevisionModel {
  @Field(() => ID)
  revisionId: string;
  @Field(() => ID)
  bookingId: string;
  @Field(() => Float)
  greenMwhBefore: number;
  @Field(() => Float)
  greenMwhAfter: number;
  @Field(() => Float)
  greenShareBefore: number;
  @Field(() => Float)
  greenShareAfter: number;
  @Field(() => Float)
  priceTotalBefore: number;
  @Field(() => Float)
  priceTotalAfter: number;
  @Field({ description: 'below its minGreenShare after the revision' })
  breached: boolean;
  @Field(() => Float, { description: "the booking's SLA credit after the revision" })
  creditAfter: number;
  @Field(() => [Date], {
    description: 'hours of the revision where the booking got less green than promised',
    middleware: [servedRows],
  })
  shortHours: Date[];
}

@ObjectType('GreenRevision', {
  description: "An operator's revision of a cluster's green supply: history of who, when, why, and what it did.",
})
export class GreenRevisionModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  clusterId: string;
  @Field(() => ID, { description: 'the organization that revised (operator or bureau)' })
  revisedBy: string;
  @Field()
  reason: string;
  @Field()
  from: Date;
  @Field()
  to: Date;
  @Field(() => [GreenRevisionHourModel], { middleware: [servedRows] })
  hours: GreenRevisionHourModel[];
  @Field(() => [BookingGreenRevisionModel], {
    description: 'the bookings whose green changed',
    middleware: [servedRows],
  })
  bookings: BookingGreenRevisionModel[];
  @Field(() => Int)
  breaches: number;
  @Field(() => Float, { description: 'the penalty factor the credits were computed with' })
  penaltyFactor: number;
  @Field()
  createdAt: Date;
}

@ObjectType('SlaCredit', {
  description:
    'One entry of the SLA credit ledger: money the operator owes a startup for a missed minGreenShare (CREDIT) or takes back (REVERSAL: supply restored, or the booking cancelled).',
})
export class SlaCreditModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  bookingId: string;
  @Field(() => ID)
  organizationId: string;
  @Field(() => ID)
  operatorId: string;
  @Field(() => ID, { nullable: true })
  revisionId: string | null;
  @Field()
  kind: string;
  @Field(() => Float, { description: 'whole cents' })
  amount: number;
  @Field(() => Float, {
    description: "the booking's whole green shortfall after this entry (MWh), not the change: amount is the change",
  })
  missingMwh: number;
  @Field()
  createdAt: Date;
}

@ObjectType('SlaCreditEdge')
export class SlaCreditEdge {
  @Field()
  cursor: string;
  @Field(() => SlaCreditModel)
  node: SlaCreditModel;
}

@ObjectType('SlaCreditConnection')
export class SlaCreditConnection {
  @Field(() => [SlaCreditEdge])
  edges: SlaCreditEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
  @Field(() => Float, {
    description: 'net credits over all entries the caller may see (CREDIT - REVERSAL), whole cents',
  })
  total: number;
}

@ObjectType('SlaBalance', {
  description: "An operator's SLA account: credits it owes startups for green it did not deliver.",
})
export class SlaBalanceModel {
  @Field(() => ID)
  operatorId: string;
  @Field()
  operatorName: string;
  @Field(() => Float, { description: 'net credits owed now (CREDIT - REVERSAL), whole cents' })
  owed: number;
  @Field(() => Int, { description: 'confirmed bookings on its clusters below their minGreenShare now' })
  bookingsInBreach: number;
}

@ObjectType('SlaSettings')
export class SlaSettingsModel {
  @Field(() => Float, {
    description:
      "credit = missing green MWh (minGreenShare x the booking's energy - the green it gets) x the booking's average grid price per MWh over its hours (as booked) x penaltyFactor",
  })
  penaltyFactor: number;
  @Field()
  updatedAt: Date;
}

@ArgsType()
export class GreenRevisionsArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;
  @Field(() => Date)
  from: Date;
  @Field(() => Date)
  to: Date;
  @Field(() => Int, {
    nullable: true,
    description: '1..100 (default 20), latest first; no further pages: narrow from/to to see older ones',
  })
  @IsOptional()
  @Min(1)
  @Max(100)
  first?: number;
}
