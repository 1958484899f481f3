import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum QuotaErrorCode {
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  ORGANIZATION_NOT_FOUND = 'ORGANIZATION_NOT_FOUND',
  NOT_A_STARTUP = 'NOT_A_STARTUP',
}

const TO_GQL: Record<QuotaErrorCode, GqlErrorCode> = {
  QUOTA_EXCEEDED: GqlErrorCode.QUOTA_EXCEEDED,
  ORGANIZATION_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  NOT_A_STARTUP: GqlErrorCode.BAD_USER_INPUT,
};

/** Which access rule a refused booking would break. */
export type QuotaLimit = 'PFLOPS_HOURS_PER_7_DAYS' | 'CLUSTER_SHARE';

export class QuotaException extends MappedDomainException<QuotaErrorCode> {
  protected readonly toGql = TO_GQL;
}
