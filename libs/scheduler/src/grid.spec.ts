import {
  Fleet,
  GRID_UNLIMITED,
  SchedulerConflictError,
  SchedulerInputError,
  packBatch,
  priceOf,
  type ClusterSpec,
  type FleetSpec,
  type JobRequest,
  type Placement,
  type SiteSpec,
} from './index';
import { referencePlace } from '../test/reference-placer';

// kwPerPflops 1, PUE 1: a job of p PFLOPS draws p x 1,000 W; a site of 0.005 MW has 5,000 W (MW have at most 3 decimals).
function cluster(id: string, over: Partial<ClusterSpec> = {}): ClusterSpec {
  return { id, capacityPflops: 10, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 100, ...over };
}

function fleet(slots: number, sites: SiteSpec[], ...clusters: ClusterSpec[]): Fleet {
  return Fleet.fromSpec({ slots, sites, clusters });
}

function placed(f: Fleet, job: JobRequest, obj?: 'EARLIEST' | 'GREENEST' | 'CHEAPEST'): Placement {
  const d = f.place(job, obj);
  if (!d.ok) throw new Error(`expected a placement, got ${d.reason}: ${d.message}`);
  return d.placement;
}

/** Every per-slot array of the fleet, clusters and sites. */
function snapshot(f: Fleet): string {
  const parts: number[] = [];
  for (const id of f.clusterIds) {
    const t = f.timeline(id);
    parts.push(
      ...t.capacityTflops,
      ...t.freeTflops,
      ...t.greenSupplyW,
      ...t.greenFreeW,
      ...t.greenPriceWeight,
      ...t.gridW,
      ...Array.from({ length: f.slots }, (_, k) => f.gridPricePerMwhAt(id, k)),
    );
  }
  for (const s of f.siteIds) {
    const t = f.siteTimeline(s);
    parts.push(...t.capW, ...t.usedW);
  }
  return parts.join(',');
}

function expectOverNowhere(f: Fleet): void {
  for (let k = 0; k < f.siteIds.length; k++)
    for (let t = 0; t < f.slots; t++) {
      const cap = f.gridCapW(k, t);
      if (cap !== GRID_UNLIMITED) expect(f.gridUsedW(k, t)).toBeLessThanOrEqual(cap);
    }
}

