import {
  CLUSTER_LIMITS,
  Fleet,
  MAX_PFLOPS,
  packBatch,
  PlacementBuffer,
  SchedulerConflictError,
  SchedulerInputError,
  priceOf,
  type ClusterSpec,
  type FleetSpec,
  type JobRequest,
  type Placement,
} from './index';
import { referencePlace } from '../test/reference-placer';

function cluster(id: string, over: Partial<ClusterSpec> = {}): ClusterSpec {
  return { id, capacityPflops: 10, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 100, ...over };
}

function fleetOf(slots: number, ...clusters: ClusterSpec[]): Fleet {
  return Fleet.fromSpec({ slots, clusters });
}

function placed(f: Fleet, job: JobRequest, obj?: 'EARLIEST' | 'GREENEST' | 'CHEAPEST'): Placement {
  const d = f.place(job, obj);
  if (!d.ok) throw new Error(`expected a placement, got ${d.reason}: ${d.message}`);
  return d.placement;
}

function snapshot(f: Fleet): string {
  const parts: number[] = [];
  for (const id of f.clusterIds) {
    const t = f.timeline(id);
    parts.push(...t.capacityTflops, ...t.freeTflops, ...t.greenSupplyW, ...t.greenFreeW, ...t.greenPriceWeight);
  }
  return parts.join(',');
}

describe('Fleet.fromSpec validation', () => {
  const ok: FleetSpec = { slots: 24, clusters: [cluster('a')] };

  it('accepts a valid spec and exposes ids and slots', () => {
    const f = Fleet.fromSpec(ok);
    expect(f.slots).toBe(24);
    expect(f.clusterIds).toEqual(['a']);
    expect(f.clusterIndex('a')).toBe(0);
    expect(f.clusterIndex('zz')).toBe(-1);
    expect(f.capacityTflops('a', 0)).toBe(10000);
    expect(f.bytesPerClusterSlot()).toBeLessThanOrEqual(32);
  });

  it.each([
    [{ slots: 0, clusters: [cluster('a')] }, 'slots'],
    [{ slots: 24, clusters: [cluster('a'), cluster('a')] }, 'clusters[1].id'],
    [{ slots: 24, clusters: [cluster('a', { capacityPflops: -1 })] }, 'clusters[0].capacityPflops'],
    [{ slots: 24, clusters: [cluster('a', { capacityPflops: 1.0001 })] }, 'clusters[0].capacityPflops'],
    [{ slots: 24, clusters: [cluster('a', { pue: Number.NaN })] }, 'clusters[0].pue'],
    [
      { slots: 24, clusters: [cluster('a', { capacityChanges: [{ start: 20, end: 20, capacityPflops: 1 }] })] },
      'clusters[0].capacityChanges[0].end',
    ],
    [
      { slots: 24, clusters: [cluster('a', { capacityChanges: [{ start: 2, end: 30, capacityPflops: -1 }] })] },
      'clusters[0].capacityChanges[0].capacityPflops',
    ],
    [
      { slots: 24, clusters: [cluster('a', { capacityChanges: [{ start: 0.5, end: 30, capacityPflops: 1 }] })] },
      'clusters[0].capacityChanges[0].start',
    ],
    [{ slots: 24, clusters: [cluster('a', { kwPerPflops: 10_000.5 })] }, 'clusters[0].kwPerPflops'],
    [{ slots: 24, clusters: [cluster('a', { kwPerPflops: 0 })] }, 'clusters[0].kwPerPflops'],
    [{ slots: 24, clusters: [cluster('a', { pue: 0.9 })] }, 'clusters[0].pue'],
    [{ slots: 24, clusters: [cluster('a', { gridPricePerMwh: -1 })] }, 'clusters[0].gridPricePerMwh'],
    [
      {
        slots: 24,
        clusters: [
          cluster('a', {
            green: [
              { start: 0, end: 2, mw: 1, pricePerMwh: 1 },
              { start: 5, end: 3, mw: 1, pricePerMwh: 1 },
            ],
          }),
        ],
      },
      'clusters[0].green[1].end',
    ],
    [
      { slots: 24, clusters: [cluster('a', { green: [{ start: 0, end: 2, mw: -1, pricePerMwh: 1 }] })] },
      'clusters[0].green[0].mw',
    ],
  ])('rejects %j naming %s', (spec, field) => {
    expect(() => Fleet.fromSpec(spec as FleetSpec)).toThrow(SchedulerInputError);
    try {
      Fleet.fromSpec(spec);
    } catch (e) {
      expect((e as SchedulerInputError).field).toBe(field);
      expect((e as SchedulerInputError).code).toBe('INVALID');
      expect((e as Error).message.startsWith(field + ' must be')).toBe(true);
    }
  });
});

