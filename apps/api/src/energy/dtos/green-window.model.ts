import { Field, Float, ID, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum GreenSourceEnum {
  SOLAR = 'SOLAR',
  WIND = 'WIND',
  HYDRO = 'HYDRO',
  OTHER = 'OTHER',
}
registerEnumType(GreenSourceEnum, { name: 'GreenSource' });

@ObjectType('GreenWindow')
export class GreenWindowModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  clusterId: string;
  @Field(() => Date)
  startsAt: Date;
  @Field(() => Date)
  endsAt: Date;
  @Field(() => Float)
  megawatts: number;
  @Field(() => GreenSourceEnum)
  source: GreenSourceEnum;
  @Field(() => Float)
  pricePerMwh: number;
  @Field(() => Date)
  createdAt: Date;
}
