import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { VouchersModule } from '../vouchers/vouchers.module';
import { EnergyResolver } from './energy.resolver';
import { EnergyService } from './energy.service';
import { GreenForecastService } from './green-forecast.service';
import { BookingEventRevisionResolver, GreenRevisionsResolver } from './green-revisions.resolver';
import { GreenRevisionsService } from './green-revisions.service';
import { SlaCreditsService } from './sla-credits.service';

@Module({
  imports: [ClustersModule, VouchersModule],
  providers: [
    EnergyService,
    GreenForecastService,
    EnergyResolver,
    GreenRevisionsService,
    SlaCreditsService,
    GreenRevisionsResolver,
    BookingEventRevisionResolver,
  ],
  exports: [EnergyService, GreenRevisionsService],
})
export class EnergyModule {}