describe('request validation at place/quote/commit', () => {
  const f = fleetOf(24, cluster('a'), cluster('b'));
  const base: JobRequest = { id: 'j3', pflops: 1, hours: 2, earliest: 0, deadline: 24 };

  it('names the field with the job id', () => {
    expect(() => f.place({ ...base, pflops: -2 })).toThrow(
      'job j3: pflops must be a positive number with at most 3 decimals (at most 2000000), got -2',
    );
    // the limits are in the message
    expect(() => f.place({ ...base, hours: 10_000_001 })).toThrow('hours must be an integer in [1, 10000000]');
    expect(() => f.place({ ...base, deadline: 2_000_000_001 })).toThrow('deadline must be an integer slot of at most');
    // the one 3-decimals rule (decimalPlaces), not a tolerance that lets 1e-7 through
    expect(() => f.place({ ...base, pflops: 1.0000000001 })).toThrow('pflops must be a positive number with at most 3');
    expect(f.place({ ...base, pflops: 1.001 }).ok).toBe(true);
  });

  it('refuses what is not a job or a buffer with SchedulerInputError, not a TypeError', () => {
    expect(() => f.place(null as unknown as JobRequest)).toThrow(SchedulerInputError);
    expect(() => f.place(undefined as unknown as JobRequest)).toThrow(SchedulerInputError);
    expect(() => f.placeInto(base, 'EARLIEST', {} as PlacementBuffer)).toThrow(SchedulerInputError);
    expect(() => packBatch(f, null as unknown as JobRequest[])).toThrow(SchedulerInputError);
  });

  it.each([
    [{ pflops: Number.NaN }, 'pflops'],
    [{ pflops: 0 }, 'pflops'],
    [{ pflops: 1.2345 }, 'pflops'],
    [{ hours: 1.5 }, 'hours'],
    [{ hours: 0 }, 'hours'],
    [{ deadline: 1 }, 'deadline'],
    [{ clusters: ['a', 'nope'] }, 'clusters[1]'],
    [{ clusters: [] }, 'clusters'],
    [{ minGreenShare: 1.5 }, 'minGreenShare'],
    [{ minGreenShare: -0.1 }, 'minGreenShare'],
    [{ objective: 'FASTEST' }, 'objective'],
  ])('%j -> %s, nothing changed', (patch, field) => {
    const before = snapshot(f);
    const job = { ...base, ...patch } as JobRequest;
    for (const call of [
      () => f.place(job),
      () => f.quote(job),
      () => f.placeInto(job, 'GREENEST', new PlacementBuffer()),
    ]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SchedulerInputError);
      expect((err as SchedulerInputError).field).toBe(field);
      expect((err as Error).message).toContain(`job j3: ${field} must be`);
    }
    expect(snapshot(f)).toBe(before);
  });

  it('rejects malformed placements at commit without changing anything', () => {
    const p = placed(f, base);
    const before = snapshot(f);
    expect(() => f.commit({ ...p, cluster: 'zz' })).toThrow(SchedulerInputError);
    expect(() => f.commit({ ...p, start: 23 })).toThrow(SchedulerInputError);
    expect(() => f.commit({ ...p, greenW: new Int32Array([5]) })).toThrow(SchedulerInputError);
    expect(() => f.commit({ ...p, greenW: new Int32Array([-1, 0]) })).toThrow(SchedulerInputError);
    expect(snapshot(f)).toBe(before);
  });
});

