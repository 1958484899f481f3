import fc from 'fast-check';
import { bookingMix, smallInstance } from '../bench/instances';
import { parseInstance, runInstance } from '../src/instance';
import type { InstanceFile, Objective } from '../src/types';
import { referencePlace } from './reference-placer';
import { replayResult } from './replay';

// Random instances as a user would write them: windows and capacity changes that reach past the
// horizon (or start before it), overlapping green, scarce capacity, minGreenShare, cluster lists.
const pf3 = (min: number, max: number) => fc.integer({ min: min * 1000, max: max * 1000 }).map((k) => k / 1000);

// With `grid`: up to 2 sites with tight reserved grid (null = unlimited) and changes past the
// horizon, clusters on them or on their own, and time-of-use tariffs.
const instanceArbOf = (grid: boolean): fc.Arbitrary<InstanceFile> =>
  fc.record({ slots: fc.integer({ min: 8, max: 120 }), n: fc.integer({ min: 1, max: 3 }) }).chain(({ slots, n }) => {
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const range = fc.record({ start: fc.integer({ min: -10, max: slots + 5 }), len: fc.integer({ min: 1, max: 40 }) });
    const mw = fc.option(
      fc.integer({ min: 0, max: 30 }).map((k) => k / 1000),
      { nil: null, freq: 5 },
    );
    const site = (k: number) =>
      fc.record({
        id: fc.constant(`s${k}`),
        gridMw: mw,
        gridChanges: fc.array(
          fc.tuple(range, mw).map(([r, m]) => ({ start: r.start, end: r.start + r.len, mw: m })),
          { maxLength: 3 },
        ),
      });
    const cluster = (id: string) =>
      fc.record({
        id: fc.constant(id),
        ...(grid
          ? {
              site: fc.constantFrom('s0', 's1', undefined),
              gridPrices: fc.array(
                fc
                  .tuple(range, fc.constantFrom(0, 80, 400, 1100.5))
                  .map(([r, p]) => ({ start: r.start, end: r.start + r.len, pricePerMwh: p })),
                { maxLength: 4 },
              ),
            }
          : {}),
        capacityPflops: pf3(2, 12),
        capacityChanges: fc.array(
          fc.tuple(range, pf3(0, 12)).map(([r, c]) => ({ start: r.start, end: r.start + r.len, capacityPflops: c })),
          { maxLength: 3 },
        ),
        kwPerPflops: fc.constantFrom(1, 1.1, 1.3),
        pue: fc.constantFrom(1, 1.25, 1.4),
        pricePerPflopsHour: fc.constantFrom(1, 8.5),
        gridPricePerMwh: fc.constantFrom(400, 650),
        green: fc.array(
          fc
            .tuple(range, fc.integer({ min: 0, max: 20 }), fc.constantFrom(100, 250.5, 320, 700))
            .map(([r, mw, price]) => ({ start: r.start, end: r.start + r.len, mw: mw / 1000, pricePerMwh: price })),
          { maxLength: 6 },
        ),
      });
    const job = (i: number) =>
      fc
        .record({
          pflops: pf3(0.5, 8),
          hours: fc.integer({ min: 1, max: 12 }),
          earliest: fc.integer({ min: 0, max: slots }),
          slack: fc.integer({ min: 0, max: 40 }),
          minGreenShare: fc.option(fc.constantFrom(0.1, 0.25, 0.5, 0.9, 1), { nil: undefined }),
          clusters: fc.option(fc.shuffledSubarray(ids, { minLength: 1 }), { nil: undefined }),
          objective: fc.constantFrom<Objective>('EARLIEST', 'GREENEST', 'CHEAPEST'),
        })
        .map((j) => {
          const o: InstanceFile['jobs'][number] = {
            id: `j${i}`,
            pflops: j.pflops,
            hours: j.hours,
            earliest: j.earliest,
            deadline: j.earliest + j.hours + j.slack,
            objective: j.objective,
          };
          if (j.minGreenShare !== undefined) o.minGreenShare = j.minGreenShare;
          if (j.clusters !== undefined) o.clusters = j.clusters;
          return o;
        });
    return fc.record({
      slots: fc.constant(slots),
      ...(grid ? { sites: fc.tuple(site(0), site(1)) } : {}),
      clusters: fc
        .tuple(...ids.map(cluster))
        .map(
          (cs) =>
            cs.map((c) =>
              c.site === undefined ? (({ site: _s, ...rest }) => rest)(c as { site?: string }) : c,
            ) as InstanceFile['clusters'],
        ),
      jobs: fc.integer({ min: 1, max: 30 }).chain((k) => fc.tuple(...Array.from({ length: k }, (_, i) => job(i)))),
    });
  });

const instanceArb = instanceArbOf(false);

