import { GqlErrorCode, MappedDomainException } from '../common/errors';

export enum BookingErrorCode {
  BOOKING_NOT_FOUND = 'BOOKING_NOT_FOUND',
  NO_CAPACITY = 'NO_CAPACITY',
  GREEN_SHORTFALL = 'GREEN_SHORTFALL',
  GRID_LIMIT = 'GRID_LIMIT',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  ALREADY_CANCELLED = 'ALREADY_CANCELLED',
  ALREADY_STARTED = 'ALREADY_STARTED',
  INVALID_REQUEST = 'INVALID_REQUEST',
  CLUSTER_NOT_FOUND = 'CLUSTER_NOT_FOUND',
}

const TO_GQL: Record<BookingErrorCode, GqlErrorCode> = {
  BOOKING_NOT_FOUND: GqlErrorCode.NOT_FOUND,
  NO_CAPACITY: GqlErrorCode.NO_CAPACITY,
  GREEN_SHORTFALL: GqlErrorCode.GREEN_SHORTFALL,
  GRID_LIMIT: GqlErrorCode.GRID_LIMIT,
  IDEMPOTENCY_KEY_REUSED: GqlErrorCode.CONFLICT,
  ALREADY_CANCELLED: GqlErrorCode.CONFLICT,
  ALREADY_STARTED: GqlErrorCode.CONFLICT,
  INVALID_REQUEST: GqlErrorCode.BAD_USER_INPUT,
  CLUSTER_NOT_FOUND: GqlErrorCode.NOT_FOUND,
};

export class BookingException extends MappedDomainException<BookingErrorCode> {
  protected readonly toGql = TO_GQL;
}

/** The same idempotency key, another request (the objective included): CONFLICT naming the key. */
export function idempotencyKeyReused(bookingId: string): BookingException {
  return new BookingException(
    BookingErrorCode.IDEMPOTENCY_KEY_REUSED,
    `idempotencyKey was already used for a different request (booking ${bookingId})`,
    'idempotencyKey',
  );
}
