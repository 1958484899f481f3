/**
 * Batch packing vs the exact MIP (HiGHS) on 30 small seeded instances (and 20 of them behind a
 * grid cap) (2-3 clusters, 48-168
 * slots, 25-40 jobs, no minGreenShare: the MIP maximises PFLOPS-hours only). HiGHS gets a short
 * time limit and a warm start from the batch solution, so the gap is measured against its proven
 * upper bound (>= the true gap). `npm run bench:scheduler` runs the same code with a longer limit.
 */
import { gapRow, gapSummary, gapTable, type GapRow } from '../bench/mip';
import { smallGridInstance, smallInstance } from '../bench/instances';

jest.setTimeout(120_000);

describe('batch packing vs MIP optimum', () => {
  const rows: GapRow[] = [];

  beforeAll(async () => {
    for (let seed = 1; seed <= 30; seed++)
      rows.push(await gapRow(seed, smallInstance(seed), 0.4, { iterations: 2000 }));

    console.log(gapTable(rows));
  });

  it('batch is never worse than online placement', () => {
    for (const r of rows) expect(r.batch).toBeGreaterThanOrEqual(r.online - 1e-9);
  });

  it('batch never exceeds the MIP bound (the model and the placer agree on feasibility)', () => {
    for (const r of rows) expect(r.batch).toBeLessThanOrEqual(r.bound * (1 + 1e-6) + 1e-6);
  });

  it('median batch gap to the best known solution is <= 2%, and well below online', () => {
    const s = gapSummary(rows);
    expect(s.medianBatchGapBestKnown).toBeLessThanOrEqual(0.02);
    expect(s.medianBatchGap).toBeLessThan(s.medianOnlineGap);
  });
});

describe('batch packing vs MIP optimum behind a grid cap', () => {
  // the same instances with all clusters on one site reserving 55 % of their full draw (35 % in
  // the evening peak): the MIP has the green take and one grid row per site-slot
  const rows: GapRow[] = [];

  beforeAll(async () => {
    for (let seed = 1; seed <= 20; seed++)
      rows.push(await gapRow(seed, smallGridInstance(seed), 0.4, { iterations: 2000 }));

    console.log(gapTable(rows));
  });

  it('the caps bind: the optimum is well below the one without them', async () => {
    const free = await gapRow(1, smallInstance(1), 0.4, { iterations: 2000 });
    expect(rows[0].batch).toBeLessThan(0.8 * free.batch);
  });

  it('batch is never worse than online and never exceeds the MIP bound (grid rows and placer agree on feasibility)', () => {
    for (const r of rows) {
      expect(r.batch).toBeGreaterThanOrEqual(r.online - 1e-9);
      expect(r.batch).toBeLessThanOrEqual(r.bound * (1 + 1e-6) + 1e-6);
    }
  });

  it('median batch gap to the best known solution is <= 2%, and well below online', () => {
    const s = gapSummary(rows);
    expect(s.medianBatchGapBestKnown).toBeLessThanOrEqual(0.02);
    expect(s.medianBatchGap).toBeLessThan(s.medianOnlineGap);
  });
});
