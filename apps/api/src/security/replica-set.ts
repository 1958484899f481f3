/** How often a replica announces itself on the change feed, ms. */
export const HEARTBEAT_MS = 1_000;
/** A peer not heard from for this long is taken as gone (three heartbeats missed, and some), ms. */
export const PEER_EXPIRY_MS = 3_500;

/**
 * The other API replicas this process knows to be serving, from their announcements on the change
 * feed: `seen` on a hello or heartbeat, `gone` on a goodbye, and dropped by `expire` once silent
 * for `expiryMs` (a replica killed without a goodbye). `onCount` hears every change of the count
 * (this process included). Pure bookkeeping: the caller supplies the times and the messages.
 */
export class ReplicaSet {
  private readonly peers = new Map<string, number>();

  constructor(
    private readonly onCount: (replicas: number) => void,
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
    if (!known) this.onCount(this.count);
    return !known;
  }

  /** A peer said goodbye (shutting down). */
  gone(peer: string): void {
    if (this.peers.delete(peer)) this.onCount(this.count);
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
    if (dropped) this.onCount(this.count);
  }

  /**
   * Counts every known peer as heard from at `at`: after this process could not hear (its listener
   * was down), silence says nothing about the peers, so they get a full expiry period again.
   */
  refreshAll(at: number): void {
    for (const peer of this.peers.keys()) this.peers.set(peer, at);
  }
}