describe('property: every result replays', () => {
  it('with sites, grid caps and time-of-use tariffs: online and batch results replay (no site-slot over its cap, hourly grid prices)', () => {
    let refused = 0;
    fc.assert(
      fc.property(instanceArbOf(true), fc.integer({ min: 1, max: 1000 }), (inst, seed) => {
        const online = runInstance(inst, 'online');
        refused += online.unplaced.filter((u) => u.reason === 'GRID_LIMIT').length;
        expect(replayResult(inst, online)).toEqual([]);
        expect(replayResult(inst, runInstance(inst, 'batch', { timeBudgetMs: 200, iterations: 300, seed }))).toEqual(
          [],
        );
      }),
      { numRuns: 150, seed: 11 },
    );
    expect(refused).toBeGreaterThan(20);
  });

  it('batch leaves every job where its own objective puts it with the others where they are (no green, so commit order cannot matter; reference placer)', () => {
    let checked = 0;
    let notEarliest = 0;
    fc.assert(
      fc.property(instanceArbOf(true), fc.integer({ min: 1, max: 1000 }), (raw, seed) => {
        const inst: InstanceFile = {
          ...raw,
          clusters: raw.clusters.map((c) => ({ ...c, green: [] })),
          jobs: raw.jobs.map(({ minGreenShare: _m, ...j }) => j),
        };
        const res = runInstance(inst, 'batch', { timeBudgetMs: Infinity, iterations: 300, seed });
        const { fleet } = parseInstance(inst);
        const byId = new Map(inst.jobs.map((j) => [j.id, j]));
        const handles = res.placements.map((p) => {
          const d = fleet.place(
            {
              ...byId.get(p.job)!,
              earliest: p.start,
              deadline: p.start + byId.get(p.job)!.hours,
              clusters: [p.cluster],
            },
            'EARLIEST',
          );
          if (!d.ok) throw new Error(`${p.job} does not replay`);
          return fleet.commit(d.placement);
        });
        res.placements.forEach((p, k) => {
          const j = byId.get(p.job)!;
          const was = fleet.placementOf(handles[k], j.id);
          fleet.release(handles[k]);
          const ref = referencePlace(fleet, j, j.objective ?? 'EARLIEST');
          expect({
            job: p.job,
            at: typeof ref === 'string' ? ref : [fleet.clusterIds[ref.clusterIndex], ref.start],
          }).toEqual({
            job: p.job,
            at: [p.cluster, p.start],
          });
          handles[k] = fleet.commit(was);
          checked++;
          if (j.objective !== 'EARLIEST') notEarliest++;
        });
      }),
      { numRuns: 150, seed: 12 },
    );
    expect(checked).toBeGreaterThan(500);
    expect(notEarliest).toBeGreaterThan(200);
  });

  it('the checker itself rejects a site-slot over its cap and a grid price not taken hour by hour', () => {
    const inst: InstanceFile = {
      slots: 4,
      sites: [{ id: 's', gridMw: 0.002 }],
      clusters: [
        {
          id: 'a',
          site: 's',
          capacityPflops: 10,
          kwPerPflops: 1,
          pue: 1,
          pricePerPflopsHour: 1,
          gridPricePerMwh: 100,
          gridPrices: [{ start: 2, end: 4, pricePerMwh: 10 }],
        },
      ],
      jobs: [
        { id: 'x', pflops: 1.5, hours: 2, earliest: 0, deadline: 4 },
        { id: 'y', pflops: 1.5, hours: 2, earliest: 0, deadline: 4 },
      ],
    };
    const res = runInstance(inst, 'online');
    expect(res.placements.map((p) => [p.job, p.start])).toEqual([
      ['x', 0],
      ['y', 2],
    ]);
    expect(replayResult(inst, res)).toEqual([]);
    const both = { ...res, placements: res.placements.map((p) => ({ ...p, start: 0 })) };
    expect(replayResult(inst, both).join('\n')).toMatch(
      /y: slot 0 of site s over its reserved grid \(3000 W > 2000 W\)/,
    );
    const flat = {
      ...res,
      placements: res.placements.map((p) => (p.job === 'y' ? { ...p, price: 3 + (3000 * 100) / 1e6 } : p)),
    };
    expect(replayResult(inst, flat).join('\n')).toMatch(/y: reports price 3.3, replay gives 3.03/);
  });

  it('online and batch results of random instances replay exactly in the listed order (independent checker)', () => {
    fc.assert(
      fc.property(instanceArb, fc.integer({ min: 1, max: 1000 }), (inst, seed) => {
        expect(replayResult(inst, runInstance(inst, 'online'))).toEqual([]);
        expect(replayResult(inst, runInstance(inst, 'batch', { timeBudgetMs: 200, iterations: 300, seed }))).toEqual(
          [],
        );
      }),
      { numRuns: 150, seed: 10 },
    );
  });

  it('batch results of the seeded small instances replay exactly (each one failed before placements were listed in commit order)', () => {
    for (let seed = 1; seed <= 8; seed++) {
      const inst = smallInstance(seed);
      expect({ seed, errors: replayResult(inst, runInstance(inst, 'batch', { timeBudgetMs: 300 })) }).toEqual({
        seed,
        errors: [],
      });
    }
  });

  it('a booking-shaped mix (10 clusters, 720 slots, a third with minGreenShare) replays in both modes', () => {
    const inst = bookingMix({ clusters: 10, slots: 720, load: 1.2, seed: 3 });
    expect(inst.jobs.length).toBeGreaterThan(1000);
    expect(replayResult(inst, runInstance(inst, 'online'))).toEqual([]);
    expect(replayResult(inst, runInstance(inst, 'batch', { timeBudgetMs: 800 }))).toEqual([]);
  });

  it('the checker itself rejects a result whose green was taken in another order', () => {
    const inst: InstanceFile = {
      slots: 4,
      clusters: [
        {
          id: 'a',
          capacityPflops: 10,
          kwPerPflops: 1,
          pue: 1,
          pricePerPflopsHour: 1,
          gridPricePerMwh: 100,
          green: [{ start: 0, end: 4, mw: 0.001, pricePerMwh: 10 }],
        },
      ],
      jobs: [
        { id: 'x', pflops: 1, hours: 2, earliest: 0, deadline: 4 },
        { id: 'y', pflops: 1, hours: 2, earliest: 0, deadline: 4 },
      ],
    };
    const res = runInstance(inst, 'online');
    expect(replayResult(inst, res)).toEqual([]);
    // x took all the green in [0, 2); listing y first makes y the one that takes it on replay
    const swapped = { ...res, placements: [...res.placements].reverse() };
    expect(replayResult(inst, swapped).join('\n')).toMatch(/y: reports 0 green MWh, replay gives 0.002/);
  });
});
