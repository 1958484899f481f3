import { drawWatts, Fleet, Objective, requiredGreenWh } from '@pflex/scheduler';
import fc from 'fast-check';
import type { ClusterMeta } from '../../ledger/timelines.service';
import { QuotaErrorCode, QuotaException } from '../../quotas/quotas.exception';
import { HeldTflops, QuotasService, shareLimitTflops } from '../../quotas/quotas.service';
import { BookingErrorCode, BookingException } from '../bookings.exception';
import { RefusalReasonEnum } from '../dtos/booking.model';
import { jobOf, shareCappedWindow, ValidRequest } from './fleet-window';
import { Refusals } from './refusals';

const BASE = 500_000;

interface Case {
  slots: number;
  clusters: {
    cap: number;
    kw: number;
    pue: number;
    booked: number[];
    supply: number[];
    alloc: number[];
    held: number[];
  }[];
  pflops: number;
  hours: number;
  minGreenShare?: number;
  share?: number;
  objective: Objective;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    slots: fc.integer({ min: 2, max: 10 }),
    n: fc.integer({ min: 1, max: 3 }),
    hours: fc.integer({ min: 1, max: 4 }),
  })
  .chain(({ slots, n, hours }) =>
    fc.record({
      slots: fc.constant(slots),
      hours: fc.constant(Math.min(hours, slots)),
      pflops: fc.integer({ min: 1, max: 60 }),
      minGreenShare: fc.option(fc.constantFrom(0.1, 0.3, 0.6, 1), { nil: undefined }),
      share: fc.option(fc.constantFrom(0.1, 0.25, 0.5, 1), { nil: undefined }),
      objective: fc.constantFrom<Objective>('EARLIEST', 'GREENEST', 'CHEAPEST'),
      clusters: fc.array(
        fc.integer({ min: 10, max: 120 }).chain((capP) =>
          fc.record({
            cap: fc.constant(capP * 1000),
            kw: fc.constantFrom(5, 10, 300),
            pue: fc.constantFrom(1, 1.2),
            booked: fc.array(
              fc.integer({ min: 0, max: capP }).map((x) => x * 1000),
              { minLength: slots, maxLength: slots },
            ),
            supply: fc.array(fc.constantFrom(0, 50_000, 200_000, 600_000, 3_000_000), {
              minLength: slots,
              maxLength: slots,
            }),
            alloc: fc
              .array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: slots, maxLength: slots })
              .map((xs) => xs.map((x) => x)),
            held: fc.array(
              fc.integer({ min: 0, max: capP }).map((x) => x * 1000),
              { minLength: slots, maxLength: slots },
            ),
          }),
        ),
        { minLength: n, maxLength: n },
      ),
    }),
  )
  .map((c) => ({
    ...c,
    clusters: c.clusters.map((k) => ({ ...k, alloc: k.alloc.map((x, i) => Math.floor(x * k.supply[i])) })),
  }));

/** The truth by brute force over every cluster and start: placeable, or which one thing blocks it. */
function bruteForce(c: Case): { reason: 'OK' | 'QUOTA_EXCEEDED' | 'GREEN_SHORTFALL' | 'NO_CAPACITY'; over?: number } {
  const tf = c.pflops * 1000;
  let capOnly = false;
  let capGreen = false;
  let all = false;
  let over = Infinity;
  for (const k of c.clusters) {
    const draw = drawWatts(c.pflops, k.kw, k.pue);
    const need = requiredGreenWh(c.minGreenShare ?? 0, draw, c.hours);
    for (let s = 0; s + c.hours <= c.slots; s++) {
      let capOk = true;
      let green = 0;
      let worst = -Infinity;
      for (let i = s; i < s + c.hours; i++) {
        if (k.cap - k.booked[i] < tf) capOk = false;
        green += Math.min(draw, k.supply[i] - k.alloc[i]);
        if (c.share !== undefined) worst = Math.max(worst, k.held[i] + tf - shareLimitTflops(c.share, k.cap));
      }
      const greenOk = green >= need;
      const shareOk = c.share === undefined || worst <= 0;
      if (capOk) capOnly = true;
      if (capOk && greenOk) {
        capGreen = true;
        if (shareOk) all = true;
        else over = Math.min(over, worst);
      }
    }
  }
  if (all) return { reason: 'OK' };
  if (capGreen) return { reason: 'QUOTA_EXCEEDED', over: over / 1000 };
  return { reason: capOnly ? 'GREEN_SHORTFALL' : 'NO_CAPACITY' };
}

