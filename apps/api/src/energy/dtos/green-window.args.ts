import { ArgsType, Field, Float, ID, Int } from '@nestjs/graphql';
import { GREEN_WINDOW_LIMITS } from '@pflex/scheduler';
import { IsEnum, IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsQuantity } from '../../common/validators';
import { GreenSourceEnum } from './green-window.model';

@ArgsType()
export class AddGreenWindowArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date, { description: 'whole UTC hour' })
  startsAt: Date;

  @Field(() => Date, { description: 'whole UTC hour, exclusive' })
  endsAt: Date;

  @Field(() => Float, { description: 'MW available in every hour of the window, > 0, at most 3 decimals' })
  @IsQuantity({ min: 0.001, max: GREEN_WINDOW_LIMITS.mw.max })
  megawatts: number;

  @Field(() => GreenSourceEnum)
  @IsEnum(GreenSourceEnum)
  source: GreenSourceEnum;

  @Field(() => Float)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100_000)
  pricePerMwh: number;

  @Field(() => String, {
    nullable: true,
    description:
      '1-200 characters after trimming: a retry with the same key and request returns what the first call made instead of making it again',
  })
  @IsOptional()
  @IsString()
  idempotencyKey?: string | null;
}

@ArgsType()
export class GreenWindowsArgs {
  @Field(() => ID)
  @IsString()
  clusterId: string;

  @Field(() => Date)
  from: Date;

  @Field(() => Date)
  to: Date;

  @Field(() => Int, {
    nullable: true,
    description:
      'at most this many windows (1..500, default 100), earliest first; no further pages: narrow from/to to see the rest',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(500)
  first?: number;
}