describe('EARLIEST and horizon edges', () => {
  it('uses the first slot of the horizon', () => {
    const f = fleetOf(10, cluster('a'));
    expect(placed(f, { pflops: 10, hours: 3, earliest: 0, deadline: 10 }).start).toBe(0);
  });

  it('uses the last slots of the horizon and clips the deadline to it', () => {
    const f = fleetOf(10, cluster('a'));
    f.setCapacity('a', 0, 7, 0);
    const p = placed(f, { pflops: 10, hours: 3, earliest: 0, deadline: 50 });
    expect([p.start, p.end]).toEqual([7, 10]);
    const q = f.place({ pflops: 10, hours: 4, earliest: 0, deadline: 50 });
    expect(q).toMatchObject({ ok: false, reason: 'NO_CAPACITY' });
  });

  it('refuses OUTSIDE_HORIZON when no start fits inside the horizon at all', () => {
    const f = fleetOf(10, cluster('a'));
    expect(f.place({ pflops: 1, hours: 3, earliest: 8, deadline: 20 })).toMatchObject({
      ok: false,
      reason: 'OUTSIDE_HORIZON',
    });
    expect(f.place({ pflops: 1, hours: 11, earliest: 0, deadline: 20 })).toMatchObject({
      ok: false,
      reason: 'OUTSIDE_HORIZON',
    });
  });

  it('needs capacity in every slot and honours earliest and deadline', () => {
    const f = fleetOf(24, cluster('a'));
    f.commit(placed(f, { pflops: 6, hours: 2, earliest: 5, deadline: 24 }));
    // 4 PFLOPS free in [5,7): a 4 PFLOPS job fits at 3, a 6 PFLOPS one of 3 h must wait until 7
    expect(placed(f, { pflops: 4, hours: 3, earliest: 3, deadline: 24 }).start).toBe(3);
    expect(placed(f, { pflops: 6, hours: 3, earliest: 3, deadline: 24 }).start).toBe(7);
    expect(f.place({ pflops: 6, hours: 3, earliest: 3, deadline: 9 })).toMatchObject({
      ok: false,
      reason: 'NO_CAPACITY',
    });
  });

  it('breaks ties by earlier start, then by the earlier cluster in the job list', () => {
    const f = fleetOf(24, cluster('a'), cluster('b'));
    f.setCapacity('a', 0, 4, 0);
    expect(placed(f, { pflops: 1, hours: 2, earliest: 0, deadline: 24 }).cluster).toBe('b');
    f.setCapacity('b', 0, 4, 0);
    expect(placed(f, { pflops: 1, hours: 2, earliest: 0, deadline: 24 }).cluster).toBe('a');
    expect(placed(f, { pflops: 1, hours: 2, earliest: 0, deadline: 24, clusters: ['b', 'a'] }).cluster).toBe('b');
  });

  it('skips blocked 64- and 4096-slot blocks on a long horizon and agrees with the reference', () => {
    const f = fleetOf(10_000, cluster('a'), cluster('b'));
    f.setCapacity('a', 0, 8190, 0);
    f.setCapacity('a', 8200, 10_000, 0);
    f.setCapacity('b', 0, 9000, 0);
    for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as const) {
      const job = { pflops: 2, hours: 10, earliest: 1, deadline: 10_000 };
      const p = placed(f, job, obj);
      expect([p.cluster, p.start]).toEqual(['a', 8190]);
      expect(referencePlace(f, job, obj)).toMatchObject({ clusterIndex: 0, start: 8190 });
    }
    expect(f.place({ pflops: 2, hours: 11, earliest: 0, deadline: 9005 })).toMatchObject({
      ok: false,
      reason: 'NO_CAPACITY',
    });
    expect(placed(f, { pflops: 2, hours: 11, earliest: 0, deadline: 10_000 })).toMatchObject({
      cluster: 'b',
      start: 9000,
    });
  });
});

