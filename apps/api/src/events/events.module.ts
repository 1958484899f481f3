import { Global, Module } from '@nestjs/common';
import { EventsService } from './events.service';

/** Global: the features that commit changes publish through it, subscriptions read from it. */
@Global()
@Module({ providers: [EventsService], exports: [EventsService] })
export class EventsModule {}