describe('sites and reserved grid capacity', () => {
  it('lists declared sites first, then one implicit site per cluster without one', () => {
    const f = fleet(
      24,
      [{ id: 'campus', gridMw: 0.005 }, { id: 'empty' }],
      cluster('a'),
      cluster('b', { site: 'campus' }),
      cluster('c'),
    );
    expect(f.siteIds).toEqual(['campus', 'empty', '#a', '#c']);
    expect(f.siteIndex('campus')).toBe(0);
    expect(f.siteIndex('#c')).toBe(3);
    expect(f.siteIndex('nope')).toBe(-1);
    expect([f.siteOfCluster('a'), f.siteOfCluster('b'), f.siteOfCluster(2)]).toEqual([2, 0, 3]);
    expect(f.gridCapW('campus', 5)).toBe(5_000);
    expect(f.gridCapW('#a', 5)).toBe(GRID_UNLIMITED);
    expect(f.gridCapW('empty', 5)).toBe(GRID_UNLIMITED);
    // the spec without sites still works and gives every cluster its own unlimited site
    expect(Fleet.fromSpec({ slots: 4, clusters: [cluster('x')] }).siteIds).toEqual(['#x']);
  });

  it('applies gridMw, then gridChanges in order, clipped to the horizon (null = unlimited)', () => {
    const f = fleet(
      10,
      [
        {
          id: 's',
          gridMw: 0.005,
          gridChanges: [
            { start: -4, end: 2, mw: 0.001 },
            { start: 8, end: 40, mw: null },
            { start: 9, end: 12, mw: 0.002 },
          ],
        },
      ],
      cluster('a', { site: 's' }),
    );
    expect(Array.from(f.siteTimeline('s').capW)).toEqual([
      1000,
      1000,
      5000,
      5000,
      5000,
      5000,
      5000,
      5000,
      GRID_UNLIMITED,
      2000,
    ]);
  });

  it.each([
    [{ slots: 24, sites: [{ id: '#a' }], clusters: [cluster('a')] }, 'sites[0].id'],
    [{ slots: 24, sites: [{ id: 's' }, { id: 's' }], clusters: [cluster('a')] }, 'sites[1].id'],
    [{ slots: 24, sites: [{ id: 's', gridMw: -1 }], clusters: [cluster('a')] }, 'sites[0].gridMw'],
    [{ slots: 24, sites: [{ id: 's', gridMw: 0.0001 }], clusters: [cluster('a')] }, 'sites[0].gridMw'],
    [{ slots: 24, sites: [{ id: 's', gridMw: 2000.001 }], clusters: [cluster('a')] }, 'sites[0].gridMw'],
    [
      {
        slots: 24,
        sites: [
          {
            id: 's',
            gridChanges: [
              { start: 0, end: 2, mw: 1 },
              { start: 0, end: 2, mw: Number.NaN },
            ],
          },
        ],
        clusters: [cluster('a')],
      },
      'sites[0].gridChanges[1].mw',
    ],
    [
      { slots: 24, sites: [{ id: 's', gridChanges: [{ start: 3, end: 3, mw: 1 }] }], clusters: [cluster('a')] },
      'sites[0].gridChanges[0].end',
    ],
    [{ slots: 24, sites: [{ id: 's' }], clusters: [cluster('a', { site: 't' })] }, 'clusters[0].site'],
    [{ slots: 24, clusters: [cluster('a', { site: '#a' })] }, 'clusters[0].site'],
    [
      { slots: 24, clusters: [cluster('a', { gridPrices: [{ start: 0, end: 4, pricePerMwh: -1 }] })] },
      'clusters[0].gridPrices[0].pricePerMwh',
    ],
    [
      {
        slots: 24,
        clusters: [
          cluster('a', {
            gridPrices: [
              { start: 0, end: 4, pricePerMwh: 1 },
              { start: 4, end: 1, pricePerMwh: 1 },
            ],
          }),
        ],
      },
      'clusters[0].gridPrices[1].end',
    ],
  ])('rejects %j naming %s', (spec, field) => {
    expect(() => Fleet.fromSpec(spec as FleetSpec)).toThrow(SchedulerInputError);
    try {
      Fleet.fromSpec(spec);
    } catch (e) {
      expect((e as SchedulerInputError).field).toBe(field);
    }
  });

  it('never places over the grid cap: with 5,000 W reserved, a third 2,000 W job waits for the first two to end', () => {
    const f = fleet(24, [{ id: 's', gridMw: 0.005 }], cluster('a', { site: 's' }));
    const job = { pflops: 2, hours: 4, earliest: 0, deadline: 24 };
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const p = placed(f, job);
      starts.push(p.start);
      f.commit(p);
      expectOverNowhere(f);
    }
    // capacity (10 PFLOPS) would take all five at 0
    expect(starts).toEqual([0, 0, 4, 4, 8]);
    expect(f.gridUsedW('s', 0)).toBe(4000);
    expect(f.timeline('a').gridW[4]).toBe(4000);
  });

  it('counts the green a run takes: only draw - green comes from the grid', () => {
    // 3,000 W of green over [2, 6): a 6,000 W job needs 3,000 W of grid there, 6,000 elsewhere
    const f = fleet(
      12,
      [{ id: 's', gridMw: 0.004 }],
      cluster('a', { site: 's', green: [{ start: 2, end: 6, mw: 0.003, pricePerMwh: 10 }] }),
    );
    const p = placed(f, { pflops: 6, hours: 3, earliest: 0, deadline: 12 });
    expect(p.start).toBe(2);
    expect(Array.from(p.greenW)).toEqual([3000, 3000, 3000]);
    expect(Array.from(p.gridW)).toEqual([3000, 3000, 3000]);
    f.commit(p);
    expect([1, 2, 3, 4, 5].map((t) => f.gridUsedW('s', t))).toEqual([0, 3000, 3000, 3000, 0]);
    // the green left in slot 5 makes [5, 6) possible for a 4,000 W job, not [4, 5) (1,000 W of grid left there)
    expect(placed(f, { pflops: 4, hours: 1, earliest: 4, deadline: 12 }).start).toBe(5);
  });

  it('two clusters of one site share its cap; a cluster of another site does not', () => {
    const f = fleet(
      24,
      [{ id: 's', gridMw: 0.003 }],
      cluster('a', { site: 's' }),
      cluster('b', { site: 's' }),
      cluster('c'),
    );
    f.commit(placed(f, { pflops: 2, hours: 6, earliest: 0, deadline: 24, clusters: ['a'] }));
    // 1,000 W left on the site: b can take 1 PFLOPS at 0, not 2
    expect(placed(f, { pflops: 1, hours: 6, earliest: 0, deadline: 24, clusters: ['b'] }).start).toBe(0);
    expect(placed(f, { pflops: 2, hours: 6, earliest: 0, deadline: 24, clusters: ['b'] }).start).toBe(6);
    expect(placed(f, { pflops: 2, hours: 6, earliest: 0, deadline: 24, clusters: ['b', 'c'] })).toMatchObject({
      cluster: 'c',
      start: 0,
    });
    f.commit(placed(f, { pflops: 1, hours: 6, earliest: 0, deadline: 24, clusters: ['b'] }));
    expect(f.gridUsedW('s', 3)).toBe(3000);
    expect(f.timeline('a').gridW[3]).toBe(2000);
    expect(f.timeline('b').gridW[3]).toBe(1000);
    expectOverNowhere(f);
  });

  it('release restores the site grid exactly (every array equal to before)', () => {
    const f = fleet(
      48,
      [{ id: 's', gridMw: 0.004 }],
      cluster('a', { site: 's', green: [{ start: 3, end: 9, mw: 0.001, pricePerMwh: 20 }] }),
      cluster('b', { site: 's', gridPrices: [{ start: 0, end: 10, pricePerMwh: 300 }] }),
    );
    f.commit(placed(f, { pflops: 1.5, hours: 5, earliest: 1, deadline: 48, clusters: ['a'] }));
    const before = snapshot(f);
    const usedBefore = Float64Array.from(f.siteTimeline('s').usedW);
    const hs = [
      f.commit(placed(f, { pflops: 2, hours: 7, earliest: 0, deadline: 48, clusters: ['a'] }, 'GREENEST')),
      f.commit(placed(f, { pflops: 0.5, hours: 3, earliest: 2, deadline: 48, clusters: ['b'] }, 'CHEAPEST')),
    ];
    expect(snapshot(f)).not.toBe(before);
    for (const h of hs.reverse()) f.release(h);
    expect(snapshot(f)).toBe(before);
    expect(Array.from(f.siteTimeline('s').usedW)).toEqual(Array.from(usedBefore));
  });

  it('setGridCapacity below the grid in use throws GRID_LIMIT naming the slot and changes nothing', () => {
    const f = fleet(24, [{ id: 's', gridMw: 0.005 }], cluster('a', { site: 's' }));
    f.commit(placed(f, { pflops: 3, hours: 4, earliest: 6, deadline: 24 }));
    const before = snapshot(f);
    let err: unknown;
    try {
      f.setGridCapacity('s', 0, 8, 0.002);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchedulerConflictError);
    expect((err as SchedulerConflictError).reason).toBe('GRID_LIMIT');
    expect((err as Error).message).toContain('slot 6');
    expect(snapshot(f)).toBe(before);
    // at or above the use it is fine, clipped to the horizon; null lifts the cap
    f.setGridCapacity('s', -5, 8, 0.003);
    expect([0, 7, 8].map((t) => f.gridCapW('s', t))).toEqual([3000, 3000, 5000]);
    f.setGridCapacity('s', 20, 30, null);
    expect(f.gridCapW('s', 23)).toBe(GRID_UNLIMITED);
    expect(() => f.setGridCapacity('s', 0, 2, -1)).toThrow(SchedulerInputError);
    expect(() => f.setGridCapacity('nope', 0, 2, 1)).toThrow(SchedulerInputError);
    // an implicit site can be capped too
    const g = fleet(8, [], cluster('x'));
    g.setGridCapacity('#x', 0, 8, 0.001);
    expect(g.place({ pflops: 2, hours: 1, earliest: 0, deadline: 8 })).toMatchObject({
      ok: false,
      reason: 'GRID_LIMIT',
    });
  });

  it('commit and applyBooking throw GRID_LIMIT when the placement no longer fits the grid, changing nothing', () => {
    const f = fleet(24, [{ id: 's', gridMw: 0.003 }], cluster('a', { site: 's' }), cluster('b', { site: 's' }));
    const p = placed(f, { pflops: 2, hours: 4, earliest: 0, deadline: 4, clusters: ['a'] });
    const q = placed(f, { pflops: 2, hours: 4, earliest: 0, deadline: 4, clusters: ['b'] });
    f.commit(p);
    const before = snapshot(f);
    expect(() => f.commit(q)).toThrow(expect.objectContaining({ reason: 'GRID_LIMIT' }));
    expect(() => f.applyBooking({ cluster: 'b', start: 0, pflops: 2, hours: 4, greenW: [0, 0, 0, 0] })).toThrow(
      expect.objectContaining({ reason: 'GRID_LIMIT' }),
    );
    expect(snapshot(f)).toBe(before);
    expect(f.applyBooking({ cluster: 'b', start: 0, pflops: 1, hours: 4, greenW: [0, 0, 0, 0] })).toBeGreaterThan(0);
    expectOverNowhere(f);
  });

  describe('refusal precedence', () => {
    // 2,000 W of grid, 1,000 W of green in every slot, 4 PFLOPS
    const f = fleet(
      24,
      [{ id: 's', gridMw: 0.002 }],
      cluster('a', { site: 's', capacityPflops: 4, green: [{ start: 0, end: 24, mw: 0.001, pricePerMwh: 10 }] }),
    );

    it('NO_CAPACITY when no start has the capacity (grid and green aside)', () => {
      expect(f.place({ pflops: 5, hours: 2, earliest: 0, deadline: 24 })).toMatchObject({
        ok: false,
        reason: 'NO_CAPACITY',
      });
    });

    it('GRID_LIMIT when a start has the capacity and the green share, but not the grid', () => {
      // 3,500 W, 1,000 W green (a share of 0.29): needs 2,500 W of the site's 2,000
      const d = f.place({ pflops: 3.5, hours: 2, earliest: 0, deadline: 24, minGreenShare: 0.1 }, 'CHEAPEST');
      expect(d).toMatchObject({ ok: false, reason: 'GRID_LIMIT' });
      if (!d.ok) expect(d.message).toContain('grid');
      for (const obj of ['EARLIEST', 'GREENEST'] as const)
        expect(f.place({ pflops: 3.5, hours: 2, earliest: 0, deadline: 24 }, obj)).toMatchObject({
          ok: false,
          reason: 'GRID_LIMIT',
        });
    });

    it('GREEN_SHORTFALL when capacity exists but no start reaches the green share (even if the grid would also block)', () => {
      expect(f.place({ pflops: 3.5, hours: 2, earliest: 0, deadline: 24, minGreenShare: 0.5 })).toMatchObject({
        ok: false,
        reason: 'GREEN_SHORTFALL',
      });
      // within the grid: 2,500 W with 1,000 green needs 1,500 of grid; a share of 0.5 is still short
      expect(f.place({ pflops: 2.5, hours: 2, earliest: 0, deadline: 24, minGreenShare: 0.5 })).toMatchObject({
        ok: false,
        reason: 'GREEN_SHORTFALL',
      });
      expect(f.place({ pflops: 2.5, hours: 2, earliest: 0, deadline: 24, minGreenShare: 0.3 })).toMatchObject({
        ok: true,
      });
    });
  });
});

