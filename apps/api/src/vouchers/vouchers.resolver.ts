import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { CurrentOrg, Roles } from '../security/principal';
import type { Principal } from '../security/principal';
import { IssueVoucherInput } from './dtos/issue-voucher.input';
import { VoucherConnection, VoucherLedgerConnection, VoucherModel } from './dtos/voucher.model';
import { VouchersService } from './vouchers.service';

@Resolver(() => VoucherModel)
export class VouchersResolver {
  constructor(private readonly svc: VouchersService) {}

  @Roles('BUREAU')
  @Mutation(() => VoucherModel, {
    description:
      'Issues a compute voucher to a startup (bureau only). With an idempotencyKey, a retry of the same input returns the voucher the first call issued (also when the calls run at once), and the key with another input is CONFLICT IDEMPOTENCY_KEY_REUSED; without one, every call issues another voucher.',
  })
  issueVoucher(
    @Args('input') input: IssueVoucherInput,
    @Args('idempotencyKey', {
      type: () => String,
      nullable: true,
      description: '1-200 characters after trimming; one key names one voucher',
    })
    idempotencyKey?: string | null,
  ): Promise<VoucherModel> {
    return this.svc.issue(input, idempotencyKey);
  }

  @Roles('STARTUP', 'BUREAU')
  @Query(() => VoucherConnection, {
    description:
      "Vouchers, oldest first: the bureau sees all (or one startup's with organizationId; NOT_FOUND for an organization that does not exist), a startup its own.",
  })
  vouchers(
    @CurrentOrg() p: Principal,
    @Args('organizationId', { type: () => ID, nullable: true }) organizationId?: string,
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<VoucherConnection> {
    return this.svc.list(p, organizationId, first, after);
  }

  @Roles('STARTUP', 'BUREAU')
  @Query(() => VoucherModel, { description: 'NOT_FOUND both for unknown ids and for vouchers of other startups.' })
  voucher(@CurrentOrg() p: Principal, @Args('id', { type: () => ID }) id: string): Promise<VoucherModel> {
    return this.svc.get(p, id);
  }

  @Roles('STARTUP', 'BUREAU')
  @Query(() => VoucherLedgerConnection, {
    description:
      "A voucher's draws, refunds and adjustments in the order they were written, oldest first: replayed in this order, each entry's spentAfter is the voucher's spent after it (bureau and holder).",
  })
  voucherLedger(
    @CurrentOrg() p: Principal,
    @Args('voucherId', { type: () => ID }) voucherId: string,
    @Args('first', { type: () => Int, nullable: true, description: 'page size, 1..100 (default 20)' }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ): Promise<VoucherLedgerConnection> {
    return this.svc.ledger(p, voucherId, first, after);
  }
}
