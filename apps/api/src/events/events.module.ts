import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { EventsService } from './events.service';

/** Global: the features that commit changes publish through it, subscriptions read from it. */
@Global()
@Module({ imports: [OrganizationsModule], providers: [EventsService], exports: [EventsService] })
export class EventsModule {}
