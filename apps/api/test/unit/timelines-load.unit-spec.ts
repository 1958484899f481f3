import { FakeLedger } from '../support/fake-ledger';
import { bookingKit, T0H } from '../support/booking-kit';

/** A fake ledger of 120 clusters that notes how many clusters each read of rows asked for (null: all). */
function bigLedger(): { ledger: FakeLedger; ids: string[]; asked: (number | null)[] } {
  const ledger = new FakeLedger();
  const ids = Array.from({ length: 120 }, (_, i) => `c${String(i).padStart(3, '0')}`);
  ids.forEach((id, i) => ledger.addCluster({ id, capacityTflops: 1000 * (i + 1) }, T0H, T0H + 96));
  // the whole ledger at once does not fit a 512 MB heap at ~900 clusters
  const asked: (number | null)[] = [];
  const load = ledger.load.bind(ledger);
  ledger.load = (s, clusterIds, fromH, toH, withRows = true) => {
    if (withRows) asked.push(clusterIds === null ? null : clusterIds.length);
    return load(s, clusterIds, fromH, toH, withRows);
  };
  return { ledger, ids, asked };
}

describe('timelines: reading the whole ledger', () => {
  it('at startup, a batch of clusters at a time, every cluster with its own rows', async () => {
    const { ledger, ids, asked } = bigLedger();
    ledger.addGreen('c077', T0H + 5, T0H + 7, 1234, 300);
    const kit = await bookingKit({ ledger });
    expect(asked.length).toBeGreaterThan(2);
    expect(asked.every((n) => n !== null && n <= 50)).toBe(true);
    const f = kit.timelines.fleet!;
    const base = kit.timelines.base;
    expect(f.clusterIds).toEqual(ids);
    ids.forEach((id, i) => expect([id, f.capacityTflops(id, T0H + 10 - base)]).toEqual([id, 1000 * (i + 1)]));
    expect([5, 6, 7].map((h) => f.greenSupplyW('c077', T0H + h - base))).toEqual([1234, 1234, 0]);
    expect(f.greenSupplyW('c076', T0H + 5 - base)).toBe(0);
  });

  it('after the change feed reconnects (every cluster reloaded): a batch at a time, and what the lost messages said is read', async () => {
    const { ledger, ids, asked } = bigLedger();
    const kit = await bookingKit({ ledger });
    // changes whose messages were lost: written behind the feed's back
    ledger.addGreen('c003', T0H + 5, T0H + 7, 777, 300);
    ledger.addGreen('c110', T0H + 20, T0H + 21, 4321, 250);
    asked.length = 0;
    const reloads = kit.timelines.stats.reloads;
    kit.feed.resync();
    for (let i = 0; i < 200 && kit.timelines.stats.reloads < reloads + ids.length; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(kit.timelines.stats.reloads).toBe(reloads + ids.length);
    expect(asked.length).toBeGreaterThan(2);
    expect(asked.every((n) => n !== null && n <= 50)).toBe(true);
    const f = kit.timelines.fleet!;
    const base = kit.timelines.base;
    expect(f.clusterIds).toEqual(ids);
    expect([5, 6, 7].map((h) => f.greenSupplyW('c003', T0H + h - base))).toEqual([777, 777, 0]);
    expect(f.greenSupplyW('c110', T0H + 20 - base)).toBe(4321);
    ids.forEach((id, i) => expect([id, f.capacityTflops(id, T0H + 10 - base)]).toEqual([id, 1000 * (i + 1)]));
  });
});
