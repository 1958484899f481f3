import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { UtilizationResolver } from './utilization.resolver';
import { UtilizationService } from './utilization.service';

@Module({ imports: [ClustersModule], providers: [UtilizationService, UtilizationResolver] })
export class UtilizationModule {}