describe('capacity changes', () => {
  it('refuses a cut below booked work starting mid-booking and changes nothing', () => {
    const f = fleetOf(24, cluster('a'));
    const h = f.commit(placed(f, { pflops: 8, hours: 6, earliest: 4, deadline: 24 }));
    const before = snapshot(f);
    expect(() => f.setCapacity('a', 7, 12, 5)).toThrow(SchedulerConflictError);
    expect(() => f.setCapacity('a', 7, 12, 5)).toThrow(/slot 7 has 8 PFLOPS booked; nothing changed/);
    expect(snapshot(f)).toBe(before);
    f.setCapacity('a', 7, 12, 8);
    expect(f.freeTflops('a', 8)).toBe(0);
    f.release(h);
    f.setCapacity('a', 7, 12, 5);
    expect(f.capacityTflops('a', 11)).toBe(5000);
    expect(f.capacityTflops('a', 12)).toBe(10000);
  });

  it('capacityChanges in the spec set capacity over [start, end)', () => {
    const f = fleetOf(24, cluster('a', { capacityChanges: [{ start: 3, end: 5, capacityPflops: 2.5 }] }));
    expect([
      f.capacityTflops('a', 2),
      f.capacityTflops('a', 3),
      f.capacityTflops('a', 4),
      f.capacityTflops('a', 5),
    ]).toEqual([10000, 2500, 2500, 10000]);
    expect(placed(f, { pflops: 3, hours: 4, earliest: 0, deadline: 24 }).start).toBe(5);
  });
});

