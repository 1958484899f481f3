import { PersistenceConfig, persistenceConfigFromEnv } from '@pflex/persistence';
import { parseCorsOrigins } from './security/http-hardening';
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

function intEnv(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${raw}`);
  return v;
}

/** Shortest BUREAU_API_KEY accepted in production (an `openssl rand -hex 24` key has 48 characters). */
export const MIN_BUREAU_KEY_LENGTH = 32;

/** BUREAU_API_KEY, refused in production when it is a guessable placeholder (`change-me`). */
function bureauKey(v: string | undefined, production: boolean): string | undefined {
  if (!v) return undefined;
  if (production && v.length < MIN_BUREAU_KEY_LENGTH)
    throw new Error(
      `BUREAU_API_KEY must have at least ${MIN_BUREAU_KEY_LENGTH} characters in production (e.g. openssl rand -hex 24), got ${v.length}`,
    );
  return v;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const production = env.NODE_ENV === 'production';
  return {
    port: intEnv(env, 'PORT', 3000, 0, 65535),
    persistence: persistenceConfigFromEnv(env),
    horizonDays: intEnv(env, 'BOOKING_HORIZON_DAYS', 365, 1, 3660),
    bureauApiKey: bureauKey(env.BUREAU_API_KEY, production),
    demoSeed: !production && env.PFLEX_DEMO_SEED !== '0',
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
