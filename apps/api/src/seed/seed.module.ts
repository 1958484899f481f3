import { Module } from '@nestjs/common';
import { ClustersModule } from '../clusters/clusters.module';
import { EnergyModule } from '../energy/energy.module';
import { GridModule } from '../grid/grid.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { DemoSeedService } from './demo-seed.service';

@Module({
  imports: [OrganizationsModule, ClustersModule, EnergyModule, GridModule],
  providers: [DemoSeedService],
  exports: [DemoSeedService],
})
export class SeedModule {}
