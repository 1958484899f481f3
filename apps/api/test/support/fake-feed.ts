import { randomUUID } from 'node:crypto';
import type { ChangeFeed, FeedMessage } from '../../src/events/change-feed.service';
import type { FakeLedger } from './fake-ledger';

/**
 * The change feed of one API process without LISTEN: what ChangeFeed offers its subscribers
 * (`on`, `onResync`, `encode`, `channel`, `live`), fed by a FakeLedger's committed notifications
 * (`attach`) or by hand (`deliver`). `pause` holds messages back as a slow network would.
 */
export class FakeFeed {
  readonly instance = randomUUID();
  live = true;
  /** every message dispatched, in order */
  readonly received: FeedMessage[] = [];
  private readonly handlers = new Map<string, ((m: FeedMessage) => void)[]>();
  private readonly resyncs: (() => void)[] = [];
  private held: string[] | null = null;

  constructor(readonly channel = 'pflex_events') {}

  /** As the services take it (they use only what this class has). */
  get asChangeFeed(): ChangeFeed {
    return this as unknown as ChangeFeed;
  }

  on<M extends FeedMessage>(kind: string, fn: (m: M) => void): void {
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), fn as (m: FeedMessage) => void]);
  }

  onResync(fn: () => void): void {
    this.resyncs.push(fn);
  }

  encode(m: Omit<FeedMessage, 'o'> & Record<string, unknown>): string {
    return JSON.stringify({ o: this.instance, ...m });
  }

  /** Receives what `ledger` commits on this feed's channel. */
  attach(ledger: FakeLedger): this {
    ledger.listen((channel, payload) => {
      if (channel === this.channel) this.deliver(payload);
    });
    return this;
  }

  deliver(payload: string): void {
    if (this.held) {
      this.held.push(payload);
      return;
    }
    const m = JSON.parse(payload) as FeedMessage;
    this.received.push(m);
    for (const fn of this.handlers.get(m.k) ?? []) fn(m);
  }

  pause(): void {
    this.held ??= [];
  }

  /** Delivers the held messages that `keep` accepts; the others are lost. */
  resume(keep: (payload: string) => boolean = () => true): void {
    const q = this.held ?? [];
    this.held = null;
    for (const p of q) if (keep(p)) this.deliver(p);
  }

  /** The listener reconnected: subscribers reload what the feed keeps current. */
  resync(): void {
    for (const fn of this.resyncs) fn();
  }
}
