import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { EventsService } from './events.service';

/** Global: subscriptions and in-process observers read committed events from it. */
@Global()
@Module({ imports: [OrganizationsModule], providers: [EventsService], exports: [EventsService] })
export class EventsModule {}
