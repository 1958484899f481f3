import { Field, Float, ID, InputType, Int } from '@nestjs/graphql';
import { IsEnum, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsOptionalIdList, IsOptionalShare, IsQuantity } from '../../common/validators';
import { BookingStatusEnum } from './booking.model';

@InputType({ description: 'A request for compute: pflops for hours, inside [earliestStart, deadline).' })
export class ComputeRequestInput {
  @Field(() => Float, { description: 'PFLOPS, in [0.001, 2,000,000], at most 3 decimals' })
  @IsQuantity({ min: 0.001, max: 2_000_000 })
  pflops: number;

  @Field(() => Int, { description: 'whole hours, in [1, 100,000]' })
  @IsInt()
  @Min(1)
  @Max(100_000)
  hours: number;

  @Field(() => Date, { description: 'whole UTC hour, not before the current hour' })
  earliestStart: Date;

  @Field(() => Date, {
    description: 'whole UTC hour; the booking ends by it; >= earliestStart + hours; inside the bookable horizon',
  })
  deadline: Date;

  @Field(() => [ID], {
    nullable: true,
    description:
      "allowed clusters in tie-break order, at most 100, repeats counted once (default: all, oldest first; for an operator its own, and another operator's is FORBIDDEN)",
  })
  @IsOptionalIdList()
  clusterIds?: string[];

  @Field(() => Float, { nullable: true, description: 'minimum green share in [0, 1]; 1 = green only' })
  @IsOptionalShare()
  minGreenShare?: number;
}

@InputType()
export class BookingFilterInput {
  @Field(() => BookingStatusEnum, { nullable: true })
  @IsOptional()
  @IsEnum(BookingStatusEnum)
  status?: BookingStatusEnum;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsString()
  clusterId?: string;

  @Field({ nullable: true, description: "bookings on clusters of this region (the cluster's region, exactly)" })
  @IsOptional()
  @IsString()
  region?: string;

  @Field(() => Date, { nullable: true, description: 'bookings ending after this time' })
  @IsOptional()
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'bookings starting before this time' })
  @IsOptional()
  to?: Date;
}
