import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum OrganizationErrorCode {
  MISSING_API_KEY = 'MISSING_API_KEY',
  INVALID_API_KEY = 'INVALID_API_KEY',
  ROLE_NOT_ALLOWED = 'ROLE_NOT_ALLOWED',
  ORGANIZATION_NOT_FOUND = 'ORGANIZATION_NOT_FOUND',
  API_KEY_NOT_FOUND = 'API_KEY_NOT_FOUND',
  LAST_BUREAU_KEY = 'LAST_BUREAU_KEY',
}

const TO_GQL: Record<OrganizationErrorCode, GqlErrorCode> = {
  MISSING_API_KEY: GqlErrorCode.UNAUTHENTICATED,
  INVALID_API_KEY: GqlErrorCode.UNAUTHENTICATED,
  ROLE_NOT_ALLOWED: GqlErrorCode.FORBIDDEN,
  ORGANIZATION_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  API_KEY_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  LAST_BUREAU_KEY: GqlErrorCode.CONFLICT,
};

export class OrganizationException extends MappedDomainException<OrganizationErrorCode> {
  protected readonly toGql = TO_GQL;
}
