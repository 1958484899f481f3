import { Fleet, GRID_UNLIMITED } from '@pflex/scheduler';
import { SlotWriter } from './slot-writer';

const BASE = 100_000;
const fleet = () =>
  Fleet.fromSpec({
    slots: 6,
    clusters: [{ id: 'a', capacityPflops: 0, kwPerPflops: 10, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 100 }],
  });
const row = (f: Fleet) => {
  const t = f.timeline('a');
  return Array.from({ length: f.slots }, (_, k) => [
    t.capacityTflops[k],
    t.capacityTflops[k] - t.freeTflops[k],
    t.greenSupplyW[k],
    t.greenSupplyW[k] - t.greenFreeW[k],
    t.greenSupplyW[k] ? t.greenPriceWeight[k] / t.greenSupplyW[k] : 0,
    t.gridW[k],
  ]);
};

describe('SlotWriter', () => {
  it('applies every kind of ledger change, clipped to the timelines, and refuses one that does not fit', () => {
    const f = fleet();
    const w = new SlotWriter();
    w.apply(f, BASE, 'a', { t: 'rows', f: BASE - 2, to: BASE + 4, tf: 50_000 });
    w.apply(f, BASE, 'a', { t: 'gw', f: BASE + 1, to: BASE + 3, w: 300_000, p: 40 });
    w.apply(f, BASE, 'a', { t: 'gw', f: BASE + 2, to: BASE + 9, w: 100_000, p: 80 });
    w.apply(f, BASE, 'a', {
      t: 'd',
      h: [BASE + 1, BASE + 2, BASE + 5],
      tf: [10_000, 20_000, 0],
      g: [100_000, 400_000, 0],
      gw: [0, 50_000, 0],
    });
    w.apply(f, BASE, 'a', { t: 'cap', f: BASE + 3, to: BASE + 4, tf: 30_000 });
    expect(row(f)).toEqual([
      [50_000, 0, 0, 0, 0, 0],
      [50_000, 10_000, 300_000, 100_000, 40, 0],
      [50_000, 20_000, 400_000, 400_000, 50, 50_000],
      [30_000, 0, 100_000, 0, 80, 0],
      [0, 0, 100_000, 0, 80, 0],
      [0, 0, 100_000, 0, 80, 0],
    ]);
    const before = row(f);
    expect(() => w.apply(f, BASE, 'a', { t: 'd', h: [BASE + 2], tf: [40_000], g: [0], gw: [0] })).toThrow();
    expect(row(f)).toEqual(before);
  });

  it('adds and removes a booking exactly, and copies timelines to a later time base', () => {
    const f = fleet();
    const w = new SlotWriter();
    w.apply(f, BASE, 'a', { t: 'rows', f: BASE, to: BASE + 6, tf: 50_000 });
    const empty = row(f);
    w.add(f, 'a', 2, 3, 7_000, [0, 0, 0], null, 70_000, 0, 1);
    expect(row(f)[3][5]).toBe(70_000);
    w.add(f, 'a', 2, 3, 7_000, [0, 0, 0], null, 70_000, 0, -1);
    expect(row(f)).toEqual(empty);
    w.add(f, 'a', 1, 2, 5_000, [0, 0], [50_000, 50_000], 0, 0, 1);
    const g = fleet();
    w.copy(f, BASE, g, BASE + 1);
    expect(row(g)).toEqual([...row(f).slice(1), [0, 0, 0, 0, 0, 0]]);
  });

  it('puts a site cap from its hours, ignores hours outside the timelines, and never below what is drawn', () => {
    const f = Fleet.fromSpec({
      slots: 4,
      sites: [{ id: 's' }],
      clusters: [
        { id: 'a', site: 's', capacityPflops: 0, kwPerPflops: 10, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 100 },
      ],
    });
    const w = new SlotWriter();
    w.apply(f, BASE, 'a', { t: 'rows', f: BASE, to: BASE + 4, tf: 50_000 });
    w.add(f, 'a', 1, 1, 1_000, [0], null, 300_000, 0, 1);
    // hour BASE + 1 draws 300 kW: a cap of 200 kW read before that booking arrived is taken as 300
    w.loadSiteCaps(f, BASE, 's', {
      siteId: 's',
      hours: [BASE - 1, BASE, BASE + 1, BASE + 9],
      capW: [1, 500_000, 200_000, 1],
    });
    const caps = Array.from({ length: 4 }, (_, k) => f.gridCapW('s', k));
    expect(caps).toEqual([500_000, 300_000, GRID_UNLIMITED, GRID_UNLIMITED]);
    // none read: uncapped everywhere
    w.loadSiteCaps(f, BASE, 's', undefined);
    expect(Array.from({ length: 4 }, (_, k) => f.gridCapW('s', k))).toEqual([
      GRID_UNLIMITED,
      GRID_UNLIMITED,
      GRID_UNLIMITED,
      GRID_UNLIMITED,
    ]);
  });
});
