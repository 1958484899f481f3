/** How often a replica announces itself on the change feed, ms. */
export const HEARTBEAT_MS = 1_000;
/** A peer not heard from for this long is taken as gone (three heartbeats missed, and some), ms. */
export const PEER_EXPIRY_MS = 3_500;

/** Replica ids remembered as once heard from, at most (a few per restart; bounds memory). */
const REMEMBERED_IDS = 10_000;

/**
 * The other API replicas this process knows to be serving, from their announcements on the change
 * feed: `seen` on a hello or heartbeat, `gone` on a goodbye, and dropped by `expire` once silent
 * for `expiryMs` (a replica killed without a goodbye). `onCount` hears every change of the count
 * (this process included), and whether it is a **newcomer**: a replica id never heard from
 * before (a process that just started, with full buckets of its own). One heard again after a
 * silence (its event loop was blocked, its listener was down) kept its buckets all along: it is
 * counted again, but it is no newcomer. Pure bookkeeping: the caller supplies the times and the
 * messages.
 */
export class ReplicaSet {
  private readonly peers = new Map<string, number>();
  /** every peer id heard from, oldest first */
  private readonly ever = new Set<string>();

  constructor(
    private readonly onCount: (replicas: number, newcomer: boolean) => void,
    readonly expiryMs = PEER_EXPIRY_MS,
  ) {}

  /** Live replicas, this one included. */
  get count(): number {
    return this.peers.size + 1;
  }

  /** A peer announced itself at `at`; true when it was not known. Complexity: O(1). */
  seen(peer: string, at: number): boolean {
    const known = this.peers.has(peer);
    this.peers.set(peer, at);
    if (!known) {
      const newcomer = !this.ever.has(peer);
      if (newcomer) {
        if (this.ever.size >= REMEMBERED_IDS) this.ever.delete(this.ever.values().next().value as string);
        this.ever.add(peer);
      }
      this.onCount(this.count, newcomer);
    }
    return !known;
  }

  /** A peer said goodbye (shutting down). */
  gone(peer: string): void {
    if (this.peers.delete(peer)) this.onCount(this.count, false);
  }

  /** Forgets the peers silent since `at - expiryMs`. Complexity: O(peers). */
  expire(at: number): void {
    let dropped = false;
    for (const [peer, last] of this.peers) {
      if (at - last > this.expiryMs) {
        this.peers.delete(peer);
        dropped = true;
      }
    }
    if (dropped) this.onCount(this.count, false);
  }

  /**
   * Counts every known peer as heard from at `at`: after this process could not hear (its listener
   * was down), silence says nothing about the peers, so they get a full expiry period again.
   */
  refreshAll(at: number): void {
    for (const peer of this.peers.keys()) this.peers.set(peer, at);
  }
}
