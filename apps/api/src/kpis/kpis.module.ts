import { Module } from '@nestjs/common';
import { KpisResolver } from './kpis.resolver';
import { KpisService } from './kpis.service';
import { QuoteLogService } from './quote-log.service';

@Module({ providers: [KpisService, KpisResolver, QuoteLogService], exports: [QuoteLogService, KpisService] })
export class KpisModule {}
