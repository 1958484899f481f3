import { ArgsType, Field, Float, ID, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsEnum,
  IsNumber,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsQuantity } from '../../common/validators';
import { GreenSourceEnum } from './green-window.model';

/** Rows one forecast may hold: 93 days of hourly values. */
export const MAX_FORECAST_ROWS = 93 * 24;

@InputType({
  description: 'One forecast value: megawatts available in every hour of [startsAt, endsAt) at pricePerMwh.',
})
export class GreenForecastRowInput {
  @Field(() => Date, { description: 'whole UTC hour, inside [from, to) of the import' })
  startsAt: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive, after startsAt, at most `to`' })
  endsAt: Date;

  @Field(() => Float, {
    description:
      'MW, in [0, 2,000] (0: no supply, nothing posted), at most 3 decimals; the rows of an hour add up to at most 2,000',
  })
  @IsQuantity({ min: 0, max: 2000 })
  megawatts: number;

  @Field(() => Float, { description: 'price per MWh, in [0, 100,000]' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100_000)
  pricePerMwh: number;
}

@ArgsType()
export class ImportGreenForecastArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour, not before the current hour' })
  from: Date;

  @Field(() => Date, {
    description: 'whole UTC hour, exclusive; at most 93 days after from, inside the bookable horizon',
  })
  to: Date;

  @Field(() => [GreenForecastRowInput], {
    description: `the new supply of [from, to); at most ${MAX_FORECAST_ROWS} rows; rows may overlap (they add up)`,
  })
  @IsArray()
  @ArrayMaxSize(MAX_FORECAST_ROWS)
  @ValidateNested({ each: true })
  @Type(() => GreenForecastRowInput)
  rows: GreenForecastRowInput[];

  @Field(() => GreenSourceEnum, { nullable: true, description: 'source of the new windows (default OTHER)' })
  @IsOptional()
  @IsEnum(GreenSourceEnum)
  source?: GreenSourceEnum;
}
