import { bootTestApp, TestApp } from './support/helpers';

describe('dashboard (e2e)', () => {
  let t: TestApp;

  // booting takes a few seconds when the whole suite runs in parallel
  beforeAll(async () => {
    t = await bootTestApp();
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  async function get(path: string): Promise<{ status: number; type: string | null; body: string }> {
    const res = await fetch(`${t.url}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  }

  it('GET / serves the page without an API key', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/html; charset=utf-8');
    expect(r.body).toContain('id="signin-form"');
    expect(r.body).toContain('/assets/vendor/echarts.min.js');
    expect(r.body).toContain('/assets/dashboard.js');
  });

  it.each([
    ['/assets/dashboard.js', 'text/javascript; charset=utf-8', "from './api.js'"],
    ['/assets/api.js', 'text/javascript; charset=utf-8', "import('/assets/vendor/graphql-ws/client.js')"],
    ['/assets/dashboard.css', 'text/css; charset=utf-8', '.kpi'],
    ['/assets/vendor/echarts.min.js', 'text/javascript; charset=utf-8', 'getInstanceByDom'],
    ['/assets/vendor/graphql-ws/client.js', 'text/javascript; charset=utf-8', 'createClient'],
  ])('serves %s as %s', async (path, type, marker) => {
    const r = await get(path);
    expect(r.status).toBe(200);
    expect(r.type).toBe(type);
    expect(r.body).toContain(marker);
  });

  it('serves the chunks the graphql-ws client imports', async () => {
    const client = await get('/assets/vendor/graphql-ws/client.js');
    const chunks = [...client.body.matchAll(/from '\.\/([\w.-]+\.js)'/g)].map((m) => m[1]);
    expect(chunks.length).toBeGreaterThan(0);
    for (const c of new Set(chunks)) {
      const r = await get(`/assets/vendor/graphql-ws/${c}`);
      expect(r.status).toBe(200);
      expect(r.type).toBe('text/javascript; charset=utf-8');
    }
  });

  it.each([
    '/assets/nope.js',
    '/assets/index.html',
    '/assets/..%2Fpackage.json',
    '/assets/vendor/graphql-ws/..%2F..%2Fpackage.json',
    '/assets/vendor/graphql-ws/index.cjs',
  ])('answers 404 for %s', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
  });

  it('leaves /health and /graphql working', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    const me = await t.ok<{ me: { role: string } }>('{ me { role } }');
    expect(me.me.role).toBe('BUREAU');
  });
});
