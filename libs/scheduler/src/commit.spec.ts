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

    // more PFLOPS than placed: checked, 11 > 10 free
    const k = Fleet.fromSpec(spec);
    const bigger = new PlacementBuffer();
    expect(k.placeInto(job, 'EARLIEST', bigger)).toBeNull();
    bigger.pflops = 11;
    expect(() => k.commitBuffer(bigger)).toThrow(SchedulerConflictError);
  });

  // found by a review of the library against its own model
  it('re-checks a buffer another fleet (a clone with more green) filled since, and changes nothing', () => {
    const a = Fleet.fromSpec({ slots: 24, clusters: [cluster('a', { kwPerPflops: 100 })] });
    const b = a.clone();
    b.addGreenWindow('a', { start: 0, end: 24, mw: 1, pricePerMwh: 10 });
    const buf = new PlacementBuffer();
    const j = { pflops: 1, hours: 2, earliest: 0, deadline: 24 };
    expect(a.placeInto(j, 'EARLIEST', buf)).toBeNull();
    expect(b.placeInto(j, 'EARLIEST', buf)).toBeNull(); // green a has not got
    expect(() => a.commitBuffer(buf)).toThrow(SchedulerConflictError);
    expect([a.greenAllocW('a', 0), a.timeline('a').greenFreeW[0]]).toEqual([0, 0]);
  });

  it('checks a buffer that is not fresh like commit(): its draw from its PFLOPS here, its green per slot in [0, draw]', () => {
    // 8 PFLOPS draw 800 kW on a site of 0.5 MW: a buffer placed at 1 PFLOPS then grown is GRID_LIMIT
    const c = Fleet.fromSpec({
      slots: 24,
      sites: [{ id: 's', gridMw: 0.5 }],
      clusters: [cluster('a', { site: 's', kwPerPflops: 100 })],
    });
    const buf = new PlacementBuffer();
    expect(c.placeInto({ pflops: 1, hours: 2, earliest: 0, deadline: 24 }, 'EARLIEST', buf)).toBeNull();
    buf.pflops = 8;
    expect(() => c.commitBuffer(buf)).toThrow(SchedulerConflictError);
    expect(c.gridUsedW('s', 0)).toBe(0);
    // a green figure below 0 in a buffer no longer the last placeInto's
    const e = Fleet.fromSpec({ slots: 24, clusters: [cluster('a', { kwPerPflops: 100 })] });
    const stale = new PlacementBuffer();
    expect(e.placeInto({ pflops: 1, hours: 2, earliest: 0, deadline: 24 }, 'EARLIEST', stale)).toBeNull();
    e.place({ pflops: 1, hours: 1, earliest: 0, deadline: 24 });
    stale.greenW[0] = -5000;
    expect(() => e.commitBuffer(stale)).toThrow('placement.greenW[0] must be an integer in [0, draw 100000 W]');
    expect(e.timeline('a').gridW[0]).toBe(0);
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

describe("a timeline's free arrays", () => {
  it('give booked = capacity - free and allocated = supply - free green, as a plain model of every change has them', () => {
    let seed = 11;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const slots = 200;
    const ids = ['a', 'b'];
    let f = Fleet.fromSpec({
      slots,
      sites: [{ id: 's', gridMw: 0.02 }],
      clusters: [
        cluster('a', {
          site: 's',
          capacityChanges: [{ start: 30, end: 60, capacityPflops: 4 }],
          green: [{ start: 20, end: 150, mw: 0.003, pricePerMwh: 20 }],
        }),
        cluster('b', { green: [{ start: 0, end: 90, mw: 0.002, pricePerMwh: 30 }] }),
      ],
    });
    // the model: plain arrays per cluster, changed by the same operations
    const model = ids.map((id) => ({
      cap: Array.from({ length: slots }, (_, t): number => (id === 'a' && t >= 30 && t < 60 ? 4000 : 10000)),
      booked: new Array<number>(slots).fill(0),
      supply: Array.from({ length: slots }, (_, t): number =>
        id === 'a' ? (t >= 20 && t < 150 ? 3000 : 0) : t < 90 ? 2000 : 0,
      ),
      alloc: new Array<number>(slots).fill(0),
    }));
    const buf = new PlacementBuffer();
    const live: number[] = [];
    const bad: string[] = [];
    const ops = new Set<string>();
    for (let step = 0; step < 300; step++) {
      const op = rnd();
      const ci = rnd() < 0.5 ? 0 : 1;
      const id = ids[ci];
      const m = model[ci];
      const from = Math.floor(rnd() * 180);
      if (op < 0.45) {
        const j = {
          pflops: 1 + Math.floor(rnd() * 5),
          hours: 1 + Math.floor(rnd() * 12),
          earliest: from,
          deadline: slots,
        };
        if (f.placeInto(j, (['EARLIEST', 'GREENEST', 'CHEAPEST'] as const)[step % 3], buf) === null) {
          const h = f.commitBuffer(buf);
          live.push(h);
          const p = f.placementOf(h);
          for (let i = 0; i < p.hours; i++) {
            model[p.clusterIndex].booked[p.start + i] += Math.round(p.pflops * 1000);
            model[p.clusterIndex].alloc[p.start + i] += p.greenW[i];
          }
          ops.add('commit');
        }
      } else if (op < 0.65 && live.length > 0) {
        const h = live.splice(Math.floor(rnd() * live.length), 1)[0];
        const p = f.placementOf(h);
        f.release(h);
        for (let i = 0; i < p.hours; i++) {
          model[p.clusterIndex].booked[p.start + i] -= Math.round(p.pflops * 1000);
          model[p.clusterIndex].alloc[p.start + i] -= p.greenW[i];
        }
        ops.add('release');
      } else if (op < 0.75) {
        const pf = 5 + Math.floor(rnd() * 10);
        try {
          f.setCapacity(id, from, from + 10, pf);
          for (let t = from; t < from + 10; t++) m.cap[t] = pf * 1000;
          ops.add('setCapacity');
        } catch (e) {
          // under booked work: refused, nothing changed
          if (!(e instanceof SchedulerConflictError)) throw e;
        }
      } else if (op < 0.85) {
        f.addGreenWindow(id, { start: from, end: from + 20, mw: 0.001, pricePerMwh: 10 + Math.floor(rnd() * 50) });
        for (let t = from; t < from + 20; t++) m.supply[t] += 1000;
        ops.add('addGreenWindow');
      } else if (op < 0.95) {
        const n = 5;
        const r = (k: number) => from + k;
        const cap = Array.from({ length: n }, (_, k) => Math.max(m.booked[r(k)], 9000));
        const supply = Array.from({ length: n }, (_, k) => m.supply[r(k)] + 500);
        f.loadSlots(id, from, {
          capacityTflops: cap,
          bookedTflops: m.booked.slice(from, from + n),
          greenSupplyW: supply,
          greenAllocW: m.alloc.slice(from, from + n),
          greenPricePerMwh: Array.from({ length: n }, () => 15),
          gridW: Array.from(f.timeline(id).gridW.subarray(from, from + n)),
        });
        for (let k = 0; k < n; k++) {
          m.cap[r(k)] = cap[k];
          m.supply[r(k)] = supply[k];
        }
        ops.add('loadSlots');
      } else {
        f = f.clone();
        ops.add('clone');
      }
      for (let ci2 = 0; ci2 < ids.length; ci2++)
        for (let t = 0; t < slots; t++) {
          const x = model[ci2];
          const got = [
            f.capacityTflops(ids[ci2], t),
            f.bookedTflops(ids[ci2], t),
            f.freeTflops(ids[ci2], t),
            f.greenSupplyW(ids[ci2], t),
            f.greenAllocW(ids[ci2], t),
          ];
          const want = [x.cap[t], x.booked[t], x.cap[t] - x.booked[t], x.supply[t], x.alloc[t]];
          if (got.join() !== want.join())
            bad.push(`step ${step} ${ids[ci2]} slot ${t}: ${got.join()} != ${want.join()}`);
        }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect([...ops].sort()).toEqual(['addGreenWindow', 'clone', 'commit', 'loadSlots', 'release', 'setCapacity']);
  });
});
