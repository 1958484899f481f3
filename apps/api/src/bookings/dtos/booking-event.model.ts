import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { BookingModel } from './booking.model';

export enum BookingEventTypeEnum {
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  REFUSED = 'REFUSED',
  GREEN_REVISED = 'GREEN_REVISED',
}
registerEnumType(BookingEventTypeEnum, {
  name: 'BookingEventType',
  valuesMap: {
    REFUSED: { description: 'a round request the clearing refused (no booking; see roundRequest)' },
    GREEN_REVISED: {
      description: "a supply revision changed the booking's green (see greenRevision for before and after)",
    },
  },
});

@ObjectType('BookingEvent', {
  description:
    "A booking was confirmed or cancelled, a round request refused, or a booking's green revised; sent after the change committed.",
})
export class BookingEventModel {
  @Field(() => BookingEventTypeEnum)
  type: BookingEventTypeEnum;
  @Field(() => BookingModel, {
    nullable: true,
    description:
      'the booking as the subscriber may query it, read when the event is sent (a booking cancelled since shows CANCELLED); null only for a refused round request',
  })
  booking: BookingModel | null;
  /** the round request a clearing decided; resolved by the rounds module's `roundRequest` field */
  roundRequestId?: string;
  /** the supply revision of a GREEN_REVISED event; resolved by the energy module's `greenRevision` field */
  revisionId?: string;
}
