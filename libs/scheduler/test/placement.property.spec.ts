import fc from 'fast-check';
import {
  Fleet,
  GRID_UNLIMITED,
  OBJECTIVES,
  SchedulerConflictError,
  type ClusterSpec,
  type FleetSpec,
  type JobRequest,
  type Objective,
  type Placement,
} from '../src/index';
import { referencePlace } from './reference-placer';

// Small random fleets: scarce capacity and green so that conflicts, ties and refusals happen.
const pf3 = (min: number, max: number) => fc.integer({ min: min * 1000, max: max * 1000 }).map((k) => k / 1000);

const clusterArb = (slots: number, i: number): fc.Arbitrary<ClusterSpec> =>
  fc.record({
    id: fc.constant(`c${i}`),
    capacityPflops: pf3(2, 12),
    capacityChanges: fc.array(
      fc
        .record({
          start: fc.integer({ min: 0, max: slots - 1 }),
          len: fc.integer({ min: 1, max: 30 }),
          capacityPflops: pf3(0, 12),
        })
        .map((c) => ({
          start: c.start,
          end: Math.min(slots, c.start + c.len),
          capacityPflops: c.capacityPflops,
        })),
      { maxLength: 3 },
    ),
    // 0.001 kW per PFLOPS: a small job draws 0 W there (its green requirement is 0 Wh)
    kwPerPflops: fc.constantFrom(1, 1.1, 1.3, 0.001),
    pue: fc.constantFrom(1, 1.25, 1.4),
    pricePerPflopsHour: fc.constantFrom(1, 8.5, 9.2),
    gridPricePerMwh: fc.constantFrom(400, 650),
    green: fc.array(
      fc
        .record({
          start: fc.integer({ min: 0, max: slots - 1 }),
          len: fc.integer({ min: 1, max: 40 }),
          mw: fc.integer({ min: 0, max: 20 }).map((k) => k / 1000),
          pricePerMwh: fc.constantFrom(100, 250.5, 320, 700),
        })
        .map((w) => ({ start: w.start, end: Math.min(slots, w.start + w.len), mw: w.mw, pricePerMwh: w.pricePerMwh })),
      { maxLength: 5 },
    ),
  });

const fleetArb: fc.Arbitrary<FleetSpec> = fc
  .record({ slots: fc.integer({ min: 8, max: 150 }), n: fc.integer({ min: 1, max: 3 }) })
  .chain(({ slots, n }) =>
    fc.record({
      slots: fc.constant(slots),
      clusters: fc.tuple(...Array.from({ length: n }, (_, i) => clusterArb(slots, i))),
    }),
  );

const jobArb = (spec: FleetSpec): fc.Arbitrary<JobRequest> =>
  fc
    .record({
      pflops: fc.oneof(pf3(0.5, 8), pf3(0.001, 0.4)),
      hours: fc.integer({ min: 1, max: 12 }),
      earliest: fc.integer({ min: 0, max: spec.slots + 2 }),
      slack: fc.integer({ min: 0, max: 60 }),
      minGreenShare: fc.option(fc.constantFrom(0, 0.25, 0.5, 0.9, 1), { nil: undefined }),
      clusters: fc.option(
        fc.shuffledSubarray(
          spec.clusters.map((c) => c.id),
          { minLength: 1 },
        ),
        { nil: undefined },
      ),
      objective: fc.constantFrom<Objective>('EARLIEST', 'GREENEST', 'CHEAPEST'),
    })
    .map((j) => ({
      pflops: j.pflops,
      hours: j.hours,
      earliest: j.earliest,
      deadline: j.earliest + j.hours + j.slack,
      minGreenShare: j.minGreenShare,
      clusters: j.clusters,
      objective: j.objective,
    }));

type Op = { kind: 'place'; job: JobRequest } | { kind: 'release'; pick: number };

const scenarioArb = fleetArb.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    ops: fc.array(
      fc.oneof(
        { weight: 3, arbitrary: jobArb(spec).map((job): Op => ({ kind: 'place', job })) },
        { weight: 1, arbitrary: fc.nat(1000).map((pick): Op => ({ kind: 'release', pick })) },
      ),
      { minLength: 1, maxLength: 40 },
    ),
  }),
);

function state(f: Fleet): string {
  const parts: number[] = [];
  for (const id of f.clusterIds) {
    const t = f.timeline(id);
    parts.push(...t.freeTflops, ...t.greenFreeW);
  }
  return parts.join(',');
}

function assertInvariants(f: Fleet): void {
  for (const id of f.clusterIds) {
    const t = f.timeline(id);
    for (let s = 0; s < f.slots; s++) {
      if (t.capacityTflops[s] - t.freeTflops[s] > t.capacityTflops[s] || t.capacityTflops[s] - t.freeTflops[s] < 0)
        throw new Error(`${id} slot ${s} over capacity`);
      if (t.greenSupplyW[s] - t.greenFreeW[s] > t.greenSupplyW[s] || t.greenSupplyW[s] - t.greenFreeW[s] < 0)
        throw new Error(`${id} slot ${s} over green supply`);
    }
  }
}

