import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { HOUR_MS } from '../common/time.utils';
import { BookingEventsMessage, LedgerMessage, LedgerParts } from '../ledger/ledger-wire';
import { OrganizationErrorCode, OrganizationException } from '../organizations/organizations.exception';
import { hashApiKey } from '../security/api-keys';
import { OrganizationsService } from '../organizations/organizations.service';
import type { Principal } from '../security/principal';
import { ChangeFeed } from './change-feed.service';
import { EventsMissedException } from './events.exception';
import { Admission } from './utils/admission';
import { eventStream, EventStreamOptions, MISSED } from './utils/event-stream';

/** A booking was confirmed or cancelled, or a round request refused (delivered after its transaction committed). */
export interface BookingCommittedEvent {
  /** null for a refused round request */
  bookingId: string | null;
  orgId: string;
  /** null for a refused round request */
  clusterId: string | null;
  status: 'CONFIRMED' | 'CANCELLED' | 'REFUSED' | 'GREEN_REVISED';
  /** the round request a clearing decided (CONFIRMED or REFUSED) */
  roundRequestId?: string;
  /** the supply revision that changed the booking's green (GREEN_REVISED) */
  revisionId?: string;
  /** the booking's hours [from, to), ms */
  from: number;
  to: number;
  /** committed by this process (each process counts only its own, e.g. for metrics) */
  local: boolean;
}

/** Ledger rows of one cluster changed within [from, to) (ms): bookings, capacity or green supply. */
export interface LedgerChangedEvent {
  clusterId: string;
  from: number;
  to: number;
  /** the changed hours (ms) when only some of [from, to) changed (a group's bookings); all of it when absent */
  hours?: number[];
}

/** The change of a cluster's epoch hours `h` (a loop, not a spread: a change may hold 80,000 hours). */
function hoursChanged(clusterId: string, h: readonly number[]): LedgerChangedEvent {
  let lo = Infinity;
  let hi = -Infinity;
  const hours = new Array<number>(h.length);
  for (let i = 0; i < h.length; i++) {
    hours[i] = h[i] * HOUR_MS;
    if (h[i] < lo) lo = h[i];
    if (h[i] > hi) hi = h[i];
  }
  return { clusterId, from: lo * HOUR_MS, to: (hi + 1) * HOUR_MS, hours };
}

/** Two changes of one cluster as one: the union of their hours. */
export function mergeLedgerChanges(a: LedgerChangedEvent, b: LedgerChangedEvent): LedgerChangedEvent {
  const hoursOf = (e: LedgerChangedEvent) =>
    e.hours ?? Array.from({ length: (e.to - e.from) / HOUR_MS }, (_, i) => e.from + i * HOUR_MS);
  const hours = [...new Set([...hoursOf(a), ...hoursOf(b)])].sort((x, y) => x - y);
  return { clusterId: a.clusterId, from: hours[0], to: hours[hours.length - 1] + HOUR_MS, hours };
}

/** The hours a ledger change holds (and a subscriber is sent for it). */
function ledgerHours(e: LedgerChangedEvent): number {
  return e.hours?.length ?? (e.to - e.from) / HOUR_MS;
}

/**
 * Hours of changes (a booking event counts 1) that this process's subscribers may hold at once
 * between reading them and writing them out: some 700 bytes an hour with every field asked (the
 * GraphQL result and its JSON), so about 35 MB, however many subscribers there are. Without it,
 * 2,000 subscribers sent one 2,000-hour forecast import built all their payloads at once (every
 * delivery interleaved with the others) and ran a 512 MB heap out.
 */
export const LIVE_HOURS_IN_FLIGHT = 50_000;
/** A delivery holds its share at most this long (a client that does not read keeps its payload in its socket). */
export const LIVE_HOLD_MS = 2_000;

/** A subscriber's API key is checked again at most this often while events flow. */
export const KEY_RECHECK_MS = 1000;

/** Who holds a subscription: the principal the guard found and the header it came from. */
export interface Subscriber {
  principal: Principal;
  authorization: string | undefined;
}

/**
 * Live events for GraphQL subscriptions and in-process observers, read from the change feed
 * (PostgreSQL LISTEN/NOTIFY): booking events and ledger changes of every process, each
 * delivered only after its transaction committed.
 */
@Injectable()
export class EventsService {
  private readonly bus = new EventEmitter();
  private observers = 0;
  /** One gate for every subscriber of this process: see LIVE_HOURS_IN_FLIGHT. */
  readonly admission = new Admission(LIVE_HOURS_IN_FLIGHT, LIVE_HOLD_MS);