describe('time-of-use grid tariffs', () => {
  // peak 900 in [8, 20), valley 60 in [0, 6) of every day, flat 300 elsewhere
  const tou = [0, 24].flatMap((d) => [
    { start: d, end: d + 6, pricePerMwh: 60 },
    { start: d + 8, end: d + 20, pricePerMwh: 900 },
  ]);

  it('prices grid energy slot by slot, and gridPricePerMwhAt / setGridPrice read and write it (clipped)', () => {
    const f = fleet(48, [], cluster('a', { gridPricePerMwh: 300, gridPrices: tou }));
    expect([0, 5, 6, 8, 19, 20, 24].map((t) => f.gridPricePerMwhAt('a', t))).toEqual([60, 60, 300, 900, 900, 300, 60]);
    const p = placed(f, { pflops: 2, hours: 4, earliest: 4, deadline: 8 });
    expect(p.start).toBe(4);
    // 2,000 W in [4, 8): 2 h at 60, 2 h at 300
    expect(p.price.gridEnergy).toBeCloseTo((2000 * 60 * 2 + 2000 * 300 * 2) / 1e6, 12);
    expect(p.price.total).toBeCloseTo(
      priceOf({
        pflops: 2,
        hours: 4,
        pricePerPflopsHour: 1,
        gridPricePerMwh: 300,
        drawW: 2000,
        greenW: [0, 0, 0, 0],
        greenPricePerMwh: [0, 0, 0, 0],
        gridPrices: [60, 60, 300, 300],
      }).total,
      12,
    );
    f.setGridPrice('a', 46, 60, 1);
    expect([45, 46, 47].map((t) => f.gridPricePerMwhAt('a', t))).toEqual([300, 1, 1]);
    expect(() => f.setGridPrice('a', 0, 2, -1)).toThrow(SchedulerInputError);
  });

  it('CHEAPEST moves a flexible job into the valley hours', () => {
    const f = fleet(48, [], cluster('a', { gridPricePerMwh: 300, gridPrices: tou }));
    const job = { pflops: 4, hours: 4, earliest: 8, deadline: 48 };
    expect(placed(f, job, 'EARLIEST').start).toBe(8);
    const p = placed(f, job, 'CHEAPEST');
    expect(p.start).toBe(24);
    expect(p.price.gridEnergy).toBeCloseTo((4000 * 4 * 60) / 1e6, 12);
    // and across clusters: a flat cluster at 200 loses to the valley at 60
    const g = fleet(
      48,
      [],
      cluster('flat', { gridPricePerMwh: 200 }),
      cluster('tou', { gridPricePerMwh: 300, gridPrices: tou }),
    );
    expect(placed(g, job, 'CHEAPEST')).toMatchObject({ cluster: 'tou', start: 24 });
    const r = referencePlace(g, job, 'CHEAPEST');
    expect(r).toMatchObject({ clusterIndex: 1, start: 24 });
  });

  it('a cluster with green nowhere in the window still compares hours under a tariff', () => {
    const f = fleet(
      48,
      [],
      cluster('a', { gridPricePerMwh: 300, gridPrices: tou, green: [{ start: 40, end: 48, mw: 1, pricePerMwh: 1 }] }),
    );
    expect(placed(f, { pflops: 1, hours: 2, earliest: 6, deadline: 30 }, 'CHEAPEST').start).toBe(24);
  });
});

