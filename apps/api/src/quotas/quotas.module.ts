import { Module } from '@nestjs/common';
import { QuotasResolver } from './quotas.resolver';
import { QuotasService } from './quotas.service';

@Module({ providers: [QuotasService, QuotasResolver], exports: [QuotasService] })
export class QuotasModule {}
