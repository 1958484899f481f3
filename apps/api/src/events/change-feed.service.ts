import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { pgliteOf } from '@pflex/persistence';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';

/** Every message on the feed: the sending process and a kind; the rest depends on the kind. */
export interface FeedMessage {
  /** sending process (ChangeFeed.instance) */
  o: string;
  /** kind: 'b' booking events, 'l' ledger change, 'key' API key revoked, 'org' rules or vouchers changed */
  k: string;
}

/** NOTIFY refuses payloads of 8000 bytes or more; senders split below this. */
export const MAX_PAYLOAD_BYTES = 7900;

const RECONNECT_MAX_MS = 10_000;

/**
 * The committed-change stream between API processes: PostgreSQL LISTEN/NOTIFY, no other broker.
 * Writers call pg_notify inside their transaction (see `channel`), so a message exists only if,
 * and is delivered only after, that transaction commits, in commit order. Every process LISTENs
 * (PostgreSQL: one dedicated `pg` client that reconnects; PGlite: the embedded database's own
 * listen) and dispatches messages by kind. While the listener is disconnected messages are
 * lost, so `live` is false and caches fed by the stream must not be trusted; `onResync` handlers
 * run after every reconnect (reload what the stream keeps current).
 */
@Injectable()
export class ChangeFeed implements OnModuleInit, OnModuleDestroy {
  /** identifies this process's own messages */
  readonly instance = randomUUID();
  /** the NOTIFY channel; test schemas share one database, so one channel per schema */
  readonly channel: string;
  private readonly handlers = new Map<string, ((m: FeedMessage) => void)[]>();
  private readonly resyncs: (() => void)[] = [];
  private client?: Client;
  private unlisten?: () => Promise<void>;
  private closing = false;
  private retryMs = 500;
  private reconnecting = false;
  private connectedOnce = false;
  private isLive = false;

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {
    const schema = config.persistence.schema;
    this.channel = schema ? `pflex_events_${schema}` : 'pflex_events';
  }

  /** Whether every committed message since the last resync has been (or will be) delivered. */
  get live(): boolean {
    return this.isLive;
  }

  on<M extends FeedMessage>(kind: string, fn: (m: M) => void): void {
    const list = this.handlers.get(kind) ?? [];
    list.push(fn as (m: FeedMessage) => void);
    this.handlers.set(kind, list);
  }

  /** Called after the listener reconnected (messages in between are lost). */
  onResync(fn: () => void): void {
    this.resyncs.push(fn);
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
      this.isLive = true;
      return;
    }
    await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    this.isLive = false;
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

  /** Serialises a message of this process (adds `o`). */
  encode(m: Omit<FeedMessage, 'o'> & Record<string, unknown>): string {
    return JSON.stringify({ o: this.instance, ...m });
  }

  /** Drops the listener connection (tests: a reconnect must resync). */
  dropConnectionForTest(): void {
    this.client?.end().catch(() => undefined);
  }

  private held: string[] | null = null;

  /** Tests: holds delivered messages back, as a slow network would. */
  pauseForTest(): void {
    this.held ??= [];
  }

  /** Tests: delivers the held messages (those `keep` accepts; the others are lost). */
  resumeForTest(keep: (payload: string) => boolean = () => true): void {
    const q = this.held ?? [];
    this.held = null;
    for (const p of q) if (keep(p)) this.receive(p);
  }

  private receive(payload: string): void {
    if (this.held) {
      this.held.push(payload);
      return;
    }
    let m: FeedMessage;
    try {
      m = JSON.parse(payload) as FeedMessage;
    } catch {
      this.log.warn({ channel: this.channel }, 'ignored a malformed event');
      return;
    }
    if (!m || typeof m.k !== 'string') return;
    for (const fn of this.handlers.get(m.k) ?? []) {
      try {
        fn(m);
      } catch (err) {
        this.log.error({ err, kind: m.k }, 'change feed handler failed');
      }
    }
  }

  /** PostgreSQL: a dedicated connection outside the pool (LISTEN is per session). */
  private async connect(): Promise<void> {
    const c = new Client({ connectionString: this.config.persistence.url });
    c.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.receive(n.payload);
    });
    c.on('error', (err) => this.log.warn({ err }, 'event listener connection error'));
    c.on('end', () => {
      if (this.client === c) this.isLive = false;
      if (this.closing || this.client !== c) return;
      this.client = undefined;
      this.reconnectLater();
    });
    this.client = c;
    await c.connect();
    await c.query(`LISTEN "${this.channel}"`);
    this.retryMs = 500;
    this.isLive = true;
    if (this.connectedOnce) {
      for (const fn of this.resyncs) {
        try {
          fn();
        } catch (err) {
          this.log.error({ err }, 'resync handler failed');
        }
      }
    }
    this.connectedOnce = true;
  }

  /** Messages committed while disconnected are missed: `onResync` handlers reload on reconnect. */
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