describe('bulk loading and copies', () => {
  it('loadSlots keeps the site grid = the sum of its clusters gridW, and refuses (changing nothing) a load over the cap', () => {
    const f = fleet(12, [{ id: 's', gridMw: 0.005 }], cluster('a', { site: 's' }), cluster('b', { site: 's' }));
    const z = (v: number) => new Array(4).fill(v);
    const base = {
      capacityTflops: z(10000),
      bookedTflops: z(1000),
      greenSupplyW: z(0),
      greenAllocW: z(0),
      greenPricePerMwh: z(0),
    };
    f.loadSlots('a', 2, { ...base, gridW: [1000, 2000, 3000, 0] });
    f.loadSlots('b', 4, { ...base, gridW: z(2000), gridPricePerMwh: [10, 20, 30, 40] });
    expect([2, 3, 4, 5, 6, 7].map((t) => f.gridUsedW('s', t))).toEqual([1000, 2000, 5000, 2000, 2000, 2000]);
    expect([4, 7, 8].map((t) => f.gridPricePerMwhAt('b', t))).toEqual([10, 40, 100]);
    const before = snapshot(f);
    expect(() => f.loadSlots('a', 2, { ...base, gridW: [1000, 2000, 3001, 0] })).toThrow(SchedulerInputError);
    expect(() => f.loadSlots('a', 2, { ...base, gridW: [1, 2, 3] })).toThrow(SchedulerInputError);
    expect(() => f.loadSlots('a', 2, { ...base, gridW: [1, 2, 3, -4] })).toThrow(SchedulerInputError);
    expect(snapshot(f)).toBe(before);
    // absent gridW = 0 in those slots: replaced by the difference
    f.loadSlots('a', 2, base);
    expect([2, 3, 4, 5].map((t) => f.gridUsedW('s', t))).toEqual([0, 0, 2000, 2000]);
    // the placer sees the loaded grid: 3,000 W fit only where b draws nothing
    expect(placed(f, { pflops: 3, hours: 2, earliest: 0, deadline: 12, clusters: ['a'] }).start).toBe(0);
    expect(placed(f, { pflops: 3.5, hours: 2, earliest: 3, deadline: 12, clusters: ['a'] }).start).toBe(8);
  });

  it('loadSiteSlots bulk-loads caps (GRID_UNLIMITED = none) and refuses one below the grid in use', () => {
    const f = fleet(8, [{ id: 's' }], cluster('a', { site: 's' }));
    f.commit(placed(f, { pflops: 1, hours: 2, earliest: 2, deadline: 8 }));
    f.loadSiteSlots('s', 1, [500, 1000, 1000, GRID_UNLIMITED]);
    expect(Array.from(f.siteTimeline('s').capW)).toEqual([
      GRID_UNLIMITED,
      500,
      1000,
      1000,
      GRID_UNLIMITED,
      GRID_UNLIMITED,
      GRID_UNLIMITED,
      GRID_UNLIMITED,
    ]);
    const before = snapshot(f);
    expect(() => f.loadSiteSlots('s', 2, [999])).toThrow(SchedulerInputError);
    expect(() => f.loadSiteSlots('s', 0, [1.5])).toThrow(SchedulerInputError);
    expect(() => f.loadSiteSlots('s', 7, [1, 2])).toThrow(SchedulerInputError);
    expect(snapshot(f)).toBe(before);
    expect(f.place({ pflops: 0.6, hours: 1, earliest: 1, deadline: 2 })).toMatchObject({
      ok: false,
      reason: 'GRID_LIMIT',
    });
  });

  it('clone() copies sites, caps, used grid and tariffs, and the copy is independent', () => {
    const f = fleet(
      24,
      [{ id: 's', gridMw: 0.003 }],
      cluster('a', { site: 's', gridPrices: [{ start: 0, end: 5, pricePerMwh: 7 }] }),
      cluster('b', { site: 's' }),
    );
    f.commit(placed(f, { pflops: 2, hours: 3, earliest: 0, deadline: 24, clusters: ['a'] }));
    const c = f.clone();
    expect(snapshot(c)).toBe(snapshot(f));
    expect(c.siteIds).toEqual(f.siteIds);
    c.commit(placed(c, { pflops: 1, hours: 3, earliest: 0, deadline: 24, clusters: ['b'] }));
    expect(c.gridUsedW('s', 0)).toBe(3000);
    expect(f.gridUsedW('s', 0)).toBe(2000);
    expect(c.place({ pflops: 0.5, hours: 1, earliest: 0, deadline: 1 })).toMatchObject({
      ok: false,
      reason: 'GRID_LIMIT',
    });
  });
});

