import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum EnergyErrorCode {
  GREEN_WINDOW_NOT_FOUND = 'GREEN_WINDOW_NOT_FOUND',
  GREEN_STILL_ALLOCATED = 'GREEN_STILL_ALLOCATED',
  SUPPLY_LIMIT = 'SUPPLY_LIMIT',
  OUTSIDE_HORIZON = 'OUTSIDE_HORIZON',
}

const TO_GQL: Record<EnergyErrorCode, GqlErrorCode> = {
  GREEN_WINDOW_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  GREEN_STILL_ALLOCATED: GqlErrorCode.CONFLICT,
  SUPPLY_LIMIT: GqlErrorCode.BAD_USER_INPUT,
  OUTSIDE_HORIZON: GqlErrorCode.BAD_USER_INPUT,
};

export class EnergyException extends MappedDomainException<EnergyErrorCode> {
  protected readonly toGql = TO_GQL;
}
