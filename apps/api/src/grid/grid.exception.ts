import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum GridErrorCode {
  SITE_NOT_FOUND = 'SITE_NOT_FOUND',
  NOT_SITE_OWNER = 'NOT_SITE_OWNER',
  /** the reserved capacity asked for is below what bookings already draw */
  GRID_LIMIT = 'GRID_LIMIT',
  INVALID_TARIFF = 'INVALID_TARIFF',
  OUTSIDE_HORIZON = 'OUTSIDE_HORIZON',
}

const TO_GQL: Record<GridErrorCode, GqlErrorCode> = {
  SITE_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  NOT_SITE_OWNER: GqlErrorCode.FORBIDDEN,
  GRID_LIMIT: GqlErrorCode.GRID_LIMIT,
  INVALID_TARIFF: GqlErrorCode.BAD_USER_INPUT,
  OUTSIDE_HORIZON: GqlErrorCode.BAD_USER_INPUT,
};

export class GridException extends MappedDomainException<GridErrorCode> {
  protected readonly toGql = TO_GQL;
}
