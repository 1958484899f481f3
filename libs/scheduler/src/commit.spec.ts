import { Fleet, PlacementBuffer, SchedulerConflictError, type ClusterSpec, type FleetSpec } from './index';
import type { Site } from './fleet/site';

// kwPerPflops 1, PUE 1: a job of p PFLOPS draws p x 1,000 W.
function cluster(id: string, over: Partial<ClusterSpec> = {}): ClusterSpec {
  return { id, capacityPflops: 10, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 100, ...over };
}

const spec: FleetSpec = {
  slots: 24,
  sites: [{ id: 's', gridMw: 0.015 }],
  clusters: [cluster('a', { site: 's' }), cluster('b', { site: 's' })],
};
const job = { pflops: 6, hours: 4, earliest: 0, deadline: 4, clusters: ['a'] };

/** A fleet and a buffer holding a fresh placement of `job` on a at 0. */
function placedBuffer(): { f: Fleet; buf: PlacementBuffer } {
  const f = Fleet.fromSpec(spec);
  const buf = new PlacementBuffer();
  expect(f.placeInto(job, 'EARLIEST', buf)).toBeNull();
  expect([buf.clusterIndex, buf.start]).toEqual([0, 0]);
  return { f, buf };
}

describe('commitBuffer', () => {
  it('applies a fresh buffer as placed', () => {
    const { f, buf } = placedBuffer();
    const h = f.commitBuffer(buf);
    expect(f.bookedTflops('a', 3)).toBe(6000);
    expect(f.gridUsedW('s', 3)).toBe(6000);
    f.release(h);
    expect(f.gridUsedW('s', 3)).toBe(0);
  });

  // each change of state since placeInto makes the buffer checked again, so a placement that no
  // longer fits is refused and changes nothing
  it.each([
    ['another commit', (f: Fleet) => f.applyBooking({ cluster: 'a', start: 2, pflops: 5, hours: 1, greenW: [0] })],
    ['a capacity change', (f: Fleet) => f.setCapacity('a', 1, 2, 5)],
    ['a grid cap change', (f: Fleet) => f.setGridCapacity('s', 3, 4, 0.005)],
    [
      'a bulk load of the cluster',
      (f: Fleet) =>
        f.loadSlots('a', 0, {
          capacityTflops: [5000],
          bookedTflops: [0],
          greenSupplyW: [0],
          greenAllocW: [0],
          greenPricePerMwh: [0],
        }),
    ],
    ['a bulk load of the site', (f: Fleet) => f.loadSiteSlots('s', 0, [1000])],
    [
      'a booking on the other cluster of the site',
      (f: Fleet) => f.applyBooking({ cluster: 'b', start: 0, pflops: 10, hours: 4, greenW: [0, 0, 0, 0] }),
    ],
  ])('re-checks the buffer after %s', (_what, change) => {
    const { f, buf } = placedBuffer();
    change(f);
    const before = [f.bookedTflops('a', 0), f.bookedTflops('a', 3), f.gridUsedW('s', 0), f.gridUsedW('s', 3)];
    expect(() => f.commitBuffer(buf)).toThrow(SchedulerConflictError);
    expect([f.bookedTflops('a', 0), f.bookedTflops('a', 3), f.gridUsedW('s', 0), f.gridUsedW('s', 3)]).toEqual(before);
  });

  it('re-checks a buffer committed twice, one placed by an earlier placeInto, or one whose fields were changed', () => {
    const { f, buf } = placedBuffer();
    f.commitBuffer(buf);
    // 6 + 6 > 10 PFLOPS
    expect(() => f.commitBuffer(buf)).toThrow(SchedulerConflictError);

    const g = Fleet.fromSpec(spec);
    const first = new PlacementBuffer();
    const second = new PlacementBuffer();
    expect(g.placeInto(job, 'EARLIEST', first)).toBeNull();
    expect(g.placeInto(job, 'EARLIEST', second)).toBeNull();
    g.commitBuffer(second);
    expect(() => g.commitBuffer(first)).toThrow(SchedulerConflictError);

    const h = Fleet.fromSpec(spec);
    const moved = new PlacementBuffer();
    h.applyBooking({ cluster: 'a', start: 10, pflops: 10, hours: 1, greenW: [0] });
    expect(h.placeInto(job, 'EARLIEST', moved)).toBeNull();
    moved.start = 8;
    expect(() => h.commitBuffer(moved)).toThrow(/slot 10/);
  });
});

describe('site summaries', () => {
  it('keep a lower bound on the min and an upper bound on the max free grid of every block, through commits and releases', () => {
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const f = Fleet.fromSpec({
      slots: 300,
      sites: [{ id: 's', gridMw: 0.03, gridChanges: [{ start: 100, end: 140, mw: 0.012 }] }],
      clusters: [
        cluster('a', { site: 's', green: [{ start: 50, end: 120, mw: 0.004, pricePerMwh: 20 }] }),
        cluster('b', { site: 's' }),
        cluster('c', { site: 's' }),
      ],
    });
    const site = (f as unknown as { sites: Site[] }).sites[0];
    const buf = new PlacementBuffer();
    const live: number[] = [];
    const bad: string[] = [];
    for (let step = 0; step < 400; step++) {
      if (live.length > 0 && rnd() < 0.35) f.release(live.splice(Math.floor(rnd() * live.length), 1)[0]);
      else {
        const earliest = Math.floor(rnd() * 280);
        const j = {
          pflops: 1 + Math.floor(rnd() * 8),
          hours: 1 + Math.floor(rnd() * 20),
          earliest,
          deadline: Math.min(300, earliest + 60),
        };
        const obj = (['EARLIEST', 'GREENEST', 'CHEAPEST'] as const)[step % 3];
        if (f.placeInto(j, obj, buf) === null) live.push(f.commitBuffer(buf));
      }
      const { capW, usedW } = f.siteTimeline('s');
      for (let b = 0; b * 64 < 300; b++) {
        let mn = Infinity;
        let mx = -Infinity;
        for (let t = b * 64; t < Math.min(300, b * 64 + 64); t++) {
          const free = capW[t] - usedW[t];
          if (free < 0 || site.freeW[t] !== free)
            bad.push(`step ${step} slot ${t}: free ${site.freeW[t]}, cap - used ${free}`);
          mn = Math.min(mn, free);
          mx = Math.max(mx, free);
        }
        if (site.freeMin64[b] > mn) bad.push(`step ${step} block ${b}: min ${site.freeMin64[b]} > ${mn}`);
        if (site.freeMax64[b] < mx) bad.push(`step ${step} block ${b}: max ${site.freeMax64[b]} < ${mx}`);
      }
    }
    expect(bad).toEqual([]);
    expect(live.length).toBeGreaterThan(10);
  });
});
