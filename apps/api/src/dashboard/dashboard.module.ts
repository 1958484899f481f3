import { Module } from '@nestjs/common';
import { DashboardAssetsService } from './dashboard-assets.service';
import { DashboardController } from './dashboard.controller';

/** Serves the dashboard page at `/` and its assets under `/assets/`. */
@Module({
  controllers: [DashboardController],
  providers: [DashboardAssetsService],
  exports: [DashboardAssetsService],
})
export class DashboardModule {}
