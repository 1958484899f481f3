import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum VoucherErrorCode {
  VOUCHER_NOT_FOUND = 'VOUCHER_NOT_FOUND',
  ORGANIZATION_NOT_FOUND = 'ORGANIZATION_NOT_FOUND',
  CLUSTER_NOT_FOUND = 'CLUSTER_NOT_FOUND',
  NOT_A_STARTUP = 'NOT_A_STARTUP',
  INVALID_VOUCHER = 'INVALID_VOUCHER',
}

const TO_GQL: Record<VoucherErrorCode, GqlErrorCode> = {
  VOUCHER_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  ORGANIZATION_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  CLUSTER_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  NOT_A_STARTUP: GqlErrorCode.BAD_USER_INPUT,
  INVALID_VOUCHER: GqlErrorCode.BAD_USER_INPUT,
};

export class VoucherException extends MappedDomainException<VoucherErrorCode> {
  protected readonly toGql = TO_GQL;
}
