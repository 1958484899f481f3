/** The GraphQL `extensions.code` values clients can rely on. */
export enum GqlErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  NO_CAPACITY = 'NO_CAPACITY',
  GREEN_SHORTFALL = 'GREEN_SHORTFALL',
  /** capacity and green would allow it, but the site's reserved grid capacity does not */
  GRID_LIMIT = 'GRID_LIMIT',
  /** a booking beyond the bureau's access rules for the startup */
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  CONFLICT = 'CONFLICT',
  /** too many requests for one API key; the message says the limit and when to retry */
  RATE_LIMITED = 'RATE_LIMITED',
  /** the database is unreachable (down, restarting, no free connection); retry later with the same idempotency key */
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  /** the database did not answer within DB_STATEMENT_TIMEOUT_MS (e.g. a held lock); retry later */
  TIMEOUT = 'TIMEOUT',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/**
 * Base of every feature exception: a feature code (its own enum), the GraphQL code it maps to
 * (declared next to the enum, applied by the one GraphQL exception filter), the offending
 * field when there is one, and safe details for `extensions`.
 */
export abstract class DomainException<C extends string = string> extends Error {
  abstract readonly gqlCode: GqlErrorCode;
  constructor(
    readonly code: C,
    message: string,
    readonly field?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A feature exception whose GraphQL code is looked up in the feature's code table. */
export abstract class MappedDomainException<C extends string> extends DomainException<C> {
  protected abstract readonly toGql: Readonly<Record<C, GqlErrorCode>>;
  get gqlCode(): GqlErrorCode {
    return this.toGql[this.code];
  }
}

/** Boundary validation failures shared by all features (class-validator, dates, ids, paging). */
export enum InputErrorCode {
  INVALID_FIELD = 'INVALID_FIELD',
}

export class InputException extends DomainException<InputErrorCode> {
  readonly gqlCode = GqlErrorCode.BAD_USER_INPUT;
  constructor(field: string, message: string, details?: Record<string, unknown>) {
    super(InputErrorCode.INVALID_FIELD, message, field, details);
  }
}
