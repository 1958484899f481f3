import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { KpisModule } from '../kpis/kpis.module';
import { QuotasModule } from '../quotas/quotas.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { BookingCommitter } from './booking-committer';
import { BookingEventsService } from './booking-events.service';
import { BookingWriter } from './booking-writer';
import { BookingsResolver } from './bookings.resolver';
import { BookingsService } from './bookings.service';
import { Refusals } from './utils/refusals';

@Module({
  imports: [VouchersModule, QuotasModule, ClustersModule, KpisModule],
  providers: [BookingsService, BookingsResolver, BookingEventsService, BookingCommitter, BookingWriter, Refusals],
  exports: [BookingsService, BookingCommitter, BookingWriter, Refusals],
})
export class BookingsModule {}