  constructor(
    feed: ChangeFeed,
    private readonly orgs: OrganizationsService,
  ) {
    this.bus.setMaxListeners(0);
    // the listener reconnected: what was committed meanwhile was not delivered here, so every
    // subscription ends (after what it already has) and its client queries again
    feed.onResync(() => this.bus.emit(MISSED, "the server's connection to the event feed was interrupted"));
    // a key revoked on any process ends its subscriptions at their next event, not up to
    // KEY_RECHECK_MS later
    orgs.onKeyRevoked((h) => {
      this.revoked.add(h);
      if (this.revoked.size > 10_000) this.revoked.clear();
    });
    feed.on<BookingEventsMessage>('b', (m) => {
      if (!Array.isArray(m.b)) return;
      for (const [id, org, cluster, f, t, s, rr] of m.b) {
        const status = s === 'X' ? 'CANCELLED' : s === 'F' ? 'REFUSED' : s === 'G' ? 'GREEN_REVISED' : 'CONFIRMED';
        const ref = rr ? (s === 'G' ? { revisionId: rr } : { roundRequestId: rr }) : {};
        const e: BookingCommittedEvent = {
          bookingId: id || null,
          orgId: org,
          clusterId: cluster || null,
          status,
          ...ref,
          from: f * HOUR_MS,
          to: t * HOUR_MS,
          local: m.o === feed.instance,
        };
        this.bus.emit('booking', e);
      }
    });
    // one event per committed change, however many hours it touched (a change too large for one
    // NOTIFY comes in parts: they are joined first, as the timelines join them)
    const parts = new LedgerParts();
    feed.onResync(() => parts.clear());
    feed.on<LedgerMessage>('l', (part) => {
      if (!part.d) return;
      const m = parts.join(part);
      if (!m) return;
      const d = m.d;
      if (d.t !== 'd') {
        // a cluster reloaded for its parameters changed no hour; one reloaded for a revision did
        if (d.f === undefined || d.to === undefined) return;
        this.bus.emit('ledger', {
          clusterId: m.c,
          from: d.f * HOUR_MS,
          to: d.to * HOUR_MS,
        } satisfies LedgerChangedEvent);
        return;
      }
      if (d.h.length > 0) this.bus.emit('ledger', hoursChanged(m.c, d.h));
    });
  }

  /**
   * Booking events from now on, through `map` (access check + shaping). The subscription ends
   * with UNAUTHENTICATED at the first event after its API key was revoked.
   */
  bookings<T>(
    who: Subscriber,
    map: (e: BookingCommittedEvent) => Promise<T | undefined> | T | undefined,
    accepts?: (e: BookingCommittedEvent) => boolean,
  ): AsyncIterableIterator<T> {
    return this.stream('booking', who, map, { accepts, admission: { gate: this.admission, weight: () => 1 } });
  }

  /**
   * Ledger changes from now on, through `map`; the key is re-checked as for bookings. Once the
   * subscriber is COALESCE_AFTER events behind, changes of one cluster waiting for it are merged
   * into one (the union of their hours): `map` reads the hours' figures when it delivers them, so
   * nothing is lost by the merge.
   */
  ledger<T>(
    who: Subscriber,
    map: (e: LedgerChangedEvent) => Promise<T | undefined> | T | undefined,
    accepts?: (e: LedgerChangedEvent) => boolean,
  ): AsyncIterableIterator<T> {
    return this.stream('ledger', who, map, {
      accepts,
      coalesce: { key: (e) => e.clusterId, merge: mergeLedgerChanges },
      admission: { gate: this.admission, weight: ledgerHours },
    });
  }

  /** The bus's `name` events for one subscriber: its key re-checked per event, others' dropped by `accepts`. */
  private stream<E, T>(
    name: string,
    who: Subscriber,
    map: (e: E) => Promise<T | undefined> | T | undefined,
    options: EventStreamOptions<E>,
  ): AsyncIterableIterator<T> {
    const check = this.keyCheck(who);
    return eventStream(
      this.bus,
      name,
      async (e: E) => (await check(), map(e)),
      (why) => new EventsMissedException(why),
      options,
    );
  }

  /** Hashes of keys revoked while this process ran (from the change feed). */
  private readonly revoked = new Set<string>();

  /**
   * The guard has just checked the key; every later event looks it up among the revoked ones,
   * and checks it in full again at most every KEY_RECHECK_MS.
   */
  private keyCheck(who: Subscriber): () => Promise<void> {
    let checkedAt = Date.now();
    const key = who.authorization ? /^Bearer\s+(\S+)\s*$/i.exec(who.authorization)?.[1] : undefined;
    const hash = key ? hashApiKey(key) : '';
    return async () => {
      if (Date.now() - checkedAt < KEY_RECHECK_MS && !this.revoked.has(hash)) return;
      const now = key ? await this.orgs.authenticate(key) : null;
      if (!now || now.orgId !== who.principal.orgId || now.role !== who.principal.role) {
        throw new OrganizationException(
          OrganizationErrorCode.INVALID_API_KEY,
          'the API key is unknown or revoked; the subscription ended',
        );
      }
      checkedAt = Date.now();
    };
  }

  /** For in-process observers (metrics): called for every committed booking event. */
  onBooking(fn: (e: BookingCommittedEvent) => void): void {
    this.observers++;
    this.bus.on('booking', fn);
  }

  /** Live subscriptions held by this process. */
  subscriptions(): number {
    return this.bus.listenerCount('booking') + this.bus.listenerCount('ledger') - this.observers;
  }
}