// Fleets with sites: 1-2 declared sites with tight reserved grid (a few kW against draws of 0.5-15 kW
// and green of 0-20 kW), some clusters on their own, and time-of-use tariffs.
const gridMw = fc.option(
  fc.integer({ min: 0, max: 40 }).map((k) => k / 1000),
  { nil: null },
);

const gridFleetArb: fc.Arbitrary<FleetSpec> = fc
  .record({
    slots: fc.integer({ min: 8, max: 120 }),
    n: fc.integer({ min: 1, max: 4 }),
    sites: fc.integer({ min: 1, max: 2 }),
  })
  .chain(({ slots, n, sites }) =>
    fc.record({
      slots: fc.constant(slots),
      sites: fc.tuple(
        ...Array.from({ length: sites }, (_, k) =>
          fc.record({
            id: fc.constant(`s${k}`),
            gridMw,
            gridChanges: fc.array(
              fc
                .record({
                  start: fc.integer({ min: -5, max: slots }),
                  len: fc.integer({ min: 1, max: 40 }),
                  mw: gridMw,
                })
                .map((c) => ({ start: c.start, end: c.start + c.len, mw: c.mw })),
              { maxLength: 3 },
            ),
          }),
        ),
      ),
      clusters: fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          fc
            .record({
              base: clusterArb(slots, i),
              site: fc.option(
                fc.integer({ min: 0, max: sites - 1 }).map((k) => `s${k}`),
                { nil: undefined },
              ),
              gridPrices: fc.array(
                fc
                  .record({
                    start: fc.integer({ min: -5, max: slots }),
                    len: fc.integer({ min: 1, max: 30 }),
                    pricePerMwh: fc.constantFrom(0, 120, 400, 650.5, 1200),
                  })
                  .map((r) => ({
                    start: r.start,
                    end: r.start + r.len,
                    pricePerMwh: r.pricePerMwh,
                  })),
                { maxLength: 4 },
              ),
            })
            .map(({ base, site, gridPrices }): ClusterSpec => ({
              ...base,
              ...(site === undefined ? {} : { site }),
              gridPrices,
            })),
        ),
      ),
    }),
  );

type GridOp =
  | { kind: 'place'; job: JobRequest }
  | { kind: 'release'; pick: number }
  | { kind: 'cap'; site: number; start: number; len: number; mw: number | null; onLive: boolean }
  | { kind: 'price'; cluster: number; start: number; len: number; price: number };

const gridScenarioArb = gridFleetArb.chain((spec) =>
  fc.record({
    spec: fc.constant(spec),
    ops: fc.array(
      fc.oneof(
        { weight: 6, arbitrary: jobArb(spec).map((job): GridOp => ({ kind: 'place', job })) },
        { weight: 2, arbitrary: fc.nat(1000).map((pick): GridOp => ({ kind: 'release', pick })) },
        {
          weight: 2,
          arbitrary: fc
            .record({
              onLive: fc.boolean(),
              site: fc.nat(10),
              start: fc.integer({ min: -3, max: spec.slots }),
              len: fc.integer({ min: 1, max: 30 }),
              mw: fc.option(
                fc.integer({ min: 0, max: 6 }).map((k) => k / 1000),
                { nil: null, freq: 6 },
              ),
            })
            .map((o): GridOp => ({ kind: 'cap', ...o })),
        },
        {
          weight: 1,
          arbitrary: fc
            .record({
              cluster: fc.nat(10),
              start: fc.integer({ min: -3, max: spec.slots }),
              len: fc.integer({ min: 1, max: 30 }),
              price: fc.constantFrom(50, 400, 900),
            })
            .map((o): GridOp => ({ kind: 'price', ...o })),
        },
      ),
      { minLength: 1, maxLength: 50 },
    ),
  }),
);

interface Live {
  handle: number;
  cluster: number;
  start: number;
  drawW: number;
  greenW: Int32Array;
}

function gridState(f: Fleet): string {
  const parts: number[] = [];
  for (const id of f.clusterIds) {
    const t = f.timeline(id);
    parts.push(
      ...t.freeTflops,
      ...t.greenFreeW,
      ...t.gridW,
      ...Array.from({ length: f.slots }, (_, k) => f.gridPricePerMwhAt(id, k)),
    );
  }
  for (let k = 0; k < f.siteIds.length; k++) {
    const s = f.siteTimeline(k);
    parts.push(...s.capW, ...s.usedW);
  }
  return parts.join(',');
}

