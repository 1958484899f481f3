import type { RefusalReason } from './types';

/**
 * Invalid input at the library boundary. The message names the field precisely
 * (e.g. `job j3: pflops must be a positive number with at most 3 decimals, got -2`).
 * When thrown, nothing has been changed.
 */
export class SchedulerInputError extends Error {
  readonly code = 'INVALID' as const;
  /** path of the offending field, e.g. `jobs[3].pflops` or `clusters[0].green[2].mw` */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'SchedulerInputError';
    this.field = field;
  }
}

/**
 * A valid request that conflicts with the current fleet state (a placement or booking that
 * no longer fits, a capacity cut below booked work). Nothing has been changed when thrown.
 */
export class SchedulerConflictError extends Error {
  readonly code = 'CONFLICT' as const;
  readonly reason: RefusalReason;
  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = 'SchedulerConflictError';
    this.reason = reason;
  }
}
