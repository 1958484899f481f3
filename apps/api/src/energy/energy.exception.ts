import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum EnergyErrorCode {
  GREEN_WINDOW_NOT_FOUND = 'GREEN_WINDOW_NOT_FOUND',
  GREEN_STILL_ALLOCATED = 'GREEN_STILL_ALLOCATED',
  SUPPLY_LIMIT = 'SUPPLY_LIMIT',
  OUTSIDE_HORIZON = 'OUTSIDE_HORIZON',
  /** a forecast row outside the import's range, or otherwise inconsistent */
  INVALID_FORECAST_ROW = 'INVALID_FORECAST_ROW',
  /** green allocated to bookings changed while a forecast was being imported */
  CONCURRENT_ALLOCATION = 'CONCURRENT_ALLOCATION',
  /** a supply revision's arguments are inconsistent (both or neither of megawatts and hourlyMegawatts, a blank reason, no price) */
  INVALID_REVISION = 'INVALID_REVISION',
  /** setSlaPenaltyFactor outside [0, 100] or with a 4th decimal */
  INVALID_PENALTY_FACTOR = 'INVALID_PENALTY_FACTOR',
  /** green a revision takes from bookings would be drawn from the grid beyond the site's reserved capacity */
  GRID_LIMIT = 'GRID_LIMIT',
  /** a supply revision took an hour below the windows a removal or import would take away (its supply would go below 0) */
  REVISED_BELOW_WINDOWS = 'REVISED_BELOW_WINDOWS',
}

const TO_GQL: Record<EnergyErrorCode, GqlErrorCode> = {
  GREEN_WINDOW_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  GREEN_STILL_ALLOCATED: GqlErrorCode.CONFLICT,
  SUPPLY_LIMIT: GqlErrorCode.BAD_USER_INPUT,
  OUTSIDE_HORIZON: GqlErrorCode.BAD_USER_INPUT,
  INVALID_FORECAST_ROW: GqlErrorCode.BAD_USER_INPUT,
  CONCURRENT_ALLOCATION: GqlErrorCode.CONFLICT,
  INVALID_REVISION: GqlErrorCode.BAD_USER_INPUT,
  INVALID_PENALTY_FACTOR: GqlErrorCode.BAD_USER_INPUT,
  GRID_LIMIT: GqlErrorCode.GRID_LIMIT,
  REVISED_BELOW_WINDOWS: GqlErrorCode.CONFLICT,
};

/**
 * A removal or import that would take an hour's supply below 0: a supply revision lowered that
 * hour below its windows, and a revision stays an offset on top of them.
 */
export function revisedBelowWindows(hour: string, supplyW: number, takenW: number, field: string): EnergyException {
  return new EnergyException(
    EnergyErrorCode.REVISED_BELOW_WINDOWS,
    `a supply revision left ${hour} with ${supplyW / 1e6} MW of green, less than the ${takenW / 1e6} MW of windows this would take away there: a revision stays as an offset on top of the windows, so the supply would fall below 0. Revise that hour's supply (reviseGreenSupply) first`,
    field,
    { hour },
  );
}

export class EnergyException extends MappedDomainException<EnergyErrorCode> {
  protected readonly toGql = TO_GQL;
}
