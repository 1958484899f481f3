import { PG_ERROR, pgErrorCode } from '@pflex/persistence';
import { DomainException, GqlErrorCode } from './errors';

/** An idempotency key sent with another request than the one it first named: CONFLICT, naming the key. */
export class IdempotencyKeyReusedException extends DomainException<'IDEMPOTENCY_KEY_REUSED'> {
  readonly gqlCode = GqlErrorCode.CONFLICT;
  constructor(what: string) {
    super(
      'IDEMPOTENCY_KEY_REUSED',
      `idempotencyKey was already used for a different request (${what})`,
      'idempotencyKey',
    );
  }
}

/**
 * What an idempotency key already names, for a creating write retried after its answer was lost:
 * the stored row when it was made by the same request (its fingerprint), null when the key names
 * nothing yet; the key with another request is IdempotencyKeyReusedException (`what` names the row).
 */
export function replayOf<R extends { id: string; requestFingerprint: string | null }>(
  prior: R | null,
  fingerprint: string,
  what: (row: R) => string,
): R | null {
  if (prior && prior.requestFingerprint !== fingerprint) throw new IdempotencyKeyReusedException(what(prior));
  return prior;
}

/**
 * Runs a creating write under an optional idempotency key (`attempt`: one transaction that looks
 * for what the key names, replayOf, and creates it otherwise), once more when a concurrent call
 * with the same key inserted first: the unique index on the key refused this one, and the second
 * attempt finds that row.
 */
export async function createOnce<T>(key: string | null, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (e) {
    if (key === null || pgErrorCode(e) !== PG_ERROR.UNIQUE_VIOLATION) throw e;
    return attempt();
  }
}
