import WebSocket from 'ws';
import { parseCorsOrigins, webSocketOriginAllowed } from '../src/security/http-hardening';
import { bootTestApp, TestApp } from './support/helpers';

const ROUTES: [string, string, string | null][] = [
  ['GET', '/', null],
  ['GET', '/public', null],
  ['GET', '/public/kpis.json', null],
  ['GET', '/public/kpis.csv', null],
  ['GET', '/assets/dashboard.js', null],
  ['GET', '/assets/vendor/echarts.min.js', null],
  ['GET', '/health', null],
  ['GET', '/metrics', null],
  ['GET', '/no-such-page', null],
  ['POST', '/graphql', '{"query":"{ __typename }"}'],
  ['POST', '/graphql', '{"query":"{ me { id } }"}'],
  ['POST', '/graphql', '{not json'],
];

function expectHardened(h: Headers, where: string): void {
  const csp = h.get('content-security-policy') ?? '';
  expect({
    where,
    csp: csp
      .split(';')
      .map((d) => d.trim())
      .filter((d) => /^(script-src|frame-ancestors|object-src|default-src)/.test(d)),
  }).toEqual({
    where,
    csp: ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"],
  });
  expect({ where, csp }).not.toEqual({ where, csp: expect.stringContaining('unsafe-eval') });
  expect({
    where,
    nosniff: h.get('x-content-type-options'),
    frame: h.get('x-frame-options'),
    referrer: h.get('referrer-policy'),
  }).toEqual({
    where,
    nosniff: 'nosniff',
    frame: 'DENY',
    referrer: 'no-referrer',
  });
}

/**
 * Opens /graphql over WebSocket with this Origin header (none: no header) and asks `{ me { id } }`
 * over graphql-ws: the upgrade's HTTP status (101 when it opened) and the answer.
 */
function meOverWebSocket(url: string, key: string, origin?: string): Promise<{ status: number; me?: string }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', origin ? { origin } : {});
  return new Promise<{ status: number; me?: string }>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('no answer over the WebSocket within 5 s')), 5000);
    const done = (r: { status: number; me?: string }) => {
      clearTimeout(timer);
      ok(r);
    };
    ws.once('unexpected-response', (req, res) => {
      done({ status: res.statusCode ?? 0 });
      req.destroy();
    });
    ws.once('error', fail);
    ws.once('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } })),
    );
    ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { type: string; payload?: any };
      if (m.type === 'connection_ack')
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ me { id } }' } }));
      else if (m.type === 'next') done({ status: 101, me: m.payload.data?.me?.id });
    });
  }).finally(() => ws.terminate());
}

describe('security headers and CORS', () => {
  describe('default: no CORS', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp();
    }, 60_000);
    afterAll(() => t?.close());

    it.each(ROUTES)('%s %s carries the security headers', async (method, path, body) => {
      const res = await fetch(`${t.url}${path}`, {
        method,
        body: body ?? undefined,
        headers: body ? { 'content-type': 'application/json' } : {},
      });
      await res.arrayBuffer();
      expectHardened(res.headers, `${method} ${path}`);
    });

    it('answers no CORS headers to another origin, also on a preflight', async () => {
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const pre = await fetch(`${t.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('WebSocket: refuses the upgrade (403) from a page of another origin; the same origin and no Origin connect', async () => {
      const me = (await t.ok(`{ me { id } }`)).me.id;
      expect(await meOverWebSocket(t.url, t.bureauKey)).toEqual({ status: 101, me });
      // the console, served by the API itself
      expect(await meOverWebSocket(t.url, t.bureauKey, t.url)).toEqual({ status: 101, me });
      for (const origin of ['https://evil.example', 'null', `https://${new URL(t.url).host}.evil.example`])
        expect({ origin, ...(await meOverWebSocket(t.url, t.bureauKey, origin)) }).toEqual({ origin, status: 403 });
    });

    it('the pages have no inline script', async () => {
      for (const path of ['/', '/public']) {
        const html = await (await fetch(`${t.url}${path}`)).text();
        const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
        expect(scripts.length).toBeGreaterThan(0);
        for (const [, attrs, inner] of scripts) {
          expect(attrs).toMatch(/\bsrc="\/assets\//);
          expect(inner.trim()).toBe('');
        }
        expect(html).not.toMatch(/\son[a-z]+=/i);
      }
    });
  });

  describe('CORS_ORIGINS set', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await bootTestApp({ config: { corsOrigins: ['https://console.example.org'] } });
    }, 60_000);
    afterAll(() => t?.close());

    it('allows the configured origin only, with the Authorization header and no credentials', async () => {
      const pre = await fetch(`${t.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://console.example.org',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://console.example.org');
      expect(pre.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      const ok = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { origin: 'https://console.example.org', 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://console.example.org');
      const other = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expectHardened(ok.headers, 'CORS POST /graphql');
    });

    it('WebSocket: a listed origin, the same origin and no Origin connect; any other origin is refused (403)', async () => {
      const me = (await t.ok(`{ me { id } }`)).me.id;
      for (const origin of ['https://console.example.org', t.url, undefined])
        expect({ origin, ...(await meOverWebSocket(t.url, t.bureauKey, origin)) }).toEqual({ origin, status: 101, me });
      for (const origin of [
        'https://evil.example',
        'http://console.example.org',
        'https://console.example.org.evil.example',
      ])
        expect({ origin, ...(await meOverWebSocket(t.url, t.bureauKey, origin)) }).toEqual({ origin, status: 403 });
      // CORS_ORIGINS=* lets any page connect, as it lets any page call over HTTP
      expect(webSocketOriginAllowed('https://evil.example', 'api.example', ['*'])).toBe(true);
    });

    it('CORS_ORIGINS accepts origins or *, and refuses anything else at start-up', () => {
      expect(parseCorsOrigins(undefined)).toEqual([]);
      expect(parseCorsOrigins(' ')).toEqual([]);
      expect(parseCorsOrigins('https://a.example, http://localhost:5173')).toEqual([
        'https://a.example',
        'http://localhost:5173',
      ]);
      expect(parseCorsOrigins('*')).toEqual(['*']);
      expect(() => parseCorsOrigins('https://a.example/path')).toThrow(/CORS_ORIGINS/);
      expect(() => parseCorsOrigins('a.example')).toThrow(/CORS_ORIGINS/);
      // a wildcard inside a host would only ever match itself as text; a port must exist
      expect(() => parseCorsOrigins('https://*.b.org')).toThrow(/no wildcard inside the host/);
      expect(() => parseCorsOrigins('https://a.org:99999')).toThrow(/port in 1-65535/);
      expect(() => parseCorsOrigins('https://A.org')).toThrow(/lower-case/);
      expect(parseCorsOrigins('http://[::1]:8080,https://x-y.example.org:443')).toEqual([
        'http://[::1]:8080',
        'https://x-y.example.org:443',
      ]);
    });
  });
});
