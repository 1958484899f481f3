import { Global, Module } from '@nestjs/common';
import { ChangeFeed } from '../events/change-feed.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { TimelinesService } from './timelines.service';

/** Global: the ledger's one repository, its operators' write path and the in-memory timelines. */
@Global()
@Module({
  providers: [ChangeFeed, LedgerRepository, LedgerService, TimelinesService],
  exports: [ChangeFeed, LedgerRepository, LedgerService, TimelinesService],
})
export class LedgerModule {}
