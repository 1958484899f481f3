import cors from '@fastify/cors';
import helmet from 'helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The page's Content-Security-Policy: scripts only from this origin (no inline script, no eval),
 * no framing. Inline styles are allowed: ECharts positions its tooltips and legends with them.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // served over plain HTTP in development and behind a TLS proxy in production: no upgrade here
  upgradeInsecureRequests: null,
};

/** Helmet's options: CSP above, X-Frame-Options DENY, nosniff, Referrer-Policy no-referrer, and its other defaults. */
const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  frameguard: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  crossOriginEmbedderPolicy: false,
};

/**
 * The headers Helmet sets for these options, computed once: they do not depend on the request
 * (no nonces). Running Helmet's middleware on every request (@fastify/helmet) cost 0.063 ms of
 * CPU per request, 42 % of a trivial query's (load run, 2026-11-30); setting the ready map costs
 * a few microseconds.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string | number) => void (headers[k] = String(v)),
    removeHeader: (k: string) => void delete headers[k],
    getHeader: (k: string) => headers[k],
  };
  let failed: unknown;
  helmet(HELMET_OPTIONS)({} as never, res as never, (e?: unknown) => (failed = e));
  if (failed) throw failed instanceof Error ? failed : new Error(`helmet failed: ${JSON.stringify(failed)}`);
  return headers;
}

/**
 * Security headers on every route (Helmet's, computed once) and the CORS policy: off unless
 * `corsOrigins` lists origins (CORS_ORIGINS).
 */
export async function registerHttpHardening(
  app: NestFastifyApplication,
  corsOrigins: readonly string[],
): Promise<void> {
  const headers = securityHeaders();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_req, reply, done) => {
      reply.headers(headers);
      done();
    });
  if (corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: corsOrigins.includes('*') ? '*' : [...corsOrigins],
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization'],
    // API keys travel in the Authorization header, never in cookies
    credentials: false,
    maxAge: 600,
  });
}

/**
 * Whether a WebSocket upgrade may go on, by the browser rule CORS applies to HTTP: a page may open
 * a socket from this server's own origin (the console) or from one listed in CORS_ORIGINS (`*`: any);
 * an upgrade without Origin (not a browser: scripts, load tests) passes, since the API key in
 * connectionParams is what authenticates it. Same origin means the Origin's host[:port] is the
 * request's Host header (a proxy in front must pass Host on, as infra/nginx does).
 */
export function webSocketOriginAllowed(
  origin: string | undefined,
  host: string | undefined,
  corsOrigins: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (corsOrigins.includes('*') || corsOrigins.includes(origin)) return true;
  if (!host || !URL.canParse(origin)) return false;
  return new URL(origin).host === host.toLowerCase();
}

/** CORS_ORIGINS: a comma-separated list of exact origins (https://app.example.org), or `*`; unset or empty: no CORS. */
export function parseCorsOrigins(raw: string | undefined): string[] {
  if (!raw || !raw.trim()) return [];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    if (o === '*') continue;
    // lower-case scheme and host (browsers send them so; they are compared as text), an optional
    // port in range, nothing else: no path, no wildcard inside a host (only * alone means any)
    const m =
      /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:(\d{1,5}))?$/.exec(
        o,
      );
    if (!m || (m[6] !== undefined && (Number(m[6]) < 1 || Number(m[6]) > 65535)))
      throw new Error(
        `CORS_ORIGINS: "${o}" is not an origin like https://app.example.org or http://localhost:5173 (lower-case scheme and host, a port in 1-65535, no path, no wildcard inside the host) or *`,
      );
  }
  return list;
}
