import { charCount } from '@pflex/scheduler';
import { BookingErrorCode, BookingException } from './bookings.exception';

/** The idempotency key prefix of bookings made by clearing rounds ("round:" + the round request's id). */
export const ROUND_KEY_PREFIX = 'round:';

/** An idempotency key as bookCompute, submitRoundRequest and issueVoucher take it: trimmed, 1 to 200 characters. */
export function requireIdempotencyKey(raw: string): string {
  const key = raw.trim();
  const n = charCount(key);
  if (n < 1 || n > 200)
    throw new BookingException(
      BookingErrorCode.INVALID_REQUEST,
      n < 1
        ? 'idempotencyKey must not be blank'
        : `idempotencyKey must have at most 200 characters (leading and trailing spaces aside), got ${n}`,
      'idempotencyKey',
    );
  // the same keys for bookCompute and submitRoundRequest: a round's bookings carry these
  if (key.startsWith(ROUND_KEY_PREFIX))
    throw new BookingException(
      BookingErrorCode.INVALID_REQUEST,
      `idempotencyKey must not start with "${ROUND_KEY_PREFIX}" (reserved for bookings made by clearing rounds)`,
      'idempotencyKey',
    );
  return key;
}
