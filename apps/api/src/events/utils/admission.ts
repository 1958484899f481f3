/**
 * A weighted first-come semaphore: at most `budget` units held at once. Live events use it so
 * that what a process holds between reading an event's figures and handing them to the socket is
 * bounded by the budget, not by the number of subscribers times the size of a change. A unit held
 * longer than `holdMs` is given back by itself: by then its payload was written out or sits in a
 * stalled client's socket, and a reader that never reads must not stall everyone else's events.
 */
export class Admission {
  private used = 0;
  private readonly waiting: { units: number; go: () => void }[] = [];

  constructor(
    readonly budget: number,
    readonly holdMs: number,
  ) {}

  /** Units held now (for tests and metrics). */
  get held(): number {
    return this.used;
  }

  /** Requests waiting for units now (metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves once `units` (at most the whole budget: a change larger than the budget waits until
   * nothing else is held) are free, in arrival order, with the function that gives them back
   * (idempotent).
   */
  acquire(units: number): Promise<() => void> {
    const n = Math.min(Math.max(1, Math.ceil(units)), this.budget);
    return new Promise((resolve) => {
      const go = () => {
        this.used += n;
        let held = true;
        const release = () => {
          if (!held) return;
          held = false;
          clearTimeout(timer);
          this.used -= n;
          this.wakeWaiting();
        };
        const timer = setTimeout(release, this.holdMs);
        timer.unref();
        resolve(release);
      };
      if (this.waiting.length === 0 && this.used + n <= this.budget) go();
      else this.waiting.push({ units: n, go });
    });
  }

  private wakeScheduled = false;

  /**
   * Admits who now fits, in the next turn of the event loop: the chain of releases and deliveries
   * runs in callbacks of sockets written synchronously, and would otherwise not let a single
   * request in until the last subscriber had its event.
   */
  private wakeWaiting(): void {
    if (this.wakeScheduled || this.waiting.length === 0) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      while (this.waiting.length > 0 && this.used + this.waiting[0].units <= this.budget) this.waiting.shift()!.go();
    });
  }
}
