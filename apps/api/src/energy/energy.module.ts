import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { EnergyResolver } from './energy.resolver';
import { EnergyService } from './energy.service';
import { GreenForecastService } from './green-forecast.service';

@Module({ imports: [ClustersModule], providers: [EnergyService, GreenForecastService, EnergyResolver], exports: [EnergyService] })
export class EnergyModule {}
