import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { BookingModel } from './booking.model';

export enum BookingEventTypeEnum {
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(BookingEventTypeEnum, { name: 'BookingEventType' });

@ObjectType('BookingEvent', { description: 'A booking was confirmed or cancelled; sent after the change committed.' })
export class BookingEventModel {
  @Field(() => BookingEventTypeEnum)
  type: BookingEventTypeEnum;
  @Field(() => BookingModel, { description: 'the booking as the subscriber may query it, read after the commit' })
  booking: BookingModel;
}
