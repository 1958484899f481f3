import { FakeLedger } from '../support/fake-ledger';
import { bookingKit, T0H } from '../support/booking-kit';

describe('timelines at startup', () => {
  it('read the ledger a batch of clusters at a time, and hold every cluster with its own rows', async () => {
    const ledger = new FakeLedger();
    const ids = Array.from({ length: 120 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    ids.forEach((id, i) => ledger.addCluster({ id, capacityTflops: 1000 * (i + 1) }, T0H, T0H + 96));
    ledger.addGreen('c077', T0H + 5, T0H + 7, 1234, 300);
    // what each read of rows asked for: the whole ledger at once does not fit a 512 MB heap at ~900 clusters
    const asked: (number | null)[] = [];
    const load = ledger.load.bind(ledger);
    ledger.load = (s, clusterIds, fromH, toH, withRows = true) => {
      if (withRows) asked.push(clusterIds === null ? null : clusterIds.length);
      return load(s, clusterIds, fromH, toH, withRows);
    };
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
});
