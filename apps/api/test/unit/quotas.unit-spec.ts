import type { DataSource } from 'typeorm';
import { QuotasService } from '../../src/quotas/quotas.service';
import { FakeFeed } from '../support/fake-feed';

// QuotasService.cachedRules (the rules quotes apply; bookings lock and re-read them): one read
// per startup, then the process's cache while the change feed is live.

describe('QuotasService.cachedRules', () => {
  let feed: FakeFeed;
  let rows: Map<string, { maxPflopsHoursPer7Days: number | null; maxClusterShare: number | null }>;
  let reads: string[];
  let svc: QuotasService;

  beforeEach(() => {
    feed = new FakeFeed();
    rows = new Map([
      ['a', { maxPflopsHoursPer7Days: 100, maxClusterShare: null }],
      ['empty', { maxPflopsHoursPer7Days: null, maxClusterShare: null }],
    ]);
    reads = [];
    const ds = {
      manager: {
        findOneBy: async (_entity: unknown, where: { orgId: string }) => {
          reads.push(where.orgId);
          const r = rows.get(where.orgId);
          return r ? { orgId: where.orgId, ...r } : null;
        },
      },
    } as unknown as DataSource;
    svc = new QuotasService(ds, feed.asChangeFeed);
  });

  it('reads a startup once; a row with both limits null counts as no rules', async () => {
    expect(await svc.cachedRules('a')).toEqual({ maxPflopsHoursPer7Days: 100, maxClusterShare: null });
    expect(await svc.cachedRules('empty')).toBeNull();
    expect(await svc.cachedRules('none')).toBeNull();
    rows.set('a', { maxPflopsHoursPer7Days: 1, maxClusterShare: 0.5 });
    rows.set('none', { maxPflopsHoursPer7Days: 5, maxClusterShare: null });
    expect(await svc.cachedRules('a')).toEqual({ maxPflopsHoursPer7Days: 100, maxClusterShare: null });
    expect(await svc.cachedRules('none')).toBeNull();
    expect(reads).toEqual(['a', 'empty', 'none']);
  });

  it('reads again after an "org rules" message for that startup, or a resync; not after a vouchers message', async () => {
    await svc.cachedRules('a');
    await svc.cachedRules('empty');
    rows.set('a', { maxPflopsHoursPer7Days: 1, maxClusterShare: 0.5 });
    feed.deliver(feed.encode({ k: 'org', org: 'a', what: 'vouchers' }));
    expect(await svc.cachedRules('a')).toEqual({ maxPflopsHoursPer7Days: 100, maxClusterShare: null });
    feed.deliver(feed.encode({ k: 'org', org: 'a', what: 'rules' }));
    expect(await svc.cachedRules('a')).toEqual({ maxPflopsHoursPer7Days: 1, maxClusterShare: 0.5 });
    expect(await svc.cachedRules('empty')).toBeNull();
    feed.resync();
    await svc.cachedRules('empty');
    expect(reads).toEqual(['a', 'empty', 'a', 'empty']);
  });

  it('trusts no cache while the feed is not live', async () => {
    feed.live = false;
    await svc.cachedRules('a');
    await svc.cachedRules('a');
    expect(reads).toEqual(['a', 'a']);
  });
});