/** Site and cluster grid W recomputed from the live bookings alone, and every capped site-slot within its cap. */
function assertGridInvariants(f: Fleet, live: readonly Live[]): void {
  const used = f.siteIds.map(() => new Float64Array(f.slots));
  const perCluster = f.clusterIds.map(() => new Float64Array(f.slots));
  for (const b of live)
    for (let i = 0; i < b.greenW.length; i++) {
      used[f.siteOfCluster(b.cluster)][b.start + i] += b.drawW - b.greenW[i];
      perCluster[b.cluster][b.start + i] += b.drawW - b.greenW[i];
    }
  for (let k = 0; k < f.siteIds.length; k++)
    for (let t = 0; t < f.slots; t++) {
      if (f.gridUsedW(k, t) !== used[k][t])
        throw new Error(`site ${f.siteIds[k]} slot ${t}: used ${f.gridUsedW(k, t)}, bookings draw ${used[k][t]}`);
      const cap = f.gridCapW(k, t);
      if (cap !== GRID_UNLIMITED && used[k][t] > cap)
        throw new Error(`site ${f.siteIds[k]} slot ${t}: ${used[k][t]} W over the cap ${cap}`);
    }
  f.clusterIds.forEach((id, c) => {
    const g = f.timeline(c).gridW;
    for (let t = 0; t < f.slots; t++)
      if (g[t] !== perCluster[c][t])
        throw new Error(`${id} slot ${t}: gridW ${g[t]}, bookings draw ${perCluster[c][t]}`);
  });
}

function expectSameAsReference(f: Fleet, job: JobRequest, reasons: Record<string, number>): void {
  for (const obj of OBJECTIVES) {
    const d = f.place(job, obj);
    const r = referencePlace(f, job, obj);
    if (typeof r === 'string') {
      expect(d).toMatchObject({ ok: false, reason: r });
      reasons[r] = (reasons[r] ?? 0) + 1;
      continue;
    }
    expect(d.ok).toBe(true);
    if (!d.ok) continue;
    const p = d.placement;
    if (obj === 'EARLIEST') expect([p.clusterIndex, p.start]).toEqual([r.clusterIndex, r.start]);
    else if (obj === 'GREENEST') {
      expect(Math.round(p.greenMwh * 1e6)).toBe(r.greenWh);
      expect([p.clusterIndex, p.start]).toEqual([r.clusterIndex, r.start]);
    } else expect(Math.abs(p.price.total - r.total)).toBeLessThanOrEqual(1e-7 * Math.max(1, r.total));
    for (let i = 0; i < p.hours; i++) expect(p.gridW[i]).toBe(p.drawW - p.greenW[i]);
  }
}

