import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { BookingModel } from './booking.model';

export enum BookingEventTypeEnum {
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  REFUSED = 'REFUSED',
}
registerEnumType(BookingEventTypeEnum, {
  name: 'BookingEventType',
  valuesMap: { REFUSED: { description: 'a round request the clearing refused (no booking; see roundRequest)' } },
});

@ObjectType('BookingEvent', { description: 'A booking was confirmed or cancelled, or a round request refused; sent after the change committed.' })
export class BookingEventModel {
  @Field(() => BookingEventTypeEnum)
  type: BookingEventTypeEnum;
  @Field(() => BookingModel, { nullable: true, description: 'the booking as the subscriber may query it, read after the commit; null only for a refused round request' })
  booking: BookingModel | null;
  /** the round request a clearing decided; resolved by the rounds module's `roundRequest` field */
  roundRequestId?: string;
}
