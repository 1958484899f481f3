import { Field, ID, ObjectType } from '@nestjs/graphql';
import { UtilizationHourModel } from './utilization.model';

@ObjectType('UtilizationChange', {
  description: 'The new values of one cluster hour whose bookings, capacity or green supply changed.',
})
export class UtilizationChangeModel extends UtilizationHourModel {
  @Field(() => ID)
  clusterId: string;
}
