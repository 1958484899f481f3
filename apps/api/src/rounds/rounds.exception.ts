import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum RoundErrorCode {
  ROUND_NOT_FOUND = 'ROUND_NOT_FOUND',
  ROUND_REQUEST_NOT_FOUND = 'ROUND_REQUEST_NOT_FOUND',
  /** no round of that region (nor of the whole fleet) is open */
  NO_OPEN_ROUND = 'NO_OPEN_ROUND',
  /** the round has cleared already */
  ROUND_CLEARED = 'ROUND_CLEARED',
  /** the round has closed: its clearing decides its requests */
  ROUND_CLOSED = 'ROUND_CLOSED',
  /** a round of that region is open already */
  ROUND_ALREADY_OPEN = 'ROUND_ALREADY_OPEN',
  /** the request was decided (or withdrawn) already */
  ALREADY_DECIDED = 'ALREADY_DECIDED',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  INVALID_ROUND = 'INVALID_ROUND',
}

const TO_GQL: Record<RoundErrorCode, GqlErrorCode> = {
  ROUND_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  ROUND_REQUEST_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  NO_OPEN_ROUND: GqlErrorCode.CONFLICT,
  ROUND_CLEARED: GqlErrorCode.CONFLICT,
  ROUND_CLOSED: GqlErrorCode.CONFLICT,
  ROUND_ALREADY_OPEN: GqlErrorCode.CONFLICT,
  ALREADY_DECIDED: GqlErrorCode.CONFLICT,
  IDEMPOTENCY_KEY_REUSED: GqlErrorCode.CONFLICT,
  INVALID_ROUND: GqlErrorCode.BAD_USER_INPUT,
};

export class RoundException extends MappedDomainException<RoundErrorCode> {
  protected readonly toGql = TO_GQL;
}
