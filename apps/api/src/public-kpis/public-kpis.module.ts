import { Module } from '@nestjs/common';
import { DashboardModule } from '../dashboard/dashboard.module';
import { KpisModule } from '../kpis/kpis.module';
import { PublicKpisController } from './public-kpis.controller';
import { PublicKpisService } from './public-kpis.service';

/** The bureau's published figures: `/public` (page), `/public/kpis.json`, `/public/kpis.csv`. */
@Module({ imports: [KpisModule, DashboardModule], controllers: [PublicKpisController], providers: [PublicKpisService] })
export class PublicKpisModule {}
