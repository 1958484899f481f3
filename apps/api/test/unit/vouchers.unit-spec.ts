import type { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config';
import { CoverRequest, VoucherCandidate, VouchersService } from '../../src/vouchers/vouchers.service';
import { FakeFeed } from '../support/fake-feed';

// VouchersService.preview (the covers quotes show): one read per organization, then the
// process's cache while the change feed is live, dropped by the messages that change vouchers.

const H = 3_600_000;
const T = Date.UTC(2030, 0, 1);
const run: CoverRequest = {
  clusterId: 'c-1',
  startsAt: T + H,
  endsAt: T + 2 * H,
  greenWh: 0,
  drawW: 1000,
  hours: 1,
  priceTotal: 80,
};
const row = (remaining: string): VoucherCandidate => ({
  id: 'v-1',
  percent_covered: 25,
  remaining,
  valid_from: new Date(T).toISOString(),
  created_at: new Date(T).toISOString(),
  valid_until: new Date(T + 24 * H).toISOString(),
  cluster_ids: null,
  min_green_share: null,
});

describe('VouchersService.preview and its cache', () => {
  let feed: FakeFeed;
  let reads: unknown[][];
  let rows: VoucherCandidate[];
  let svc: VouchersService;

  beforeEach(() => {
    feed = new FakeFeed();
    reads = [];
    rows = [row('1000.00')];
    const ds = {
      query: async (_sql: string, params: unknown[]) => {
        reads.push(params);
        return rows.map((r) => ({ ...r }));
      },
    } as unknown as DataSource;
    svc = new VouchersService(ds, feed.asChangeFeed, { now: () => Date.now() } as AppConfig);
  });
  afterEach(() => jest.restoreAllMocks());

  it('answers every request of a quote from one read, and later quotes from the cache', async () => {
    expect(await svc.preview('a', [run, { ...run, priceTotal: 10 }])).toEqual([
      { voucherId: 'v-1', amount: 20 },
      { voucherId: 'v-1', amount: 2.5 },
    ]);
    rows = [row('1.00')];
    expect(await svc.preview('a', [run])).toEqual([{ voucherId: 'v-1', amount: 20 }]);
    expect(reads).toEqual([['a']]);
    // nothing to cover: no read at all
    expect(await svc.preview('b', [])).toEqual([]);
    expect(reads).toHaveLength(1);
  });

  it('drops an organization on its booking events with vouchers, an "org vouchers" message, or a resync', async () => {
    await svc.preview('a', [run]);
    await svc.preview('b', [run]);
    rows = [row('1.00')];
    feed.deliver(feed.encode({ k: 'b', b: [], vo: ['a'] }));
    expect(await svc.preview('a', [run])).toEqual([{ voucherId: 'v-1', amount: 1 }]);
    expect(await svc.preview('b', [run])).toEqual([{ voucherId: 'v-1', amount: 20 }]);
    feed.deliver(feed.encode({ k: 'org', org: 'b', what: 'rules' }));
    expect(await svc.preview('b', [run])).toEqual([{ voucherId: 'v-1', amount: 20 }]);
    feed.deliver(feed.encode({ k: 'org', org: 'b', what: 'vouchers' }));
    expect(await svc.preview('b', [run])).toEqual([{ voucherId: 'v-1', amount: 1 }]);
    rows = [];
    feed.resync();
    expect(await svc.preview('a', [run])).toEqual([null]);
    expect(reads.map((r) => r[0])).toEqual(['a', 'b', 'a', 'b', 'a']);
  });

  it('reads every time while the feed is not live, and again after a minute', async () => {
    feed.live = false;
    await svc.preview('a', [run]);
    await svc.preview('a', [run]);
    expect(reads).toHaveLength(2);
    feed.live = true;
    const now = jest.spyOn(Date, 'now').mockReturnValue(T);
    await svc.preview('a', [run]);
    now.mockReturnValue(T + 59_999);
    await svc.preview('a', [run]);
    expect(reads).toHaveLength(3);
    now.mockReturnValue(T + 60_000);
    await svc.preview('a', [run]);
    expect(reads).toHaveLength(4);
  });
});
