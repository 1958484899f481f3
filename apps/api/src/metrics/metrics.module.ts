import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsPlugin } from './metrics.plugin';
import { MetricsService } from './metrics.service';

/** Global: bookings time their scheduler decisions through MetricsService. */
@Global()
@Module({ providers: [MetricsService, MetricsPlugin], controllers: [MetricsController], exports: [MetricsService] })
export class MetricsModule {}
