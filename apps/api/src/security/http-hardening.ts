import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
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

/**
 * Security headers on every route (Helmet: CSP, X-Frame-Options DENY, nosniff, Referrer-Policy
 * no-referrer, ...) and the CORS policy: off unless `corsOrigins` lists origins (CORS_ORIGINS).
 */
export async function registerHttpHardening(app: NestFastifyApplication, corsOrigins: readonly string[]): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
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

/** CORS_ORIGINS: a comma-separated list of exact origins (https://app.example.org), or `*`; unset or empty: no CORS. */
export function parseCorsOrigins(raw: string | undefined): string[] {
  if (!raw || !raw.trim()) return [];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of list) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) throw new Error(`CORS_ORIGINS: "${o}" is not an origin like https://app.example.org (scheme and host, no path) or *`);
  }
  return list;
}
