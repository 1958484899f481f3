import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { pgliteOf } from '@pflex/persistence';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { OrganizationErrorCode, OrganizationException } from '../organizations/organizations.exception';
import { OrganizationsService } from '../organizations/organizations.service';
import type { Principal } from '../organizations/principal';
import { eventStream } from './utils/event-stream';

/** A booking was confirmed or cancelled (delivered after its transaction committed). */
export interface BookingCommittedEvent {
  bookingId: string;
  orgId: string;
  clusterId: string;
  status: 'CONFIRMED' | 'CANCELLED';
  /** the booking's hours [from, to), ms */
  from: number;
  to: number;
  /** committed by this process (each process counts only its own, e.g. for metrics) */
  local: boolean;
}

/** Ledger rows of one cluster changed over [from, to) (ms): bookings, capacity or green supply. */
export interface LedgerChangedEvent {
  clusterId: string;
  from: number;
  to: number;
}

/** What travels in a NOTIFY: ids and an hour range only, far below the 8000-byte limit. */
interface Wire {
  o: string;
  k: 'b' | 'l';
  c: string;
  f: number;
  t: number;
  id?: string;
  org?: string;
  s?: 'CONFIRMED' | 'CANCELLED';
}

const RECONNECT_MAX_MS = 10_000;
/** A subscriber's API key is checked again at most this often while events flow. */
export const KEY_RECHECK_MS = 1000;

/** Who holds a subscription: the principal the guard found and the header it came from. */
export interface Subscriber {
  principal: Principal;
  authorization: string | undefined;
}

/**
 * Live events between API processes through PostgreSQL LISTEN/NOTIFY, no other broker.
 * Publishers call pg_notify inside their transaction, so an event exists only if, and is
 * delivered only after, that transaction commits. Every process LISTENs (PostgreSQL: one
 * dedicated `pg` client that reconnects; PGlite: the embedded database's own listen, same
 * SQL path) and re-emits on a local bus that subscriptions read.
 */
