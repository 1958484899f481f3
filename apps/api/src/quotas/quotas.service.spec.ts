import { heldTflops, QuotasService, shareLimitTflops, worstWeek } from './quotas.service';

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
    const busy = {
      id: 'b',
      name: 'busy',
      held: Int32Array.from([30_000, 30_000, 30_000, 30_000]),
      capacityAt: () => 100_000,
    };
    // `busy` is 20 over everywhere; on `mixed` every start is 15 over at its worst hour, and the earliest wins
    const mixed = {
      id: 'm',
      name: 'mixed',
      held: Int32Array.from([20_000, 25_000, 0, 10_000]),
      capacityAt: (s: number) => (s < 3 ? 100_000 : 50_000),
    };
    const e = svc.shareExceeded(0.3, [busy, mixed], 4, 2, 20_000, T0);
    // start 0 on mixed: hour 0 is 20 + 20 - 30 = 10 over, hour 1 is 25 + 20 - 30 = 15 over
    expect(e.details).toEqual({
      limit: 'CLUSTER_SHARE',
      over: 15,
      clusterId: 'm',
      hour: new Date(T0 + 3_600_000).toISOString(),
    });
    expect(e.message).toContain(
      `on cluster mixed at ${new Date(T0 + 3_600_000).toISOString()} that is 30 PFLOPS, the startup already holds 25 PFLOPS and asks 20 more, over the limit by 15 PFLOPS`,
    );
  });
});

describe('the 7-day rule: worstWeek and weeklyExcess', () => {
  const svc = new QuotasService(undefined as never, undefined as never);
  const H = 3_600_000;
  // starts at epoch hours 100, 200 and 260 of 10, 20 and 5 PFLOPS-hours (TFLOPS-hours here)
  const usage = [
    { h: 100, tflopsHours: 10_000 },
    { h: 200, tflopsHours: 20_000 },
    { h: 260, tflopsHours: 5_000 },
  ];

  it('finds the fullest 7-day window holding the start, the earliest of equals', () => {
    // windows [t, t + 168) with t in (250 - 168, 250]: from t = 93 all three starts are in, from 101 the first is out
    expect(worstWeek(usage, 250)).toEqual({ t: 93, used: 35_000 });
    // a start 168 h or more away never shares a window with this one
    expect(
      worstWeek(
        [
          { h: 82, tflopsHours: 1 },
          { h: 418, tflopsHours: 1 },
        ],
        250,
      ),
    ).toEqual({ t: 83, used: 0 });
    expect(
      worstWeek(
        [
          { h: 83, tflopsHours: 1 },
          { h: 417, tflopsHours: 2 },
        ],
        250,
      ),
    ).toEqual({ t: 250, used: 2 });
    expect(worstWeek([], 250)).toEqual({ t: 83, used: 0 });
  });

  it('allows exactly the limit and refuses the least bit over it, naming the window and the excess', () => {
    expect(svc.weeklyExcess(100, usage, 250, 65_000, 1)).toBeNull();
    expect(svc.weeklyExcess(100, usage, 250, 32_500, 2)).toBeNull();
    const e = svc.weeklyExcess(100, usage, 250, 65_001, 1)!;
    expect(e.details).toEqual({
      limit: 'PFLOPS_HOURS_PER_7_DAYS',
      over: 0.001,
      windowStart: new Date(93 * H).toISOString(),
      windowEnd: new Date((93 + 168) * H).toISOString(),
    });
    expect(e.message).toBe(
      `access rule exceeded: at most 100 PFLOPS-hours per rolling 7 days; bookings starting between ${new Date(93 * H).toISOString()} and ${new Date((93 + 168) * H).toISOString()} ` +
        'would total 100.001 PFLOPS-hours (35 already booked + 65.001 of this one), over the limit by 0.001 PFLOPS-hours',
    );
    // later, the first start has left every window holding the new one
    expect(svc.weeklyExcess(100, usage, 268, 75_000, 1)).toBeNull();
    expect(svc.weeklyExcess(0, [], 250, 1, 1)?.details).toMatchObject({
      limit: 'PFLOPS_HOURS_PER_7_DAYS',
      over: 0.001,
    });
  });

  it('weeklyHeadroom: what a start this hour could still take, never below 0; null without the rule', async () => {
    const rows = [
      { h: 100, th: '30000' },
      { h: 150, th: '45500' },
    ];
    const withRows = new QuotasService({ query: async () => rows } as never, undefined as never);
    expect(await withRows.weeklyHeadroom('a', null, 150 * H)).toBeNull();
    expect(await withRows.weeklyHeadroom('a', 100, 150 * H + 1)).toBe(24.5);
    expect(await withRows.weeklyHeadroom('a', 50, 150 * H)).toBe(0);
    // 168 h after it, the first start has left every window holding this hour
    expect(await withRows.weeklyHeadroom('a', 100, 267 * H)).toBe(24.5);
    expect(await withRows.weeklyHeadroom('a', 100, 268 * H)).toBe(54.5);
  });
});

describe('heldTflops: a startup’s TFLOPS per cluster and hour of a range', () => {
  it('sums overlapping bookings, clipped to the range, for the clusters asked only', () => {
    const rows = [
      { cluster_id: 'c1', h: 8, hours: 4, tflops: 1_000 },
      { cluster_id: 'c1', h: 11, hours: 2, tflops: 500 },
      { cluster_id: 'c2', h: 14, hours: 10, tflops: 7 },
      { cluster_id: 'c3', h: 10, hours: 1, tflops: 99 },
    ];
    const held = heldTflops(rows, ['c1', 'c2'], 10, 6);
    expect([...held.keys()]).toEqual(['c1', 'c2']);
    expect([...held.get('c1')!]).toEqual([1_000, 1_500, 500, 0, 0, 0]);
    expect([...held.get('c2')!]).toEqual([0, 0, 0, 0, 7, 7]);
    expect([...heldTflops([], ['c1'], 10, 2).get('c1')!]).toEqual([0, 0]);
  });
});
