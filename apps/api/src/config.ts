import { intEnv, PersistenceConfig, persistenceConfigFromEnv } from '@pflex/persistence';
import { parseCorsOrigins } from './security/http-hardening';
import { isDemoKey } from './seed/demo-keys';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from './security/rate-limiter';

export interface AppConfig {
  port: number;
  persistence: PersistenceConfig;
  /** bookable horizon from the current hour, days */
  horizonDays: number;
  /** an extra bureau key from the environment (hash compared, never stored) */
  bureauApiKey?: string;
  /** seed the demo organizations, clusters and windows (never when NODE_ENV=production) */
  demoSeed: boolean;
  maxQueryDepth: number;
  maxQueryCost: number;
  /** the clock, injectable for tests */
  now: () => number;
  /** NODE_ENV=production: no introspection, no GraphQL landing page or sandbox */
  production?: boolean;
  /** GraphQL operations per minute per API key (RATE_LIMIT_PER_MINUTE, default 6000); 0 = off */
  rateLimitPerMinute?: number;
  /** how often each process looks for rounds to open and to clear, ms (ROUND_TICK_MS, default 1000); 0 = never (tests clear by hand) */
  roundTickMs?: number;
  /** origins allowed to call the API from a browser (CORS_ORIGINS); empty: no CORS headers at all */
  corsOrigins?: string[];
  /** requests per minute per client address to the public KPI page and endpoints (PUBLIC_RATE_LIMIT_PER_MINUTE, default 120) */
  publicRateLimitPerMinute?: number;
  /** how long the public KPIs are served from memory, ms (PUBLIC_KPI_CACHE_SECONDS, default 5 s) */
  publicKpiCacheMs?: number;
  /** behind a reverse proxy: how many proxy hops to trust for the client address (TRUST_PROXY; 0 = the socket's address) */
  trustProxy?: number;
}

/** Shortest BUREAU_API_KEY accepted in production (an `openssl rand -hex 24` key has 48 characters). */
export const MIN_BUREAU_KEY_LENGTH = 32;

/** BUREAU_API_KEY, refused in production when it is a guessable placeholder (`change-me`). */
function bureauKey(v: string | undefined, production: boolean): string | undefined {
  if (!v) return undefined;
  if (production && isDemoKey(v))
    throw new Error('BUREAU_API_KEY must not be one of the public demo keys in production (e.g. openssl rand -hex 24)');
  if (production && v.length < MIN_BUREAU_KEY_LENGTH)
    throw new Error(
      `BUREAU_API_KEY must have at least ${MIN_BUREAU_KEY_LENGTH} characters in production (e.g. openssl rand -hex 24), got ${v.length}`,
    );
  return v;
}

/** PFLEX_DEMO_SEED: 1 (default) or 0; anything else stops the start rather than seeding by surprise. */
function demoSeedEnv(v: string | undefined): boolean {
  if (v === undefined || v.trim() === '' || v.trim() === '1') return true;
  if (v.trim() === '0') return false;
  throw new Error(`PFLEX_DEMO_SEED must be 0 (no demo data) or 1, got ${JSON.stringify(v)}`);
}

/** NODE_ENV: production, or development (development, test or unset); a misspelt value would start in development mode with the demo keys, so it stops the start. */
function isProduction(v: string | undefined): boolean {
  if (v === 'production') return true;
  if (v === undefined || v === '' || v === 'development' || v === 'test') return false;
  throw new Error(`NODE_ENV must be production, development or test (unset: development), got ${JSON.stringify(v)}`);
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const production = isProduction(env.NODE_ENV);
  return {
    port: intEnv(env, 'PORT', 3000, 0, 65535),
    persistence: persistenceConfigFromEnv(env),
    horizonDays: intEnv(env, 'BOOKING_HORIZON_DAYS', 365, 1, 3660),
    bureauApiKey: bureauKey(env.BUREAU_API_KEY, production),
    demoSeed: !production && demoSeedEnv(env.PFLEX_DEMO_SEED),
    maxQueryDepth: intEnv(env, 'MAX_QUERY_DEPTH', 8, 2, 50),
    maxQueryCost: intEnv(env, 'MAX_QUERY_COST', 5000, 10, 1_000_000),
    now: () => Date.now(),
    production,
    rateLimitPerMinute: intEnv(env, 'RATE_LIMIT_PER_MINUTE', DEFAULT_RATE_LIMIT_PER_MINUTE, 0, 100_000_000),
    roundTickMs: intEnv(env, 'ROUND_TICK_MS', 1000, 0, 3_600_000),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    publicRateLimitPerMinute: intEnv(env, 'PUBLIC_RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    publicKpiCacheMs: intEnv(env, 'PUBLIC_KPI_CACHE_SECONDS', 5, 1, 3600) * 1000,
    trustProxy: intEnv(env, 'TRUST_PROXY', 0, 0, 10),
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
export const PINO = Symbol('PINO');
