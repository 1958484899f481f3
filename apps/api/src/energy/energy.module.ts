import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { EnergyResolver } from './energy.resolver';
import { EnergyService } from './energy.service';

@Module({ imports: [ClustersModule], providers: [EnergyService, EnergyResolver], exports: [EnergyService] })
export class EnergyModule {}