describe('green supply, allocation and pricing', () => {
  const spec = (): ClusterSpec =>
    cluster('a', {
      kwPerPflops: 1.1,
      pue: 1.25,
      pricePerPflopsHour: 8.5,
      gridPricePerMwh: 650,
      green: [
        { start: 2, end: 6, mw: 0.001, pricePerMwh: 100 },
        { start: 4, end: 8, mw: 0.003, pricePerMwh: 200 },
      ],
    });

  it('adds overlapping windows and prices them by MW-weighted average', () => {
    const f = fleetOf(12, spec());
    expect([1, 2, 4, 6, 8].map((t) => f.greenSupplyW('a', t))).toEqual([0, 1000, 4000, 3000, 0]);
    expect(f.greenPricePerMwh('a', 4)).toBeCloseTo(175, 12);
    expect(f.greenPricePerMwh('a', 2)).toBe(100);
    expect(f.greenPricePerMwh('a', 1)).toBe(0);
    f.addGreenWindow('a', { start: 0, end: 1, mw: 0.002, pricePerMwh: 50 });
    expect(f.greenSupplyW('a', 0)).toBe(2000);
    expect(() => f.addGreenWindow('a', { start: 3, end: 3, mw: 1, pricePerMwh: 1 })).toThrow(
      /window.end must be > start \(3\), got 3/,
    );
    expect(() => f.addGreenWindow('a', { start: 3, end: 5, mw: -1, pricePerMwh: 1 })).toThrow(
      /window.mw must be a non-negative number/,
    );
  });

  it('clips green windows and capacity changes that reach outside the horizon to [0, slots)', () => {
    // 48 slots, a window over [40, 50) and one over [-5, 2): forecasts run past the horizon
    const f = fleetOf(
      48,
      cluster('a', {
        green: [
          { start: 40, end: 50, mw: 0.001, pricePerMwh: 100 },
          { start: -5, end: 2, mw: 0.002, pricePerMwh: 100 },
          { start: 60, end: 70, mw: 0.004, pricePerMwh: 100 },
        ],
        capacityChanges: [
          { start: 46, end: 100, capacityPflops: 4 },
          { start: -3, end: 1, capacityPflops: 5 },
          { start: 50, end: 60, capacityPflops: 0 },
        ],
      }),
    );
    expect([0, 1, 2, 39, 40, 47].map((t) => f.greenSupplyW('a', t))).toEqual([2000, 2000, 0, 0, 1000, 1000]);
    expect([0, 1, 45, 46, 47].map((t) => f.capacityTflops('a', t))).toEqual([5000, 10000, 10000, 4000, 4000]);
    f.addGreenWindow('a', { start: 44, end: 1000, mw: 0.001, pricePerMwh: 300 });
    expect(f.greenSupplyW('a', 47)).toBe(2000);
    expect(f.greenPricePerMwh('a', 47)).toBeCloseTo(200, 12);
    f.setCapacity('a', -10, 2, 3);
    expect([0, 1, 2].map((t) => f.capacityTflops('a', t))).toEqual([3000, 3000, 10000]);
    f.setCapacity('a', 47, 49, 1);
    expect(f.capacityTflops('a', 47)).toBe(1000);
  });

  it('keeps exact answers at the extremes of CLUSTER_LIMITS (kwPerPflops 10,000, PUE 10, MAX_PFLOPS)', () => {
    const big = cluster('a', {
      capacityPflops: MAX_PFLOPS,
      kwPerPflops: CLUSTER_LIMITS.kwPerPflops.max,
      pue: CLUSTER_LIMITS.pue.max,
      pricePerPflopsHour: CLUSTER_LIMITS.pricePerPflopsHour.max,
      gridPricePerMwh: CLUSTER_LIMITS.gridPricePerMwh.max,
      green: [
        { start: 2, end: 6, mw: 1500, pricePerMwh: 10 },
        { start: 4, end: 9, mw: 500, pricePerMwh: 20 },
      ],
    });
    const f = fleetOf(
      12,
      big,
      cluster('b', {
        kwPerPflops: CLUSTER_LIMITS.kwPerPflops.max,
        green: [{ start: 0, end: 12, mw: 0.5, pricePerMwh: 1 }],
      }),
    );
    const job = { pflops: MAX_PFLOPS, hours: 3, earliest: 0, deadline: 12, clusters: ['a'] };
    for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as const) {
      const p = placed(f, job, obj);
      const r = referencePlace(f, job, obj);
      if (typeof r === 'string') throw new Error(r);
      expect([p.clusterIndex, p.start, Math.round(p.greenMwh * 1e6)]).toEqual([r.clusterIndex, r.start, r.greenWh]);
      expect(p.price.total).toBeCloseTo(r.total, 0);
    }
    const p = placed(f, job, 'GREENEST');
    // draw 2e6 PF x 10,000 kW x 10 = 2e14 W: far beyond Int32, kept as an exact double
    expect(p.drawW).toBe(2e14);
    expect(p.start).toBe(3);
    expect(Array.from(p.greenW)).toEqual([1.5e9, 2e9, 2e9]);
    const h = f.commit(p);
    expect(f.greenAllocW('a', 4)).toBe(2e9);
    // draw 1e5 W: the first 3 h of full green left are [6, 9)
    expect(f.place({ ...job, pflops: 0.001 }, 'GREENEST')).toMatchObject({
      ok: true,
      placement: { start: 6, greenW: Int32Array.from([1e5, 1e5, 1e5]) },
    });
    // draw 1e8 W, half of it green: [0, 3) has 1e8 Wh of green, [1, 6) is full, [6, 9) has 3e8
    expect(f.place({ ...job, pflops: 1, minGreenShare: 0.5 })).toMatchObject({ ok: true, placement: { start: 6 } });
    f.release(h);
    expect(f.greenAllocW('a', 4)).toBe(0);
    // a share of 1 with a draw of 1e8 W on b (0.5 MW of green): a shortfall, not an overflow
    expect(
      f.place({ pflops: 1, hours: 2, earliest: 0, deadline: 12, clusters: ['b'], minGreenShare: 1 }),
    ).toMatchObject({ ok: false, reason: 'GREEN_SHORTFALL' });
    expect(placed(f, { pflops: 1, hours: 2, earliest: 0, deadline: 12, clusters: ['b'] }).greenShare).toBeCloseTo(
      0.5e6 / 1e7,
      12,
    );
  });

  it('takes min(draw, free green) per slot and prices compute + green + grid', () => {
    const f = fleetOf(12, spec());
    // draw = 2 * 1.1 * 1.25 * 1000 = 2750 W
    const p = placed(f, { pflops: 2, hours: 3, earliest: 3, deadline: 12 });
    expect(p.drawW).toBe(2750);
    expect(p.start).toBe(3);
    expect(Array.from(p.greenW)).toEqual([1000, 2750, 2750]);
    expect(p.greenMwh).toBeCloseTo(0.0065, 12);
    expect(p.energyMwh).toBeCloseTo(0.00825, 12);
    const expected = priceOf({
      pflops: 2,
      hours: 3,
      pricePerPflopsHour: 8.5,
      gridPricePerMwh: 650,
      drawW: 2750,
      greenW: [1000, 2750, 2750],
      greenPricePerMwh: [100, 175, 175],
    });
    expect(p.price.compute).toBe(51);
    expect(p.price.total).toBeCloseTo(expected.total, 9);
    expect(p.price.greenEnergy).toBeCloseTo((1000 * 100 + 2 * 2750 * 175) / 1e6, 12);
    expect(p.price.gridEnergy).toBeCloseTo(((8250 - 6500) * 650) / 1e6, 12);
  });

  it('GREENEST takes the greenest start (ties: earlier start) and green is booked like capacity', () => {
    const f = fleetOf(12, spec());
    const job = { pflops: 2, hours: 2, earliest: 0, deadline: 12, objective: 'GREENEST' as const };
    const p = placed(f, job);
    expect(p.start).toBe(4);
    expect(p.greenMwh).toBeCloseTo(0.0055, 12);
    f.commit(p);
    expect(f.greenAllocW('a', 4)).toBe(2750);
    expect(f.greenAllocW('a', 5)).toBe(2750);
    // remaining green: slot 2,3: 1000; 4,5: 1250; 6,7: 3000 -> best 2-slot window is [6,8)
    expect(placed(f, job).start).toBe(6);
  });

  it('CHEAPEST prefers cheap green over the grid and the cheaper cluster', () => {
    const f = fleetOf(
      12,
      spec(),
      cluster('b', { kwPerPflops: 1.1, pue: 1.25, pricePerPflopsHour: 8.5, gridPricePerMwh: 600 }),
    );
    const job = { pflops: 2, hours: 2, earliest: 0, deadline: 12, objective: 'CHEAPEST' as const };
    const p = placed(f, job);
    expect([p.cluster, p.start]).toEqual(['a', 4]);
    const q = placed(f, { ...job, earliest: 8 });
    expect(q.cluster).toBe('b');
  });

  it('minGreenShare: GREEN_SHORTFALL when capacity exists but green does not, NO_CAPACITY otherwise', () => {
    const f = fleetOf(12, spec());
    // draw 2750 W; free green: slots 2,3: 1000 W, 4,5: 4000 W, 6,7: 3000 W
    expect(f.place({ pflops: 2, hours: 2, earliest: 0, deadline: 12, minGreenShare: 1 })).toMatchObject({
      ok: true,
      placement: { start: 4 },
    });
    expect(f.place({ pflops: 2, hours: 2, earliest: 0, deadline: 5, minGreenShare: 1 })).toMatchObject({
      ok: false,
      reason: 'GREEN_SHORTFALL',
    });
    expect(
      f.place({ pflops: 2, hours: 2, earliest: 0, deadline: 5, minGreenShare: 0.5, objective: 'CHEAPEST' }),
    ).toMatchObject({ ok: true, placement: { start: 3 } });
    expect(
      f.place({ pflops: 2, hours: 2, earliest: 0, deadline: 5, minGreenShare: 0.68, objective: 'GREENEST' }),
    ).toMatchObject({ ok: true, placement: { start: 3 } });
    expect(
      f.place({ pflops: 2, hours: 2, earliest: 0, deadline: 5, minGreenShare: 0.69, objective: 'GREENEST' }),
    ).toMatchObject({ ok: false, reason: 'GREEN_SHORTFALL' });
    expect(f.place({ pflops: 11, hours: 2, earliest: 0, deadline: 12, minGreenShare: 1 })).toMatchObject({
      ok: false,
      reason: 'NO_CAPACITY',
    });
    const d = f.place({ id: 'x', pflops: 2, hours: 2, earliest: 0, deadline: 5, minGreenShare: 1 });
    expect(d.ok ? '' : d.message).toContain('job x');
  });
});

