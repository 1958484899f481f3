import { Field, Float, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('AccessRule', { description: "The bureau's limits for one startup; null = no limit." })
export class AccessRuleModel {
  @Field(() => ID)
  organizationId: string;
  @Field(() => Float, {
    nullable: true,
    description: 'PFLOPS-hours of confirmed bookings starting in any 7-day window',
  })
  maxPflopsHoursPer7Days: number | null;
  @Field(() => Float, {
    nullable: true,
    description: "largest fraction of any one cluster's capacity held in any hour",
  })
  maxClusterShare: number | null;
  @Field(() => Date)
  updatedAt: Date;
  @Field(() => Float, {
    nullable: true,
    description:
      'PFLOPS-hours a booking starting in the current hour could still take under maxPflopsHoursPer7Days (the limit minus the busiest 7-day window containing this hour); null without that limit',
  })
  pflopsHoursLeftNow?: number | null;
}
