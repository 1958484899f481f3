import { packBatch } from './batch';
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
});