describe("a cluster's grid draw is kept from its first read", () => {
  const alone: FleetSpec = {
    slots: 48,
    clusters: [cluster('a', { green: [{ start: 5, end: 30, mw: 0.002, pricePerMwh: 10 }] }), cluster('b')],
  };
  // a and c share a capped site (which keeps their sum from the start); b is alone
  const shared: FleetSpec = {
    slots: 48,
    sites: [{ id: 's', gridMw: 0.5 }],
    clusters: [
      cluster('a', { site: 's', green: [{ start: 5, end: 30, mw: 0.002, pricePerMwh: 10 }] }),
      cluster('b'),
      cluster('c', { site: 's' }),
    ],
  };
  it.each([
    ['alone on an uncapped site', alone, '#a'],
    ['on a capped site of two clusters', shared, 's'],
  ])(
    '%s: equals, when first read, the draw of a twin that kept it all along, through commits and releases',
    (_w, spec, siteOfA) => {
      const lazy = Fleet.fromSpec(spec);
      const eager = Fleet.fromSpec(spec);
      // reading a timeline makes its grid draw live
      eager.timeline('a');
      eager.timeline('b');
      if (spec === shared) eager.timeline('c');
      // no grid kept yet: 24 bytes per cluster-slot and summaries
      expect(lazy.bytesPerClusterSlot()).toBeLessThan(eager.bytesPerClusterSlot());
      const hs: [number, number][] = [];
      for (let i = 0; i < 40; i++) {
        const job = {
          pflops: 1 + (i % 3),
          hours: 1 + (i % 7),
          earliest: (i * 5) % 40,
          deadline: 48,
          objective: (['EARLIEST', 'GREENEST', 'CHEAPEST'] as const)[i % 3],
        };
        const p = lazy.place(job);
        if (!p.ok) continue;
        hs.push([lazy.commit(p.placement), eager.commit(p.placement)]);
        if (i % 4 === 3) {
          const [x, y] = hs.splice(i % hs.length, 1)[0];
          lazy.release(x);
          eager.release(y);
        }
      }
      expect(hs.length).toBeGreaterThan(5);
      expect(Array.from(lazy.timeline('a').gridW)).toEqual(Array.from(eager.timeline('a').gridW));
      expect(lazy.gridUsedW('#b', 10)).toBe(eager.gridUsedW('#b', 10));
      expect(snapshot(lazy)).toBe(snapshot(eager));
      // and from then on it is kept: a cap is checked against it
      const t = lazy.timeline('a').gridW.findIndex((w) => w > 0);
      expect(() => lazy.setGridCapacity(siteOfA, t, t + 1, 0)).toThrow(SchedulerConflictError);
      for (const [x] of hs) lazy.release(x);
      expect(lazy.timeline('a').gridW.every((w) => w === 0)).toBe(true);
    },
  );
});

