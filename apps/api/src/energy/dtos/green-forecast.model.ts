import { Field, ID, Int, ObjectType } from '@nestjs/graphql';
import { GreenWindowModel } from './green-window.model';

@ObjectType('GreenForecastImport', { description: 'The windows of [from, to) after a forecast replaced them.' })
export class GreenForecastImportModel {
  @Field(() => ID)
  clusterId: string;
  @Field(() => Date)
  from: Date;
  @Field(() => Date)
  to: Date;
  @Field(() => Int, { description: 'windows removed, or cut at from / to when they reached beyond the range' })
  windowsReplaced: number;
  @Field(() => [GreenWindowModel], { description: 'the new windows, in row order (rows of 0 MW post none)' })
  windows: GreenWindowModel[];
  @Field(() => [ID], {
    description:
      'supply revisions the import caused: green shared again by the SLA rule where it left less than bookings held, or topped up where it brought more (see greenRevisions)',
  })
  revisionIds: string[];
}
