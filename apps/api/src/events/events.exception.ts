import { DomainException, GqlErrorCode } from '../common/errors';

export enum EventsErrorCode {
  /** events of this subscription may have been lost: the client re-queries and subscribes again */
  EVENTS_MISSED = 'EVENTS_MISSED',
}

/** A subscription ended because it may have missed events (SERVICE_UNAVAILABLE: transient; re-query, subscribe again). */
export class EventsMissedException extends DomainException<EventsErrorCode> {
  readonly gqlCode = GqlErrorCode.SERVICE_UNAVAILABLE;
  constructor(why: string) {
    super(
      EventsErrorCode.EVENTS_MISSED,
      `events may have been missed (${why}); the subscription ended: query again what you show, then subscribe again`,
    );
  }
}
