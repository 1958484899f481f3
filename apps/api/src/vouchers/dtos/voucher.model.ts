import { Field, Float, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';

export enum VoucherLedgerKindEnum {
  DRAW = 'DRAW',
  REFUND = 'REFUND',
  ADJUST = 'ADJUST',
}
registerEnumType(VoucherLedgerKindEnum, {
  name: 'VoucherLedgerKind',
  description:
    'DRAW when a booking uses the voucher, REFUND when it is cancelled, ADJUST when a green supply revision lowers its price and the voucher covers less of it (the difference goes back to the voucher)',
});

@ObjectType('Voucher', { description: 'A compute voucher issued by the bureau to a startup.' })
export class VoucherModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID, { description: 'the startup holding it' })
  organizationId: string;
  @Field(() => Float, { description: 'share of a booking price covered, in (0, 100]' })
  percentCovered: number;
  @Field(() => Float, { description: 'money it covers in total, whole cents' })
  cap: number;
  @Field(() => Float, { description: 'drawn so far, net of refunds, whole cents' })
  spent: number;
  @Field(() => Float, { description: 'cap - spent, whole cents' })
  remaining: number;
  @Field(() => Date)
  validFrom: Date;
  @Field(() => Date)
  validUntil: Date;
  @Field(() => [ID], { nullable: true, description: 'clusters it applies to; null = any' })
  clusterIds: string[] | null;
  @Field(() => Float, { nullable: true, description: 'minimum achieved green share of a booking it applies to' })
  minGreenShare: number | null;
  @Field(() => Date)
  createdAt: Date;
}

@ObjectType('VoucherEdge')
export class VoucherEdge {
  @Field()
  cursor: string;
  @Field(() => VoucherModel)
  node: VoucherModel;
}

@ObjectType('VoucherConnection')
export class VoucherConnection {
  @Field(() => [VoucherEdge])
  edges: VoucherEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
}

@ObjectType('VoucherLedgerEntry')
export class VoucherLedgerEntryModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  voucherId: string;
  @Field(() => ID)
  bookingId: string;
  @Field(() => VoucherLedgerKindEnum)
  kind: VoucherLedgerKindEnum;
  @Field(() => Float, { description: 'money drawn or refunded, > 0, whole cents' })
  amount: number;
  @Field(() => Float, { description: "the voucher's spent right after this entry, whole cents" })
  spentAfter: number;
  @Field(() => Date)
  createdAt: Date;
}

@ObjectType('VoucherLedgerEdge')
export class VoucherLedgerEdge {
  @Field()
  cursor: string;
  @Field(() => VoucherLedgerEntryModel)
  node: VoucherLedgerEntryModel;
}

@ObjectType('VoucherLedgerConnection')
export class VoucherLedgerConnection {
  @Field(() => [VoucherLedgerEdge])
  edges: VoucherLedgerEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
}