@Injectable()
export class EventsService implements OnModuleInit, OnModuleDestroy {
  /** identifies this process's own notifications */
  private readonly instance = randomUUID();
  private readonly bus = new EventEmitter();
  private readonly channel: string;
  private client?: Client;
  private unlisten?: () => Promise<void>;
  private closing = false;
  private retryMs = 500;
  private reconnecting = false;
  private observers = 0;

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
    private readonly orgs: OrganizationsService,
  ) {
    this.bus.setMaxListeners(0);
    // test schemas share one database: one channel per schema keeps their events apart
    const schema = config.persistence.schema;
    this.channel = schema ? `pflex_events_${schema}` : 'pflex_events';
  }

  async onModuleInit(): Promise<void> {
    const db = pgliteOf(this.ds);
    if (db) {
      // hold a pool lease so LISTEN never lands inside another caller's transaction
      const qr = this.ds.createQueryRunner();
      await qr.connect();
      try {
        this.unlisten = await db.listen(this.channel, (payload) => this.receive(payload));
      } finally {
        await qr.release();
      }
      return;
    }
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    this.bus.removeAllListeners();
    if (this.unlisten) {
      const qr = this.ds.createQueryRunner();
      await qr.connect();
      try {
        await this.unlisten();
      } finally {
        await qr.release();
      }
    }
    await this.client?.end().catch(() => undefined);
  }

  /** Inside the booking's transaction, after its ledger update. */
  async bookingChanged(m: EntityManager, b: { id: string; orgId: string; clusterId: string; status: 'CONFIRMED' | 'CANCELLED'; startsAt: Date; endsAt: Date }): Promise<void> {
    await this.notify(m, { o: this.instance, k: 'b', c: b.clusterId, f: b.startsAt.getTime(), t: b.endsAt.getTime(), id: b.id, org: b.orgId, s: b.status });
  }

  /** Inside the transaction that changed capacity or green supply of a cluster over [from, to). */
  async ledgerChanged(m: EntityManager, clusterId: string, from: number, to: number): Promise<void> {
    await this.notify(m, { o: this.instance, k: 'l', c: clusterId, f: from, t: to });
  }

  /**
   * Booking events from now on, through `map` (access check + shaping). The subscription ends
   * with UNAUTHENTICATED at the first event after its API key was revoked.
   */
  bookings<T>(who: Subscriber, map: (e: BookingCommittedEvent) => Promise<T | undefined> | T | undefined): AsyncIterableIterator<T> {
    const check = this.keyCheck(who);
    return eventStream(this.bus, 'booking', async (e: BookingCommittedEvent) => (await check(), map(e)));
  }

  /** Ledger changes from now on, through `map`; the key is re-checked as for bookings. */
  ledger<T>(who: Subscriber, map: (e: LedgerChangedEvent) => Promise<T | undefined> | T | undefined): AsyncIterableIterator<T> {
    const check = this.keyCheck(who);
    return eventStream(this.bus, 'ledger', async (e: LedgerChangedEvent) => (await check(), map(e)));
  }

  /** The guard has just checked the key; later events check it again at most every KEY_RECHECK_MS. */
  private keyCheck(who: Subscriber): () => Promise<void> {
    let checkedAt = Date.now();
    const key = who.authorization ? /^Bearer\s+(\S+)\s*$/i.exec(who.authorization)?.[1] : undefined;
    return async () => {
      if (Date.now() - checkedAt < KEY_RECHECK_MS) return;
      const now = key ? await this.orgs.authenticate(key) : null;
      if (!now || now.orgId !== who.principal.orgId || now.role !== who.principal.role) {
        throw new OrganizationException(OrganizationErrorCode.INVALID_API_KEY, 'the API key is unknown or revoked; the subscription ended');
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

  private async notify(m: EntityManager, w: Wire): Promise<void> {
    await m.query(`SELECT pg_notify($1, $2)`, [this.channel, JSON.stringify(w)]);
  }

  private receive(payload: string): void {
    let w: Wire;
    try {
      w = JSON.parse(payload) as Wire;
    } catch {
      this.log.warn({ channel: this.channel }, 'ignored a malformed event');
      return;
    }
    if (typeof w.c !== 'string' || !Number.isFinite(w.f) || !Number.isFinite(w.t)) return;
    if (w.k === 'b' && w.id && w.org && (w.s === 'CONFIRMED' || w.s === 'CANCELLED')) {
      const e: BookingCommittedEvent = { bookingId: w.id, orgId: w.org, clusterId: w.c, status: w.s, from: w.f, to: w.t, local: w.o === this.instance };
      this.bus.emit('booking', e);
    }
    const l: LedgerChangedEvent = { clusterId: w.c, from: w.f, to: w.t };
    this.bus.emit('ledger', l);
  }

  /** PostgreSQL: a dedicated connection outside the pool (LISTEN is per session). */
  private async connect(): Promise<void> {
    const c = new Client({ connectionString: this.config.persistence.url });
    c.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.receive(n.payload);
    });
    c.on('error', (err) => this.log.warn({ err }, 'event listener connection error'));
    c.on('end', () => {
      if (this.closing || this.client !== c) return;
      this.client = undefined;
      this.reconnectLater();
    });
    this.client = c;
    await c.connect();
    await c.query(`LISTEN "${this.channel}"`);
    this.retryMs = 500;
  }

  /** Events committed while disconnected are missed; clients re-read with queries on reconnect. */
  private reconnectLater(): void {
    if (this.reconnecting || this.closing) return;
    this.reconnecting = true;
    const wait = this.retryMs;
    this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
    this.log.warn({ inMs: wait }, 'event listener disconnected; reconnecting');
    setTimeout(() => {
      this.reconnecting = false;
      if (this.closing) return;
      this.connect().then(
        () => this.log.info('event listener reconnected'),
        (err) => {
          this.log.warn({ err }, 'event listener reconnect failed');
          const c = this.client;
          this.client = undefined;
          c?.end().catch(() => undefined);
          this.reconnectLater();
        },
      );
    }, wait).unref();
  }
}
