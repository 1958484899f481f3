import { Field, Float, ObjectType } from '@nestjs/graphql';

@ObjectType('UtilizationHour')
export class UtilizationHourModel {
  @Field(() => Date)
  hour: Date;
  @Field(() => Float)
  capacityPflops: number;
  @Field(() => Float)
  bookedPflops: number;
  @Field(() => Float, { description: 'booked / capacity in [0, 1] (0 when capacity is 0)' })
  utilization: number;
  @Field(() => Float)
  greenAvailableMw: number;
  @Field(() => Float)
  greenAllocatedMw: number;
}
