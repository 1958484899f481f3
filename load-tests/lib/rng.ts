import { mulberry32 } from '../../libs/scheduler/src/rng';

/** The project's seeded PRNG (mulberry32) so a run's request mix can be replayed. */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
