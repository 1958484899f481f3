import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { pgliteOf } from '@pflex/persistence';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PINO } from '../config';
import { ChangeFeed, FeedMessage } from '../events/change-feed.service';
import { TokenBucketLimiter } from './rate-limiter';
import { HEARTBEAT_MS, ReplicaSet } from './replica-set';

export const RATE_LIMITER = Symbol('RATE_LIMITER');

/** How long a starting replica listens for the others' replies to its hello before it serves, ms. */
export const DISCOVERY_MS = 300;

/** A replica's announcement: `hello` when it starts (peers reply with a heartbeat), `hb` every HEARTBEAT_MS, `bye` when it stops. */
export interface PresenceMessage extends FeedMessage {
  k: 'rl';
  p: 'hello' | 'hb' | 'bye';
}

/**
 * Keeps the rate limiter's replica count current from the replicas' announcements on the change
 * feed (one NOTIFY per replica per second, nothing per request). A starting replica says hello and
 * waits DISCOVERY_MS for the replies before it serves, so the others have cut their shares before
 * it takes its own (see `TokenBucketLimiter.setReplicas`). PGlite is one process by
 * construction: nothing to announce there.
 */
@Injectable()
export class RateLimitPresence implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly replicas: ReplicaSet;
  private timer?: NodeJS.Timeout;
  private active = false;
  private wasLive = true;

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: TokenBucketLimiter,
    private readonly feed: ChangeFeed,
    private readonly ds: DataSource,
    @Inject(PINO) private readonly log: Logger,
  ) {
    this.replicas = new ReplicaSet((n, newcomer) => {
      this.limiter.setReplicas(n, newcomer);
      this.log.info(
        { replicas: n, perReplicaPerMinute: this.limiter.perMinute / n },
        'rate limit shared across replicas',
      );
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (pgliteOf(this.ds)) return;
    this.active = true;
    this.feed.on<PresenceMessage>('rl', (m) => this.receive(m));
    // messages missed while the listener was down: hear everyone again
    this.feed.onResync(() => {
      this.replicas.refreshAll(Date.now());
      void this.announce('hello');
    });
    await this.announce('hello');
    await new Promise((r) => setTimeout(r, DISCOVERY_MS));
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    clearInterval(this.timer);
    await this.announce('bye');
  }

  private receive(m: PresenceMessage): void {
    if (m.o === this.feed.instance || !this.active) return;
    if (m.p === 'bye') return this.replicas.gone(m.o);
    this.replicas.seen(m.o, Date.now());
    if (m.p === 'hello') void this.announce('hb');
  }

  private tick(): void {
    const live = this.feed.live;
    // while this process cannot hear, silence says nothing: no peer expires
    if (live && this.wasLive) this.replicas.expire(Date.now());
    this.wasLive = live;
    void this.announce('hb');
  }

  private async announce(p: PresenceMessage['p']): Promise<void> {
    try {
      await this.ds.query(`SELECT pg_notify($1, $2)`, [this.feed.channel, this.feed.encode({ k: 'rl', p })]);
    } catch (err) {
      this.log.debug({ err }, 'rate limit presence: announcement failed');
    }
  }
}
