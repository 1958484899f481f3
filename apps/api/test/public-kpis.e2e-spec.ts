import { KpisService } from '../src/kpis/kpis.service';
import { bootTestApp, hour, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id } }`;

describe('public KPIs: /public, /public/kpis.json, /public/kpis.csv', () => {
  let t: TestApp;
  let now = Date.now();
  const startupName = 'Secret Startup <img src=x onerror=alert(1)>';
  const operatorName = 'Hidden Operator Ltd';

  beforeAll(async () => {
    t = await bootTestApp({ config: { now: () => now, publicRateLimitPerMinute: 20, publicKpiCacheMs: 5000 } });
    const op = await t.createOrg('OPERATOR', operatorName);
    const startup = await t.createOrg('STARTUP', startupName);
    const a = await t.registerCluster(op.key, { name: 'Named Cluster Alpha', region: 'Zhuhai', capacityPflops: 100 });
    await t.registerCluster(op.key, {
      name: 'Named Cluster Beta',
      region: '=HYPERLINK("http://x")',
      capacityPflops: 50,
    });
    await t.ok(
      BOOK,
      { r: { pflops: 40, hours: 10, earliestStart: hour(2), deadline: hour(30), clusterIds: [a] }, k: 'pub-1' },
      startup.key,
    );
  }, 90_000);
  afterAll(() => t?.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });

  it('answers aggregate figures per region without a key, and never a name or a booking', async () => {
    const res = await get('/public/kpis.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    const k = JSON.parse(text);
    expect(k.regions.map((r: any) => r.region)).toEqual(['=HYPERLINK("http://x")', 'Zhuhai']);
    const z = k.regions.find((r: any) => r.region === 'Zhuhai');
    expect(z).toMatchObject({
      clusters: 1,
      pflopsHoursAvailable: 100 * 168,
      pflopsHoursBooked: 400,
      utilization: Math.round((400 / 16800) * 10000) / 10000,
    });
    expect(Object.keys(z).sort()).toEqual(
      [
        'averageMegawattsCommitted',
        'bookedEnergyMwh',
        'clusters',
        'greenMwhUsed',
        'greenShare',
        'peakMegawattsCommitted',
        'pflopsHoursAvailable',
        'pflopsHoursBooked',
        'region',
        'utilization',
        'voucherMoneySpent',
      ].sort(),
    );
    for (const secret of [
      startupName,
      'Secret Startup',
      operatorName,
      'Named Cluster',
      'pub-1',
      'organization',
      'booking',
    ])
      expect(text).not.toContain(secret);
    const csv = await (await get('/public/kpis.csv')).text();
    for (const secret of ['Secret Startup', operatorName, 'Named Cluster']) expect(csv).not.toContain(secret);
  });

  it('serves CSV with a header row, quoting, and formula-looking cells defused', async () => {
    now += 10_000;
    const res = await get('/public/kpis.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await res.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'from,to,region,clusters,pflopsHoursAvailable,pflopsHoursBooked,utilization,averageMegawattsCommitted,peakMegawattsCommitted,bookedEnergyMwh,greenMwhUsed,greenShare,voucherMoneySpent',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://x"")",1,`);
    expect(lines[2]).toContain(',Zhuhai,1,16800,400,');
  });

  it('answers from a short cache: at most one KPI statement per region per cache period', async () => {
    now += 10_000;
    const kpis = t.running.app.get(KpisService);
    const spy = jest.spyOn(kpis, 'kpis');
    try {
      // 12 concurrent and sequential requests within one period (under the rate limit of 20)
      await Promise.all(Array.from({ length: 6 }, () => get('/public/kpis.json').then((r) => r.text())));
      for (let i = 0; i < 3; i++) await (await get('/public/kpis.csv')).text();
      expect(spy).toHaveBeenCalledTimes(2);
      now += 5_001;
      await (await get('/public/kpis.json')).text();
      expect(spy).toHaveBeenCalledTimes(4);
    } finally {
      spy.mockRestore();
    }
  });

  it('limits requests per client address with 429 and Retry-After, then recovers', async () => {
    now += 120_000; // a full bucket of 20
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await get(i % 2 ? '/public/kpis.json' : '/public')).status);
    expect(statuses.slice(0, 20).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429]);
    const limited = await get('/public/kpis.json');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited.json()).toMatchObject({ error: 'RATE_LIMITED' });
    // the GraphQL API and the console are not behind this limit
    expect((await get('/')).status).toBe(200);
    now += 60_000;
    expect((await get('/public/kpis.json')).status).toBe(200);
  });

  it('serves the page', async () => {
    now += 120_000;
    const res = await get('/public');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/public.js"></script>');
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
