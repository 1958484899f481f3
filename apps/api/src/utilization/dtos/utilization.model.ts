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
  @Field(() => Float, {
    description: "grid power this cluster's bookings draw in the hour (draw minus the green they took), MW",
  })
  gridDrawnMw: number;
  @Field(() => Float, {
    nullable: true,
    description:
      "grid power all bookings of the cluster's site draw in the hour, MW; null when the cluster has no site",
  })
  siteGridDrawnMw: number | null;
  @Field(() => Float, {
    nullable: true,
    description: "grid capacity reserved for the cluster's site in the hour, MW; null: no cap",
  })
  siteGridReservedMw: number | null;
}
