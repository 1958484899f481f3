import { QuotasService, shareLimitTflops } from './quotas.service';

describe('cluster share arithmetic', () => {
  const svc = new QuotasService(undefined as never, undefined as never);
  const T0 = Date.UTC(2030, 0, 1);

  it('the share limit is whole TFLOPS, rounded down, and exact at representable shares', () => {
    expect(shareLimitTflops(0.3, 100_000)).toBe(30_000);
    expect(shareLimitTflops(1 / 3, 100_000)).toBe(33_333);
    expect(shareLimitTflops(0.07, 1_000)).toBe(70);
    expect(shareLimitTflops(1, 2_100_000_000)).toBe(2_100_000_000);
  });

  it('reports the least excess over every start and cluster, measured at the worst hour of that start', () => {
    const busy = { name: 'busy', held: Int32Array.from([30_000, 30_000, 30_000, 30_000]), capacityAt: () => 100_000 };
    // `busy` is 20 over everywhere; on `mixed` every start is 15 over at its worst hour, and the earliest wins
    const mixed = { name: 'mixed', held: Int32Array.from([20_000, 25_000, 0, 10_000]), capacityAt: (s: number) => (s < 3 ? 100_000 : 50_000) };
    const e = svc.shareExceeded(0.3, [busy, mixed], 4, 2, 20_000, T0);
    // start 0 on mixed: hour 0 is 20 + 20 - 30 = 10 over, hour 1 is 25 + 20 - 30 = 15 over
    expect(e.details).toEqual({ limit: 'CLUSTER_SHARE', over: 15 });
    expect(e.message).toContain(`on cluster mixed at ${new Date(T0 + 3_600_000).toISOString()} that is 30 PFLOPS, the startup already holds 25 PFLOPS and asks 20 more, over the limit by 15 PFLOPS`);
  });
});