describe('the grid over a long horizon (block summaries)', () => {
  it('skips blocks closed by the grid and agrees with the reference', () => {
    const f = fleet(
      10_000,
      [
        {
          id: 's',
          gridMw: 0,
          gridChanges: [
            { start: 6_000, end: 10_000, mw: 0.005 },
            { start: 7_000, end: 7_100, mw: 0.001 },
          ],
        },
      ],
      cluster('a', { site: 's' }),
      cluster('b', { site: 's', green: [{ start: 3_000, end: 3_010, mw: 0.002, pricePerMwh: 5 }] }),
    );
    const jobs = [
      { pflops: 2, hours: 5, earliest: 0, deadline: 10_000 },
      { pflops: 2, hours: 20, earliest: 0, deadline: 10_000 },
      { pflops: 4, hours: 150, earliest: 6_900, deadline: 10_000 },
      { pflops: 1, hours: 3, earliest: 0, deadline: 10_000, minGreenShare: 1 },
    ];
    for (const job of jobs)
      for (const obj of ['EARLIEST', 'GREENEST', 'CHEAPEST'] as const) {
        const d = f.place(job, obj);
        const r = referencePlace(f, job, obj);
        if (typeof r === 'string') expect(d).toMatchObject({ ok: false, reason: r });
        else expect(d).toMatchObject({ ok: true, placement: { clusterIndex: r.clusterIndex, start: r.start } });
      }
    // green-only 2,000 W run in [3000, 3010) on b; all-grid runs wait for 6,000
    expect(placed(f, jobs[0]).start).toBe(3_000);
    expect(placed(f, jobs[1]).start).toBe(6_000);
    expect(placed(f, jobs[2]).start).toBe(7_100);
  });
});

