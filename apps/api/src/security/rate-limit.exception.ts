import { DomainException, GqlErrorCode } from '../common/errors';

export enum SecurityErrorCode {
  RATE_LIMITED = 'RATE_LIMITED',
}

export class RateLimitException extends DomainException<SecurityErrorCode> {
  readonly gqlCode = GqlErrorCode.RATE_LIMITED;
  constructor(
    readonly limitPerMinute: number,
    readonly retryAfterSeconds: number,
  ) {
    super(
      SecurityErrorCode.RATE_LIMITED,
      `rate limit of ${limitPerMinute} requests per minute for this API key exceeded; retry in ${retryAfterSeconds} s`,
      undefined,
      { limitPerMinute, retryAfterSeconds },
    );
  }
}
