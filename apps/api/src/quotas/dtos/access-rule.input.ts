import { Field, Float, ID, InputType } from '@nestjs/graphql';
import { IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsQuantity } from '../../common/validators';

@InputType({ description: "A startup's access rules; a limit left null is no limit. Replaces the previous rules." })
export class AccessRuleInput {
  @Field(() => ID)
  @IsString()
  organizationId: string;

  @Field(() => Float, {
    nullable: true,
    description:
      'PFLOPS-hours (pflops x hours) of bookings starting in any 7-day window, in [0, 1e12], at most 3 decimals; a request goes to the best start that keeps it',
  })
  @IsOptional()
  @IsQuantity({ min: 0, max: 1e12 })
  maxPflopsHoursPer7Days?: number | null;

  @Field(() => Float, {
    nullable: true,
    description: "largest fraction of any one cluster's capacity held in any hour, in [0.0001, 1]",
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.0001)
  @Max(1)
  maxClusterShare?: number | null;
}