describe('refusal reasons against a brute force', () => {
  const refusals = new Refusals(new QuotasService(undefined as never, undefined as never));

  it('every refusal names what blocks the request, and the share excess is the real one', () => {
    const seen: Record<string, number> = {};
    fc.assert(
      fc.property(caseArb, (c) => {
        const metas: ClusterMeta[] = c.clusters.map((k, i) => ({
          id: `c${i}`,
          ownerOrgId: 'o',
          name: `c${i}`,
          region: 'r',
          siteId: null,
          gridTariff: null,
          postedGridPrices: [],
          capacityTflops: k.cap,
          kwPerPflops: k.kw,
          pue: k.pue,
          pricePerPflopsHour: 2 + i,
          gridPricePerMwh: 500,
          createdAt: i,
        }));
        const main = Fleet.fromSpec({
          slots: c.slots,
          clusters: metas.map((m) => ({
            id: m.id,
            capacityPflops: 0,
            kwPerPflops: m.kwPerPflops,
            pue: m.pue,
            pricePerPflopsHour: m.pricePerPflopsHour,
            gridPricePerMwh: m.gridPricePerMwh,
          })),
        });
        c.clusters.forEach((k, i) =>
          main.loadSlots(`c${i}`, 0, {
            capacityTflops: k.booked.map(() => k.cap),
            bookedTflops: k.booked,
            greenSupplyW: k.supply,
            greenAllocW: k.alloc,
            greenPricePerMwh: k.supply.map(() => 100),
          }),
        );
        const v: ValidRequest = {
          pflops: c.pflops,
          hours: c.hours,
          earliestH: BASE,
          deadlineH: BASE + c.slots,
          clusters: metas,
          minGreenShare: c.minGreenShare,
        };
        const held: HeldTflops = new Map(c.clusters.map((k, i) => [`c${i}`, Int32Array.from(k.held)]));
        const cap = c.share !== undefined ? { share: c.share, held } : null;
        const d = cap
          ? shareCappedWindow(main, BASE, v, cap).place(jobOf(v, BASE), c.objective)
          : main.place(jobOf(v, BASE), c.objective);
        const truth = bruteForce(c);
        seen[truth.reason] = (seen[truth.reason] ?? 0) + 1;
        if (d.ok) {
          expect(truth.reason).toBe('OK');
          return;
        }
        const e = refusals.explain(v, d, c.objective, main, BASE, cap);
        const code = e instanceof QuotaException || e instanceof BookingException ? e.code : 'OTHER';
        expect(code).toBe(truth.reason);
        if (truth.reason === 'QUOTA_EXCEEDED') {
          expect((e as QuotaException).details?.over).toBeCloseTo(truth.over!, 9);
          expect(truth.over!).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1500, seed: 4242 },
    );
    // every kind of answer was exercised
    for (const r of ['OK', 'QUOTA_EXCEEDED', 'GREEN_SHORTFALL', 'NO_CAPACITY']) expect(seen[r]).toBeGreaterThan(20);
  });
});

describe('reasonOf: the reason a quote shows for a refusal', () => {
  const refusals = new Refusals(new QuotasService(undefined as never, undefined as never));

  it('keeps the message; green and grid shortfalls have their own reasons, other booking refusals are NO_CAPACITY, access rules QUOTA_EXCEEDED', () => {
    const cases: [Error, RefusalReasonEnum][] = [
      [new BookingException(BookingErrorCode.GREEN_SHORTFALL, 'green'), RefusalReasonEnum.GREEN_SHORTFALL],
      [new BookingException(BookingErrorCode.GRID_LIMIT, 'grid'), RefusalReasonEnum.GRID_LIMIT],
      [new BookingException(BookingErrorCode.NO_CAPACITY, 'full'), RefusalReasonEnum.NO_CAPACITY],
      [new QuotaException(QuotaErrorCode.QUOTA_EXCEEDED, 'rule'), RefusalReasonEnum.QUOTA_EXCEEDED],
    ];
    expect(cases.map(([e]) => refusals.reasonOf(e))).toEqual(
      cases.map(([e, reason]) => ({ reason, message: e.message })),
    );
  });
});
