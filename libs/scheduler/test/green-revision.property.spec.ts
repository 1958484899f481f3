import fc from 'fast-check';
import {
  applyRevision,
  proRata,
  requiredGreenWh,
  shareGreen,
  type GreenHolder,
  type RevisedBooking,
} from '../src/index';

// Holders of one hour: draws up to 2,000 MW (watts times watts exceed 2^53), promises <= draw.
const holderArb: fc.Arbitrary<GreenHolder> = fc
  .record({
    drawW: fc.integer({ min: 1, max: 2_000_000_000 }),
    p: fc.double({ min: 0, max: 1, noNaN: true }),
    n: fc.double({ min: 0, max: 1, noNaN: true }),
    sla: fc.boolean(),
  })
  .map(({ drawW, p, n, sla }) => {
    const promisedW = Math.floor(drawW * p);
    return { drawW, promisedW, needW: sla ? Math.floor(promisedW * n) : 0 };
  });
const hourArb = fc.tuple(
  fc.array(holderArb, { minLength: 1, maxLength: 12 }),
  fc.double({ min: 0, max: 1.2, noNaN: true }),
);

describe('green re-allocation rule (shareGreen)', () => {
  it('never more than the supply, never more than a promise, whole watts', () => {
    fc.assert(
      fc.property(hourArb, ([hs, f]) => {
        const promised = hs.reduce((a, h) => a + h.promisedW, 0);
        const supply = Math.floor(promised * f);
        const out = shareGreen(supply, hs);
        expect(out.reduce((a, x) => a + x, 0)).toBeLessThanOrEqual(Math.max(supply, 0));
        out.forEach((x, i) => {
          expect(Number.isInteger(x)).toBe(true);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(hs[i].promisedW);
          expect(x).toBeLessThanOrEqual(hs[i].drawW);
        });
        // nothing is wasted: the supply is used up to what the promises can take
        expect(out.reduce((a, x) => a + x, 0)).toBe(Math.min(supply, promised));
      }),
      { numRuns: 500 },
    );
  });

  it('SLA needs come first: while any need is short, no booking holds more than its need; then the rest goes pro rata to draw', () => {
    fc.assert(
      fc.property(hourArb, ([hs, f]) => {
        const promised = hs.reduce((a, h) => a + h.promisedW, 0);
        const supply = Math.floor(promised * f);
        const out = shareGreen(supply, hs);
        const short = out.some((x, i) => x < hs[i].needW);
        if (short) out.forEach((x, i) => expect(x).toBeLessThanOrEqual(hs[i].needW));
        else if (supply < promised) {
          // beyond the needs, two bookings below their promise got shares of the rest within one watt of pro rata to draw
          const open = out.map((_, i) => i).filter((i) => out[i] < hs[i].promisedW);
          for (const i of open) {
            for (const j of open) {
              const ei = out[i] - hs[i].needW;
              const ej = out[j] - hs[j].needW;
              // ei / draw_i vs ej / draw_j, allowing a watt of rounding on each
              expect((ei + 1) * hs[j].drawW).toBeGreaterThanOrEqual((ej - 1) * hs[i].drawW);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('supply covering the promises gives every booking its promise', () => {
    fc.assert(
      fc.property(
        fc.array(holderArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 1e9 }),
        (hs, more) => {
          const promised = hs.reduce((a, h) => a + h.promisedW, 0);
          expect(shareGreen(promised + more, hs)).toEqual(hs.map((h) => h.promisedW));
        },
      ),
    );
  });

  it('proRata is exact with caps (water-filling) against a brute-force unit-by-unit reference on small numbers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 12 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 0, max: 60 }),
        (wc, total) => {
          const w = wc.map((x) => x[0]);
          const c = wc.map((x) => x[1]);
          const out = proRata(total, w, c);
          const capTotal = c.reduce((a, x, i) => a + (w[i] > 0 ? x : 0), 0);
          expect(out.reduce((a, x) => a + x, 0)).toBe(Math.min(total, capTotal));
          // the continuous water-filling level: each uncapped share is within one unit of level x weight
          out.forEach((x, i) => {
            expect(x).toBeLessThanOrEqual(c[i]);
            if (w[i] === 0) expect(x).toBe(0);
          });
          const open = out.map((_, i) => i).filter((i) => w[i] > 0 && out[i] < c[i]);
          for (const i of open)
            for (const j of out.map((_, k) => k).filter((k) => w[k] > 0))
              expect(out[j]).toBeLessThanOrEqual(Math.min(c[j], Math.ceil(((out[i] + 1) * w[j]) / w[i])));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// Bookings over a few hours, green promised at booking, supply revised over a range.
const bookingArb = (slots: number): fc.Arbitrary<RevisedBooking & { start: number }> =>
  fc
    .record({
      start: fc.integer({ min: 0, max: slots - 1 }),
      hours: fc.integer({ min: 1, max: 6 }),
      drawW: fc.integer({ min: 1_000, max: 5_000_000 }),
      share: fc.constantFrom(0, 0, 0.2, 0.5, 1),
      frac: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
    })
    .map((b) => {
      const hours = Math.min(b.hours, slots - b.start);
      const promisedW = Array.from({ length: hours }, (_, k) =>
        b.share === 1 ? b.drawW : Math.floor(b.drawW * b.frac[k]),
      );
      return { start: b.start, hours, drawW: b.drawW, minGreenShare: b.share, promisedW, greenW: promisedW.slice() };
    });

describe('supply revisions over several hours (applyRevision)', () => {
  it('an SLA booking short in a later hour takes back green an earlier hour gave to a booking without one', () => {
    // A: 50 % green over 2 h (promised fully), B: no SLA, both in hour 0; hour 0 halves, hour 1 goes dark
    const bs: RevisedBooking[] = [
      { drawW: 1000, hours: 2, minGreenShare: 0.5, promisedW: [1000, 1000], greenW: [1000, 1000] },
      { drawW: 1000, hours: 1, minGreenShare: 0, promisedW: [1000], greenW: [1000] },
    ];
    applyRevision(bs, [
      {
        supplyW: 1000,
        holders: [
          { b: 0, k: 0 },
          { b: 1, k: 0 },
        ],
      },
      { supplyW: 0, holders: [{ b: 0, k: 1 }] },
    ]);
    expect(bs.map((b) => b.greenW)).toEqual([[1000, 0], [0]]);
  });

  const SLOTS = 8;
  const scenario = fc.tuple(
    fc.array(bookingArb(SLOTS), { minLength: 1, maxLength: 8 }),
    fc.array(fc.double({ min: 0, max: 1.1, noNaN: true }), { minLength: SLOTS, maxLength: SLOTS }),
  );
  const hoursOf = (bs: (RevisedBooking & { start: number })[], supply: (h: number, promised: number) => number) =>
    Array.from({ length: SLOTS }, (_, h) => {
      const holders = bs.flatMap((b, i) => (h >= b.start && h < b.start + b.hours ? [{ b: i, k: h - b.start }] : []));
      const promised = holders.reduce((a, x) => a + bs[x.b].promisedW[x.k], 0);
      return { supplyW: supply(h, promised), holders };
    });

  it('a revision followed by its inverse restores the exact previous allocation', () => {
    fc.assert(
      fc.property(scenario, ([bs, f]) => {
        const before = bs.map((b) => b.greenW.slice());
        const original = hoursOf(bs, (_, p) => p);
        applyRevision(
          bs,
          hoursOf(bs, (h, p) => Math.floor(p * f[h])),
        );
        applyRevision(bs, original);
        expect(bs.map((b) => b.greenW)).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it('after a revision every hour is within its supply, every booking within its promises, and an SLA breaks only where no booking without one kept green', () => {
    fc.assert(
      fc.property(scenario, ([bs, f]) => {
        const hours = hoursOf(bs, (h, p) => Math.floor(p * f[h]));
        applyRevision(bs, hours);
        hours.forEach((h) => {
          expect(h.holders.reduce((a, x) => a + bs[x.b].greenW[x.k], 0)).toBeLessThanOrEqual(h.supplyW);
          for (const x of h.holders) expect(bs[x.b].greenW[x.k]).toBeLessThanOrEqual(bs[x.b].promisedW[x.k]);
        });
        for (const [i, b] of bs.entries()) {
          const g = b.greenW.reduce((a, x) => a + x, 0);
          if (g >= requiredGreenWh(b.minGreenShare, b.drawW, b.hours)) continue;
          // breached: in each of its hours where it got less than its promise, no booking without an SLA kept any green
          for (let k = 0; k < b.hours; k++) {
            if (b.greenW[k] >= b.promisedW[k]) continue;
            const h = hours[b.start + k];
            for (const x of h.holders)
              if (bs[x.b].minGreenShare === 0 && x.b !== i) expect(bs[x.b].greenW[x.k]).toBe(0);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
