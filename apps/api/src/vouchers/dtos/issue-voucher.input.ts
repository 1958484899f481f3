import { Field, Float, ID, InputType } from '@nestjs/graphql';
import { IsString } from 'class-validator';
import { IsDecimal, IsMoney, IsOptionalIdList, IsOptionalShare } from '../../common/validators';

@InputType({
  description: 'A compute voucher for one startup: percentCovered of each booking price, up to cap in total.',
})
export class IssueVoucherInput {
  @Field(() => ID, { description: 'the startup receiving the voucher' })
  @IsString()
  organizationId: string;

  @Field(() => Float, { description: 'share of a booking price covered, in (0, 100], at most 2 decimals' })
  @IsDecimal({ decimals: 2, min: 0.01, max: 100 })
  percentCovered: number;

  @Field(() => Float, {
    description: 'money the voucher covers in total, in (0, 1e12], whole cents (at most 2 decimals)',
  })
  @IsMoney({ min: 0.01, max: 1_000_000_000_000 })
  cap: number;

  @Field(() => Date, { description: 'a booking run must start at or after this time' })
  validFrom: Date;

  @Field(() => Date, {
    description: 'a booking run must end at or before this time; after validFrom and in the future',
  })
  validUntil: Date;

  @Field(() => [ID], {
    nullable: true,
    description: 'only bookings on these clusters, at most 100, repeats counted once (default: any cluster)',
  })
  @IsOptionalIdList()
  clusterIds?: string[];

  @Field(() => Float, { nullable: true, description: 'only bookings whose achieved green share is >= this, in [0, 1]' })
  @IsOptionalShare()
  minGreenShare?: number;
}
