import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { GridResolver } from './grid.resolver';
import { GridService } from './grid.service';

@Module({ imports: [ClustersModule], providers: [GridService, GridResolver], exports: [GridService] })
export class GridModule {}