describe('packBatch with grid caps', () => {
  it('keeps every site within its cap and replays its placements in order', () => {
    const f = fleet(
      48,
      [{ id: 's', gridMw: 0.006, gridChanges: [{ start: 20, end: 30, mw: 0.002 }] }],
      cluster('a', { site: 's', green: [{ start: 10, end: 16, mw: 0.002, pricePerMwh: 50 }] }),
      cluster('b', { site: 's' }),
      cluster('c'),
    );
    const jobs: JobRequest[] = Array.from({ length: 30 }, (_, i) => ({
      id: `j${i}`,
      pflops: 1 + (i % 4),
      hours: 2 + (i % 5),
      earliest: (i * 3) % 30,
      deadline: 48,
      objective: (['EARLIEST', 'GREENEST', 'CHEAPEST'] as const)[i % 3],
    }));
    const res = packBatch(f, jobs, { timeBudgetMs: 200 });
    expectOverNowhere(f);
    // site s carries at most 6,000 W in most slots and 2,000 in [20, 30); c is unlimited
    expect(res.placements.length + res.unplaced.length).toBe(30);
    const replay = fleet(
      48,
      [{ id: 's', gridMw: 0.006, gridChanges: [{ start: 20, end: 30, mw: 0.002 }] }],
      cluster('a', { site: 's', green: [{ start: 10, end: 16, mw: 0.002, pricePerMwh: 50 }] }),
      cluster('b', { site: 's' }),
      cluster('c'),
    );
    for (const p of res.placements) {
      const q = placed(replay, {
        pflops: p.pflops,
        hours: p.hours,
        earliest: p.start,
        deadline: p.end,
        clusters: [p.cluster],
      });
      expect(Array.from(q.greenW)).toEqual(Array.from(p.greenW));
      replay.commit(q);
    }
    expect(snapshot(replay)).toBe(snapshot(f));
  });
});
