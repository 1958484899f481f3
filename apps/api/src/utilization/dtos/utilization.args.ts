import { ArgsType, Field, ID } from '@nestjs/graphql';
import { IsString } from 'class-validator';

@ArgsType()
export class UtilizationArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour' })
  from: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive; at most 744 hours (31 days) after from' })
  to: Date;
}