describe('property: fast placer vs reference placer', () => {
  it('finds an option exactly as good as the reference under every objective, through random place/commit/release sequences', () => {
    fc.assert(
      fc.property(scenarioArb, ({ spec, ops }) => {
        const f = Fleet.fromSpec(spec);
        const live: number[] = [];
        for (const op of ops) {
          if (op.kind === 'release') {
            if (live.length === 0) continue;
            const k = op.pick % live.length;
            f.release(live[k]);
            live.splice(k, 1);
            assertInvariants(f);
            continue;
          }
          for (const obj of OBJECTIVES) {
            const d = f.place(op.job, obj);
            const r = referencePlace(f, op.job, obj);
            if (typeof r === 'string') {
              expect(d).toMatchObject({ ok: false, reason: r });
              continue;
            }
            expect(d.ok).toBe(true);
            if (!d.ok) continue;
            const p = d.placement;
            if (obj === 'EARLIEST') {
              expect([p.clusterIndex, p.start]).toEqual([r.clusterIndex, r.start]);
            } else if (obj === 'GREENEST') {
              expect(Math.round(p.greenMwh * 1e6)).toBe(r.greenWh);
              expect([p.clusterIndex, p.start]).toEqual([r.clusterIndex, r.start]);
            } else {
              expect(Math.abs(p.price.total - r.total)).toBeLessThanOrEqual(1e-7 * Math.max(1, r.total));
            }
            // the option itself satisfies minGreenShare
            if (op.job.minGreenShare) expect(p.greenShare).toBeGreaterThanOrEqual(op.job.minGreenShare - 1e-9);
          }
          const d = f.place(op.job);
          if (d.ok) {
            const before = state(f);
            const h = f.commit(d.placement);
            assertInvariants(f);
            // release restores the exact prior state; re-commit the same placement
            f.release(h);
            expect(state(f)).toBe(before);
            live.push(f.commit(d.placement));
          }
        }
        // releasing everything leaves an empty fleet
        for (const h of live) f.release(h);
        for (const id of f.clusterIds) {
          const t = f.timeline(id);
          expect(
            t.freeTflops.every((x, k) => x === t.capacityTflops[k]) &&
              t.greenFreeW.every((x, k) => x === t.greenSupplyW[k]),
          ).toBe(true);
        }
      }),
      { numRuns: 250, seed: 20270101 },
    );
  });

  it('on a 10,000-slot horizon (64/4096-slot summary blocks) agrees with the reference', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            start: fc.integer({ min: 0, max: 9999 }),
            len: fc.integer({ min: 1, max: 5000 }),
            cap: fc.integer({ min: 0, max: 10 }),
          }),
          { maxLength: 12 },
        ),
        fc.array(
          fc.record({
            pflops: fc.integer({ min: 1, max: 10 }),
            hours: fc.integer({ min: 1, max: 48 }),
            earliest: fc.integer({ min: 0, max: 9900 }),
            slack: fc.integer({ min: 0, max: 700 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        (changes, jobs) => {
          const f = Fleet.fromSpec({
            slots: 10_000,
            clusters: [0, 1].map((i) => ({
              id: `c${i}`,
              capacityPflops: 10,
              kwPerPflops: 1,
              pue: 1,
              pricePerPflopsHour: 1,
              gridPricePerMwh: 100,
              green: [{ start: 5000, end: 6000, mw: 0.004, pricePerMwh: 10 }],
            })),
          });
          changes.forEach((c, i) => f.setCapacity(`c${i % 2}`, c.start, Math.min(10_000, c.start + c.len), c.cap));
          for (const j of jobs) {
            const job = {
              pflops: j.pflops,
              hours: j.hours,
              earliest: j.earliest,
              deadline: j.earliest + j.hours + j.slack,
            };
            for (const obj of OBJECTIVES) {
              const d = f.place(job, obj);
              const r = referencePlace(f, job, obj);
              if (typeof r === 'string') expect(d).toMatchObject({ ok: false, reason: r });
              else expect(d).toMatchObject({ ok: true, placement: { clusterIndex: r.clusterIndex, start: r.start } });
            }
            const d = f.place(job);
            if (d.ok) f.commit(d.placement);
          }
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });

  it('with sites, grid caps and time-of-use tariffs agrees with the reference under every objective (refusals included), and keeps every site within its cap', () => {
    const seen = { placed: 0, capConflicts: 0 };
    const reasons: Record<string, number> = {};
    fc.assert(
      fc.property(gridScenarioArb, ({ spec, ops }) => {
        const f = Fleet.fromSpec(spec);
        const live: Live[] = [];
        for (const op of ops) {
          if (op.kind === 'release') {
            if (live.length === 0) continue;
            const k = op.pick % live.length;
            f.release(live[k].handle);
            live.splice(k, 1);
          } else if (op.kind === 'cap') {
            // half of them over a live booking's run, on its site
            const b = op.onLive && live.length > 0 ? live[op.site % live.length] : null;
            const site = b ? f.siteIds[f.siteOfCluster(b.cluster)] : f.siteIds[op.site % f.siteIds.length];
            const start = b ? b.start : op.start;
            const before = gridState(f);
            try {
              f.setGridCapacity(site, start, start + (b ? b.greenW.length : op.len), op.mw);
            } catch (e) {
              if (!(e instanceof SchedulerConflictError) || e.reason !== 'GRID_LIMIT') throw e;
              seen.capConflicts++;
              expect(gridState(f)).toBe(before);
            }
          } else if (op.kind === 'price') {
            f.setGridPrice(f.clusterIds[op.cluster % f.clusterIds.length], op.start, op.start + op.len, op.price);
          } else {
            expectSameAsReference(f, op.job, reasons);
            const d = f.place(op.job);
            if (!d.ok) continue;
            const p: Placement = d.placement;
            const before = gridState(f);
            const h = f.commit(p);
            f.release(h);
            // release restores the exact prior state, site grid included
            expect(gridState(f)).toBe(before);
            live.push({
              handle: f.commit(p),
              cluster: p.clusterIndex,
              start: p.start,
              drawW: p.drawW,
              greenW: p.greenW,
            });
            seen.placed++;
          }
          assertInvariants(f);
          assertGridInvariants(f, live);
        }
        // a clone carries the sites, caps and tariffs
        const c = f.clone();
        expect(gridState(c)).toBe(gridState(f));
        for (const b of live) f.release(b.handle);
        assertGridInvariants(f, []);
      }),
      { numRuns: 300, seed: 20270214 },
    );
    // the generator does reach the cases that matter
    for (const r of ['NO_CAPACITY', 'GRID_LIMIT', 'GREEN_SHORTFALL', 'OUTSIDE_HORIZON'])
      expect(reasons[r]).toBeGreaterThan(20);
    expect(seen.placed).toBeGreaterThan(200);
    expect(seen.capConflicts).toBeGreaterThan(5);
  });
});
