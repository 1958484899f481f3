import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { PageInfo } from '../../common/pagination';
import { BookingModel, ObjectiveEnum } from '../../bookings/dtos/booking.model';

export enum RoundStatusEnum {
  OPEN = 'OPEN',
  CLOSED = 'CLOSED',
  CLEARED = 'CLEARED',
}
registerEnumType(RoundStatusEnum, {
  name: 'RoundStatus',
  description:
    "OPEN: taking requests until closesAt; CLOSED: past closesAt (or closed early), taking no requests, waiting for or in its clearing (the region's next scheduled round is open meanwhile); CLEARED: placed, outcome recorded",
});

export enum RoundRequestStatusEnum {
  PENDING = 'PENDING',
  WITHDRAWN = 'WITHDRAWN',
  CONFIRMED = 'CONFIRMED',
  REFUSED = 'REFUSED',
}
registerEnumType(RoundRequestStatusEnum, {
  name: 'RoundRequestStatus',
  description:
    'PENDING in an open round; CONFIRMED (with its booking) or REFUSED (with the reason) when the round cleared; WITHDRAWN by the startup',
});

@ObjectType('RoundFigures', { description: 'What a way of placing a round achieved.' })
export class RoundFiguresModel {
  @Field(() => Int, { description: 'requests placed' })
  placed: number;
  @Field(() => Int, { description: 'requests not placed' })
  refused: number;
  @Field(() => Float, { description: 'PFLOPS x hours of the placed requests' })
  pflopsHours: number;
  @Field(() => Float)
  greenMwh: number;
  @Field(() => Float)
  energyMwh: number;
  @Field(() => Float, { description: 'greenMwh / energyMwh (0 when nothing was placed)' })
  greenShare: number;
}

@ObjectType('RoundOutcome', {
  description:
    'A cleared round: what the batch packer placed, and what first-come would have placed on the same ledger.',
})
export class RoundOutcomeModel extends RoundFiguresModel {
  @Field(() => Int, { description: 'requests pending at the close' })
  requests: number;
  @Field(() => RoundFiguresModel, {
    description:
      'the same requests placed one by one in submission order, each with its own objective, under the same access rules, on the same ledger',
  })
  firstCome: RoundFiguresModel;
  @Field(() => Float, {
    nullable: true,
    description: 'pflopsHours / firstCome.pflopsHours (null when first-come placed nothing)',
  })
  gain: number | null;
  @Field({ description: 'the packer pass that won, e.g. "size/EARLIEST+improve"' })
  strategy: string;
  @Field(() => Int, { description: 'wall-clock ms of the clearing: read, pack (and baseline), write' })
  clearingMs: number;
  @Field(() => Int, { description: 'ms of the packing alone' })
  packingMs: number;
}

@ObjectType('Round', {
  description: 'A clearing round: requests submitted while it is open are placed together when it closes.',
})
export class RoundModel {
  @Field(() => ID)
  id: string;
  @Field(() => String, { nullable: true, description: 'null: the whole fleet' })
  region: string | null;
  @Field(() => RoundStatusEnum)
  status: RoundStatusEnum;
  @Field()
  opensAt: Date;
  @Field()
  closesAt: Date;
  @Field(() => Date, { nullable: true })
  clearedAt: Date | null;
  @Field(() => Int, { description: 'requests waiting (PENDING)' })
  pending: number;
  @Field(() => RoundOutcomeModel, { nullable: true, description: 'null while open' })
  outcome: RoundOutcomeModel | null;
}

@ObjectType('RoundSchedule', { description: "The bureau's cadence of rounds for a region." })
export class RoundScheduleModel {
  @Field(() => String, { nullable: true, description: 'null: the whole fleet' })
  region: string | null;
  @Field(() => Int, { nullable: true, description: 'minutes between closes; null: off' })
  everyMinutes: number | null;
  @Field(() => RoundModel, { nullable: true, description: 'the open round of the region, if any' })
  openRound: RoundModel | null;
}

@ObjectType('RoundRequest', { description: "A startup's request held in a round." })
export class RoundRequestModel {
  @Field(() => ID)
  id: string;
  @Field(() => ID)
  roundId: string;
  @Field(() => ID)
  organizationId: string;
  @Field(() => RoundRequestStatusEnum)
  status: RoundRequestStatusEnum;
  @Field(() => Float)
  pflops: number;
  @Field(() => Int)
  hours: number;
  @Field()
  earliestStart: Date;
  @Field()
  deadline: Date;
  @Field(() => [ID], { nullable: true, description: "null: any cluster of the round's region" })
  clusterIds: string[] | null;
  @Field(() => Float, { nullable: true })
  minGreenShare: number | null;
  @Field(() => ObjectiveEnum)
  objective: ObjectiveEnum;
  @Field()
  idempotencyKey: string;
  @Field()
  submittedAt: Date;
  @Field(() => Date, { nullable: true })
  decidedAt: Date | null;
  @Field(() => String, {
    nullable: true,
    description:
      'REFUSED: the code bookCompute would give for the request right after the clearing, on the final plan (NO_CAPACITY, GREEN_SHORTFALL, GRID_LIMIT, QUOTA_EXCEEDED, INVALID_REQUEST)',
  })
  reason: string | null;
  @Field(() => String, { nullable: true })
  message: string | null;
  /** resolved by the `booking` field */
  bookingId: string | null;
  @Field(() => BookingModel, { nullable: true, description: 'CONFIRMED: the booking the clearing made' })
  booking?: BookingModel | null;
}

@ObjectType('RoundRequestEdge')
export class RoundRequestEdge {
  @Field()
  cursor: string;
  @Field(() => RoundRequestModel)
  node: RoundRequestModel;
}

@ObjectType('RoundRequestConnection')
export class RoundRequestConnection {
  @Field(() => [RoundRequestEdge])
  edges: RoundRequestEdge[];
  @Field(() => PageInfo)
  pageInfo: PageInfo;
}
