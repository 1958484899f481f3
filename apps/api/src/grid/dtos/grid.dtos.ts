import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { CLUSTER_LIMITS, GRID_LIMITS } from '@pflex/scheduler';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsEnum,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { IsQuantity } from '../../common/validators';

const NAME = /\S/;
/** the most grid capacity a site may reserve, MW: the scheduler's limit, one definition */
const MAX_SITE_GRID_MW = GRID_LIMITS.mw.max;

export enum TariffDaysEnum {
  ALL = 'ALL',
  WEEKDAYS = 'WEEKDAYS',
  WEEKENDS = 'WEEKENDS',
}
registerEnumType(TariffDaysEnum, {
  name: 'TariffDays',
  description: 'which local days a tariff period applies to (Saturday and Sunday are the weekend)',
});

@ObjectType('Site', {
  description: 'A campus behind one grid connection: its clusters share the grid capacity reserved for it.',
})
export class SiteModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  ownerOrganizationId: string;
  @Field()
  name: string;
  @Field()
  region: string;
  @Field(() => [ID], { description: 'clusters behind this connection' })
  clusterIds: string[];
  @Field(() => Date)
  createdAt: Date;
}

@InputType()
export class CreateSiteInput {
  @Field()
  @IsString()
  @Length(1, 200)
  @Matches(NAME, { message: 'name must not be blank' })
  name: string;

  @Field()
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'region must not be blank' })
  region: string;
}

@ArgsType()
export class SetClusterSiteArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'the site; null: the cluster is its own site again (no grid cap). Required: omitted or empty is BAD_USER_INPUT',
  })
  @IsOptional()
  @IsString()
  siteId?: string | null;
}

@ArgsType()
export class SetGridCapacityArgs {
  @Field(() => ID)
  @IsString()
  siteId: string;

  @Field(() => Date, { description: 'whole UTC hour, inclusive' })
  from: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive' })
  to: Date;

  @Field(() => Float, {
    nullable: true,
    description: `grid capacity reserved for the site in every hour of [from, to), MW, 0 to ${MAX_SITE_GRID_MW}, at most 3 decimals; null: none reserved (no cap). Required: pass null explicitly to remove a reservation`,
  })
  @IsOptional()
  @IsQuantity({ min: 0, max: MAX_SITE_GRID_MW })
  megawatts?: number | null;
}

@ObjectType('GridCapacityChange')
export class GridCapacityChangeModel {
  @Field(() => ID)
  siteId: string;
  @Field(() => Date)
  from: Date;
  @Field(() => Date)
  to: Date;
  @Field(() => Float, { nullable: true, description: 'MW reserved in every hour of [from, to); null: no cap' })
  megawatts: number | null;
}

@ArgsType()
export class SiteGridArgs {
  @Field(() => ID)
  @IsString()
  siteId: string;

  @Field(() => Date, { description: 'whole UTC hour' })
  from: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive; at most 31 days after from' })
  to: Date;
}

@ObjectType('SiteGridHour', {
  description: "One hour of a site's grid: what its bookings draw against what is reserved.",
})
export class SiteGridHourModel {
  @Field(() => Date)
  hour: Date;
  @Field(() => Float, { description: "grid MW the site's bookings draw: each booking's draw minus the green it took" })
  drawnMw: number;
  @Field(() => Float, { nullable: true, description: 'MW reserved; null: no cap' })
  reservedMw: number | null;
}

@InputType('TariffPeriodInput')
export class TariffPeriodInput {
  @Field({ description: "the period's name, e.g. peak or valley (not 'flat': the hours no period covers)" })
  @IsString()
  @Length(1, 40)
  name: string;

  @Field(() => Float, { description: 'grid price in these hours, per MWh' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.gridPricePerMwh.min)
  @Max(CLUSTER_LIMITS.gridPricePerMwh.max)
  pricePerMwh: number;

  @Field(() => [[Int]], {
    description: 'local hours of day as [from, to) pairs, 0 <= from < to <= 24, e.g. [[10, 12], [14, 19]]',
  })
  @ArrayMinSize(1, { message: '$property must not be empty' })
  @ArrayMaxSize(24)
  hours: number[][];

  @Field(() => TariffDaysEnum, { defaultValue: TariffDaysEnum.ALL })
  @IsEnum(TariffDaysEnum)
  days: TariffDaysEnum;
}

@InputType('GridTariffInput', {
  description:
    "A time-of-use tariff: named periods by local hour of day and day type. Hours no period covers cost the cluster's gridPricePerMwh ('flat').",
})
export class GridTariffInput {
  @Field(() => Int, { description: 'local time = UTC + this many hours (China: 8)' })
  @IsInt()
  @Min(-12)
  @Max(14)
  utcOffsetHours: number;

  @Field(() => [TariffPeriodInput])
  @ArrayMinSize(1, { message: '$property must not be empty' })
  @ArrayMaxSize(24)
  @ValidateNested({ each: true })
  @Type(() => TariffPeriodInput)
  periods: TariffPeriodInput[];
}

@ArgsType()
export class SetGridTariffArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => GridTariffInput, {
    nullable: true,
    description: 'null: flat gridPricePerMwh in every hour. Required: omitted is BAD_USER_INPUT',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => GridTariffInput)
  tariff?: GridTariffInput | null;
}

@ObjectType('TariffPeriod')
export class TariffPeriodModel {
  @Field()
  name: string;
  @Field(() => Float)
  pricePerMwh: number;
  @Field(() => [[Int]])
  hours: number[][];
  @Field(() => TariffDaysEnum)
  days: TariffDaysEnum;
}

@ObjectType('GridTariff')
export class GridTariffModel {
  @Field(() => Int)
  utcOffsetHours: number;
  @Field(() => [TariffPeriodModel])
  periods: TariffPeriodModel[];
}

@ArgsType()
export class PostGridPricesArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour of the first price' })
  from: Date;

  @Field(() => [Float], {
    nullable: 'items',
    description:
      'the grid price per MWh of each hour from `from` on (at most 8,784); null: no posted price in that hour (its tariff or flat price applies). Replaces what was posted for these hours.',
  })
  @ArrayMinSize(1, { message: '$property must not be empty' })
  @ArrayMaxSize(8784)
  pricesPerMwh: (number | null)[];
}

@ArgsType()
export class GridPricesArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour' })
  from: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive; at most 31 days after from' })
  to: Date;
}

@ObjectType('GridPriceHour', { description: "A cluster's grid price in one hour and where it comes from." })
export class GridPriceHourModel {
  @Field(() => Date)
  hour: Date;
  @Field(() => Float)
  pricePerMwh: number;
  @Field({ description: "'posted' (an hourly price the operator posted), a tariff period's name, or 'flat'" })
  period: string;
}
