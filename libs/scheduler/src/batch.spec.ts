import { packBatch, packBatchAsync } from './batch';
import { Fleet } from './fleet';
import type { FleetSpec, JobRequest, Objective } from './types';

// 10 PFLOPS draw 0.1 MW; green at 900 in [10, 14) is dearer than grid; grid is 100 in the valleys
const SPEC: FleetSpec = {
  slots: 48,
  clusters: [
    {
      id: 'a',
      capacityPflops: 100,
      kwPerPflops: 10,
      pue: 1,
      pricePerPflopsHour: 1,
      gridPricePerMwh: 500,
      gridPrices: [
        { start: 0, end: 8, pricePerMwh: 100 },
        { start: 24, end: 32, pricePerMwh: 100 },
      ],
      green: [{ start: 10, end: 14, mw: 1, pricePerMwh: 900 }],
    },
  ],
};

describe('packBatch', () => {
  it('places each job by its own objective when no other packing places more PFLOPS-hours', () => {
    const jobs: (JobRequest & { objective: Objective })[] = [
      { id: 'cheap', pflops: 10, hours: 2, earliest: 9, deadline: 40, objective: 'CHEAPEST' },
      { id: 'green', pflops: 10, hours: 2, earliest: 9, deadline: 40, objective: 'GREENEST' },
      { id: 'early', pflops: 10, hours: 2, earliest: 9, deadline: 40, objective: 'EARLIEST' },
    ];
    // what each job gets alone, by its objective, in this order (nothing competes for capacity)
    const alone = Fleet.fromSpec(SPEC);
    const want = jobs.map((j) => {
      const d = alone.place(j, j.objective);
      if (!d.ok) throw new Error(d.message);
      alone.commit(d.placement);
      return [j.id, d.placement.start];
    });
    expect(want).toEqual([
      ['cheap', 24],
      ['green', 10],
      ['early', 9],
    ]);
    const res = packBatch(Fleet.fromSpec(SPEC), jobs, { timeBudgetMs: Infinity });
    expect(res.unplaced).toEqual([]);
    // an all-EARLIEST packing places as much, with as much green and earlier starts: it must not win
    expect(res.placements.map((p) => [p.job, p.start]).sort()).toEqual(want.sort());
  });

  it('still moves a job off its objective when that places more', () => {
    // a 100-PFLOPS job that fits only in [24, 26) if the CHEAPEST job does not take the valley first
    const tight: FleetSpec = { ...SPEC, clusters: [{ ...SPEC.clusters[0], capacityPflops: 100 }] };
    const jobs: JobRequest[] = [
      { id: 'cheap', pflops: 10, hours: 2, earliest: 9, deadline: 40, objective: 'CHEAPEST' },
      { id: 'big', pflops: 100, hours: 2, earliest: 24, deadline: 26 },
    ];
    const res = packBatch(Fleet.fromSpec(tight), jobs, { timeBudgetMs: Infinity });
    expect(res.unplaced).toEqual([]);
    expect(res.pflopsHours).toBe(220);
    expect(res.placements.find((p) => p.job === 'cheap')!.start).not.toBe(24);
  });

  // found by a black-box review: the improvement pass, looking for room for a job that can never
  // fit, moved the others at equal PFLOPS-hours and left them there, still named as the greedy pass
  it('leaves the winning pass as it was when the improvement places nothing more', () => {
    const spec: FleetSpec = {
      slots: 11,
      clusters: [
        {
          id: 'c',
          capacityPflops: 100,
          kwPerPflops: 1,
          pue: 1,
          pricePerPflopsHour: 0,
          gridPricePerMwh: 0,
          green: [{ start: 2, end: 10, mw: 1, pricePerMwh: 500 }],
        },
      ],
    };
    const jobs: JobRequest[] = [
      { id: 'a', pflops: 100, hours: 3, earliest: 3, deadline: 11, objective: 'CHEAPEST' },
      { id: 'b', pflops: 200, hours: 4, earliest: 0, deadline: 4 },
    ];
    for (let seed = 1; seed <= 5; seed++) {
      const res = packBatch(Fleet.fromSpec(spec), jobs, { timeBudgetMs: Infinity, seed });
      // CHEAPEST: [8, 11) pays 2 h of green at 500 and 1 h of free grid; any earlier start pays more green
      expect(res.placements.map((p) => [p.job, p.start, p.price.total])).toEqual([['a', 8, 100]]);
      expect(res.strategy).toBe('arrival/own');
    }
  });

  it('a site no cluster is behind changes nothing', () => {
    const spec = (sites: FleetSpec['sites']): FleetSpec => ({
      slots: 37,
      ...(sites ? { sites } : {}),
      clusters: [
        {
          id: 'c',
          capacityPflops: 200,
          kwPerPflops: 1,
          pue: 1,
          pricePerPflopsHour: 0,
          gridPricePerMwh: 0,
          green: [{ start: 36, end: 38, mw: 1, pricePerMwh: 300 }],
        },
      ],
    });
    const jobs: JobRequest[] = [
      { id: 'a', pflops: 200, hours: 2, earliest: 16, deadline: 18 },
      { id: 'b', pflops: 200, hours: 20, earliest: 12, deadline: 37 },
    ];
    const plain = packBatch(Fleet.fromSpec(spec(undefined)), jobs, { timeBudgetMs: Infinity });
    const sited = packBatch(Fleet.fromSpec(spec([{ id: 's', gridMw: 2000 }])), jobs, { timeBudgetMs: Infinity });
    expect(plain.placements.map((p) => [p.job, p.start])).toEqual([['b', 12]]);
    expect(sited.placements).toEqual(plain.placements);
  });
});

describe('packBatchAsync', () => {
  it('packs exactly as packBatch, letting the event loop run between slices', async () => {
    // 3 clusters, 2,000 jobs over 96 slots: several passes of 1,024-job slices and improvement steps
    const spec: FleetSpec = {
      slots: 96,
      clusters: ['a', 'b', 'c'].map((id, k) => ({
        id,
        capacityPflops: 100 + 50 * k,
        kwPerPflops: 10,
        pue: 1.2,
        pricePerPflopsHour: 1 + k,
        gridPricePerMwh: 100,
        green: [{ start: 10 + 20 * k, end: 40 + 20 * k, mw: 0.5, pricePerMwh: 50 }],
      })),
    };
    let x = 7;
    const next = (n: number) => (x = (x * 48271) % 2147483647) % n;
    const jobs: JobRequest[] = Array.from({ length: 2000 }, (_, i) => {
      const earliest = next(80);
      const hours = 1 + next(8);
      return {
        id: `j${i}`,
        pflops: 5 + next(40),
        hours,
        earliest,
        deadline: Math.min(96, earliest + hours + next(24)),
        objective: (['EARLIEST', 'GREENEST', 'CHEAPEST'] as const)[i % 3],
        ...(i % 5 === 0 ? { minGreenShare: 0.3 } : {}),
      };
    });
    const opts = { timeBudgetMs: Number.MAX_SAFE_INTEGER, seed: 1, iterations: 200 };
    const sync = packBatch(Fleet.fromSpec(spec), jobs, opts);
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    // a slice of 0 ms: a turn of the event loop at every point the packing may pause
    const async = await packBatchAsync(Fleet.fromSpec(spec), jobs, opts, 0);
    ticking = false;
    expect(async).toEqual(sync);
    expect(turns).toBeGreaterThan(200);
  }, 60_000); // 3 s alone: a deadline for a stuck loop on a busy machine, not a speed check
});
