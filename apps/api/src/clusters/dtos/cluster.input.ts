import { ArgsType, Field, Float, ID, InputType } from '@nestjs/graphql';
import { IsNumber, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { CLUSTER_LIMITS } from '@pflex/scheduler';
import { IsQuantity } from '../../common/validators';

const NAME = /\S/;

@InputType()
export class RegisterClusterInput {
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

  @Field()
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'accelerator must not be blank' })
  accelerator: string;

  @Field(() => Float, { description: `PFLOPS, in [0.001, ${CLUSTER_LIMITS.capacityPflops.max}], at most 3 decimals` })
  @IsQuantity({ min: 0.001, max: CLUSTER_LIMITS.capacityPflops.max })
  capacityPflops: number;

  @Field(() => Float, {
    description: `kW of IT power per PFLOPS, in [${CLUSTER_LIMITS.kwPerPflops.min}, ${CLUSTER_LIMITS.kwPerPflops.max}]`,
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.kwPerPflops.min)
  @Max(CLUSTER_LIMITS.kwPerPflops.max)
  kwPerPflops: number;

  @Field(() => Float, {
    description: `power usage effectiveness, in [${CLUSTER_LIMITS.pue.min}, ${CLUSTER_LIMITS.pue.max}]`,
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.pue.min)
  @Max(CLUSTER_LIMITS.pue.max)
  pue: number;

  @Field(() => Float, {
    description: `compute price per PFLOPS-hour, in [${CLUSTER_LIMITS.pricePerPflopsHour.min}, ${CLUSTER_LIMITS.pricePerPflopsHour.max}]`,
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.pricePerPflopsHour.min)
  @Max(CLUSTER_LIMITS.pricePerPflopsHour.max)
  pricePerPflopsHour: number;

  @Field(() => Float, {
    description: `flat grid price per MWh, in [${CLUSTER_LIMITS.gridPricePerMwh.min}, ${CLUSTER_LIMITS.gridPricePerMwh.max}]`,
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.gridPricePerMwh.min)
  @Max(CLUSTER_LIMITS.gridPricePerMwh.max)
  gridPricePerMwh: number;
}

@InputType()
export class UpdateClusterInput {
  @Field(() => ID)
  @IsString()
  id: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(NAME, { message: 'name must not be blank' })
  name?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'region must not be blank' })
  region?: string;

  @Field({ nullable: true })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  @Matches(NAME, { message: 'accelerator must not be blank' })
  accelerator?: string;

  @Field(() => Float, {
    nullable: true,
    description:
      'new base capacity, PFLOPS, at most 3 decimals, in every hour from the current hour to the end of the horizon: it replaces the ranges set with setCapacity there (planned maintenance too); refused like setCapacity if booked work would not fit',
  })
  @IsOptional()
  @IsQuantity({ min: 0.001, max: CLUSTER_LIMITS.capacityPflops.max })
  capacityPflops?: number;

  @Field(() => Float, {
    nullable: true,
    description: `in [${CLUSTER_LIMITS.kwPerPflops.min}, ${CLUSTER_LIMITS.kwPerPflops.max}]; applies to bookings made from now on`,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.kwPerPflops.min)
  @Max(CLUSTER_LIMITS.kwPerPflops.max)
  kwPerPflops?: number;

  @Field(() => Float, {
    nullable: true,
    description: `in [${CLUSTER_LIMITS.pue.min}, ${CLUSTER_LIMITS.pue.max}]; applies to bookings made from now on`,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.pue.min)
  @Max(CLUSTER_LIMITS.pue.max)
  pue?: number;

  @Field(() => Float, {
    nullable: true,
    description: `in [${CLUSTER_LIMITS.pricePerPflopsHour.min}, ${CLUSTER_LIMITS.pricePerPflopsHour.max}]; applies to bookings made from now on`,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.pricePerPflopsHour.min)
  @Max(CLUSTER_LIMITS.pricePerPflopsHour.max)
  pricePerPflopsHour?: number;

  @Field(() => Float, {
    nullable: true,
    description: `in [${CLUSTER_LIMITS.gridPricePerMwh.min}, ${CLUSTER_LIMITS.gridPricePerMwh.max}]; applies to bookings made from now on`,
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(CLUSTER_LIMITS.gridPricePerMwh.min)
  @Max(CLUSTER_LIMITS.gridPricePerMwh.max)
  gridPricePerMwh?: number;
}

@ArgsType()
export class SetCapacityArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour, inclusive' })
  from: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive' })
  to: Date;

  @Field(() => Float, { description: 'capacity over [from, to), PFLOPS, at most 3 decimals (0 = maintenance)' })
  @IsQuantity({ min: 0, max: 2_000_000 })
  pflops: number;
}
