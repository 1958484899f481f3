import { Global, Module } from '@nestjs/common';
import { ChangeFeed } from '../events/change-feed.service';
import { LedgerAdminRepository } from './ledger-admin.repository';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { TimelinesService } from './timelines.service';

/** Global: the ledger's repositories (the booking path's, the operators' writes), its operators' write path and the in-memory timelines. */
@Global()
@Module({
  providers: [ChangeFeed, LedgerRepository, LedgerAdminRepository, LedgerService, TimelinesService],
  exports: [ChangeFeed, LedgerRepository, LedgerAdminRepository, LedgerService, TimelinesService],
})
export class LedgerModule {}
