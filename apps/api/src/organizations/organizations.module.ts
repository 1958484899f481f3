import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthGuard } from '../security/auth.guard';
import { OrganizationsResolver } from './organizations.resolver';
import { OrganizationsService } from './organizations.service';

@Module({
  providers: [OrganizationsService, OrganizationsResolver, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [OrganizationsService],
})
export class OrganizationsModule {}
