import { Module } from '@nestjs/common';
import { BookingsModule } from '../bookings/bookings.module';
import { QuotasModule } from '../quotas/quotas.module';
import { RoundClearer } from './round-clearer';
import { RoundsRepository } from './rounds.repository';
import { BookingEventRoundResolver, RoundRequestFieldsResolver, RoundsResolver } from './rounds.resolver';
import { RoundsService } from './rounds.service';

/** Clearing rounds: requests pooled per region and placed together by the batch packer. */
@Module({
  imports: [BookingsModule, QuotasModule],
  providers: [
    RoundsRepository,
    RoundClearer,
    RoundsService,
    RoundsResolver,
    RoundRequestFieldsResolver,
    BookingEventRoundResolver,
  ],
  exports: [RoundsService, RoundClearer],
})
export class RoundsModule {}