describe('commit, release, quote, loaders', () => {
  const spec = (): FleetSpec => ({
    slots: 48,
    clusters: [
      cluster('a', { green: [{ start: 0, end: 48, mw: 0.001, pricePerMwh: 50 }] }),
      cluster('b', { capacityPflops: 4, green: [{ start: 10, end: 20, mw: 0.01, pricePerMwh: 20 }] }),
    ],
  });

  it('release restores the exact prior state; release then re-place gives the same option', () => {
    const f = Fleet.fromSpec(spec());
    f.commit(placed(f, { pflops: 3, hours: 5, earliest: 2, deadline: 48, objective: 'GREENEST' }));
    const before = snapshot(f);
    const job: JobRequest = { pflops: 3, hours: 4, earliest: 0, deadline: 48, objective: 'GREENEST' };
    const p = placed(f, job);
    const h = f.commit(p);
    expect(snapshot(f)).not.toBe(before);
    f.release(h);
    expect(snapshot(f)).toBe(before);
    expect(placed(f, job)).toEqual(p);
    expect(() => f.release(h)).toThrow(/handle must be the handle of a live booking/);
    expect(() => f.release(999)).toThrow(SchedulerInputError);
  });

  it('commit of a placement that no longer fits throws and changes nothing', () => {
    const f = Fleet.fromSpec(spec());
    const job: JobRequest = { pflops: 4, hours: 4, earliest: 10, deadline: 14, clusters: ['b'] };
    const p1 = placed(f, job);
    const p2 = placed(f, job);
    f.commit(p1);
    const before = snapshot(f);
    expect(() => f.commit(p2)).toThrow(SchedulerConflictError);
    expect(snapshot(f)).toBe(before);
  });

  it('quote gives the best option per objective and commits nothing', () => {
    const f = Fleet.fromSpec(spec());
    const before = snapshot(f);
    const q = f.quote({ pflops: 2, hours: 3, earliest: 0, deadline: 48 });
    expect(snapshot(f)).toBe(before);
    expect(q.EARLIEST).toMatchObject({ ok: true, placement: { cluster: 'a', start: 0 } });
    expect(q.GREENEST).toMatchObject({ ok: true, placement: { cluster: 'b', start: 10 } });
    expect(q.CHEAPEST).toMatchObject({ ok: true, placement: { cluster: 'b', start: 10 } });
  });

  it('applyBooking validates and applies a booking made elsewhere; loadSlots rebuilds the same state', () => {
    const f = Fleet.fromSpec(spec());
    const h = f.applyBooking({ cluster: 'b', start: 12, pflops: 1.5, hours: 3, greenW: [1500, 1500, 0] });
    expect(f.bookedTflops('b', 12)).toBe(1500);
    expect(f.greenAllocW('b', 13)).toBe(1500);
    expect(() => f.applyBooking({ cluster: 'b', start: 12, pflops: 3, hours: 3, greenW: [0, 0, 0] })).toThrow(
      SchedulerConflictError,
    );
    expect(() => f.applyBooking({ cluster: 'b', start: 12, pflops: 1, hours: 3, greenW: [0, 5000, 0] })).toThrow(
      /booking.greenW\[1\] must be an integer in \[0, draw 1000 W\]/,
    );
    expect(() => f.applyBooking({ cluster: 'q', start: 12, pflops: 1, hours: 3, greenW: [0, 0, 0] })).toThrow(
      /booking.cluster must be a known cluster id/,
    );
    expect(() => f.applyBooking({ cluster: 'b', start: 46, pflops: 1, hours: 3, greenW: [0, 0, 0] })).toThrow(
      /booking.start/,
    );

    const g = Fleet.fromSpec({ slots: 48, clusters: [cluster('a'), cluster('b')] });
    for (const id of f.clusterIds) {
      const t = f.timeline(id);
      const price = Array.from({ length: 48 }, (_, s) => f.greenPricePerMwh(id, s));
      g.loadSlots(id, 0, {
        capacityTflops: t.capacityTflops,
        bookedTflops: t.capacityTflops.map((c, k) => c - t.freeTflops[k]),
        greenSupplyW: t.greenSupplyW,
        greenAllocW: t.greenSupplyW.map((x, k) => x - t.greenFreeW[k]),
        greenPricePerMwh: price,
      });
    }
    for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as const) {
      const job = { pflops: 3, hours: 3, earliest: 0, deadline: 48 };
      const a = placed(f, job, obj);
      const b = placed(g, job, obj);
      expect([b.cluster, b.start, b.greenMwh]).toEqual([a.cluster, a.start, a.greenMwh]);
      expect(b.price.total).toBeCloseTo(a.price.total, 9);
    }
    f.release(h);
    expect(f.bookedTflops('b', 12)).toBe(0);
  });

  it('CHEAPEST prunes clusters by a price bound that falls when loadSlots or addGreenWindow bring cheaper green', () => {
    // 1 PFLOPS draws 1 MW here; a job of 4 h: a costs 4 + 4 x 600 = 2404 (grid only),
    // b costs 406 + 4 x 500 = 2406 with its green at 500, so b's bound (2406) prunes it
    const make = (): Fleet =>
      fleetOf(
        24,
        cluster('a', { pricePerPflopsHour: 1, gridPricePerMwh: 600, kwPerPflops: 1000 }),
        cluster('b', {
          pricePerPflopsHour: 101.5,
          gridPricePerMwh: 600,
          kwPerPflops: 1000,
          green: [{ start: 0, end: 24, mw: 1, pricePerMwh: 500 }],
        }),
      );
    const job = { pflops: 1, hours: 4, earliest: 0, deadline: 24 };
    const same = (f: Fleet, want: [string, number, number]): void => {
      const p = placed(f, job, 'CHEAPEST');
      const r = referencePlace(f, job, 'CHEAPEST');
      if (typeof r === 'string') throw new Error(r);
      expect([p.clusterIndex, p.start]).toEqual([r.clusterIndex, r.start]);
      expect([p.cluster, p.start, p.price.total]).toEqual(want);
    };
    same(make(), ['a', 0, 2404]);
    // green at 0 per MWh loaded into b's slots 4-7: 406 there
    const f = make();
    f.loadSlots('b', 4, {
      capacityTflops: [10000, 10000, 10000, 10000],
      bookedTflops: [0, 0, 0, 0],
      greenSupplyW: [1e6, 1e6, 1e6, 1e6],
      greenAllocW: [0, 0, 0, 0],
      greenPricePerMwh: [0, 0, 0, 0],
    });
    same(f, ['b', 4, 406]);
    // a free window added over b's slots 10-13: 2 MW at an average of 250, 406 + 4 x 250 = 1406
    const g = make();
    g.addGreenWindow('b', { start: 10, end: 14, mw: 1, pricePerMwh: 0 });
    same(g, ['b', 10, 1406]);
  });

  it('loadSlots validates lengths and ranges and changes nothing on error', () => {
    const f = Fleet.fromSpec(spec());
    const before = snapshot(f);
    const d = {
      capacityTflops: [10, 10],
      bookedTflops: [0, 0],
      greenSupplyW: [0, 0],
      greenAllocW: [0, 0],
      greenPricePerMwh: [0, 0],
    };
    expect(() => f.loadSlots('a', 0, { ...d, bookedTflops: [0] })).toThrow(/data.bookedTflops.length must be equal/);
    expect(() => f.loadSlots('a', 0, { ...d, bookedTflops: [0, 11] })).toThrow(/data.bookedTflops\[1\] must be/);
    expect(() => f.loadSlots('a', 0, { ...d, greenAllocW: [1, 0] })).toThrow(/data.greenAllocW\[0\] must be/);
    expect(() => f.loadSlots('a', 47, d)).toThrow(/fromSlot/);
    expect(snapshot(f)).toBe(before);
    f.loadSlots('a', 46, d);
    expect(f.capacityTflops('a', 47)).toBe(10);
    expect(f.place({ pflops: 1, hours: 2, earliest: 46, deadline: 48, clusters: ['a'] })).toMatchObject({
      ok: false,
      reason: 'NO_CAPACITY',
    });
  });
});
