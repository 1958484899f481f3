import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { pgliteDriver } from './pglite-pool';

export interface PersistenceConfig {
  /** PostgreSQL URL; when absent, embedded PGlite is used */
  url?: string;
  /** PGlite data folder (ignored with `url`); `memory://` or undefined with `memory` = in memory */
  dataDir?: string;
  /** PGlite in memory (tests) */
  memory?: boolean;
  /** PostgreSQL schema to use (created if missing); lets parallel test files share one database */
  schema?: string;
  /** pg pool size */
  poolSize?: number;
  logging?: boolean;
}

/** DATABASE_URL → PostgreSQL; otherwise PGlite under PFLEX_DATA_DIR (default ./data/pglite). */
export function persistenceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PersistenceConfig {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA || undefined, poolSize: env.DB_POOL_SIZE ? Number(env.DB_POOL_SIZE) : undefined };
  return { dataDir: env.PFLEX_DATA_DIR || './data/pglite' };
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * TypeORM options for the config: migrations run at initialisation, `synchronize` always off.
 * For PGlite this opens the database (async), for PostgreSQL it creates `schema` if asked.
 */
export async function createDataSourceOptions(cfg: PersistenceConfig): Promise<DataSourceOptions> {
  const base = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+ (and PGlite); no extension to install
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logging: cfg.logging ? (['error', 'warn'] as ('error' | 'warn')[]) : false,
  };
  if (cfg.url) {
    const extra: Record<string, unknown> = { max: cfg.poolSize ?? 10 };
    if (cfg.schema) {
      if (!SCHEMA_RE.test(cfg.schema)) throw new Error(`invalid schema name ${cfg.schema}`);
      const c = new Client({ connectionString: cfg.url });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${cfg.schema}"`);
      } finally {
        await c.end();
      }
      extra.options = `-c search_path=${cfg.schema}`;
    }
    return { ...base, url: cfg.url, schema: cfg.schema, extra };
  }
  let db: PGlite;
  if (cfg.memory || !cfg.dataDir || cfg.dataDir === 'memory://') {
    db = await PGlite.create();
  } else {
    const dir = resolve(cfg.dataDir);
    mkdirSync(dir, { recursive: true });
    db = await PGlite.create({ dataDir: dir });
  }
  return { ...base, driver: pgliteDriver(db) };
}

/** Opens (and migrates) a data source. */
export async function openDataSource(cfg: PersistenceConfig): Promise<DataSource> {
  return new DataSource(await createDataSourceOptions(cfg)).initialize();
}

/** Drops a schema created for a test (PostgreSQL only). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_RE.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** PostgreSQL error code of a driver error wrapped by TypeORM (23514 check, 23505 unique ...). */
export function pgErrorCode(e: unknown): string | undefined {
  const any = e as { code?: unknown; driverError?: { code?: unknown } };
  const code = any?.driverError?.code ?? any?.code;
  return typeof code === 'string' ? code : undefined;
}
