import { mergeRuns } from './ledger.service';

describe('mergeRuns: the rows a materialising pass made, one run per cluster', () => {
  it('joins the runs of consecutive statements, and keeps a gap visible (n < to - from)', () => {
    const r = (cluster: string, from: number, to: number, n = to - from, tflops = 100) => ({
      cluster,
      from,
      to,
      n,
      tflops,
    });
    expect(mergeRuns([r('b', 0, 24), r('a', 24, 48), r('b', 24, 48), r('a', 48, 60)])).toEqual([
      r('a', 24, 60),
      r('b', 0, 48),
    ]);
    const gap = mergeRuns([r('a', 0, 10), r('a', 20, 30)])[0];
    expect(gap.n < gap.to - gap.from).toBe(true);
  });
});
