import { ArgsType, Field } from '@nestjs/graphql';
import { IsOptional, IsString, Length } from 'class-validator';

@ArgsType()
export class KpisArgs {
  @Field(() => Date, { description: 'whole UTC hour' })
  from: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive; at most 8784 hours (366 days) after from' })
  to: Date;

  @Field(() => String, { nullable: true, description: 'only clusters of this region (exact match)' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  region?: string | null;
}
