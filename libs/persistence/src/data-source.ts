import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Client } from 'pg';
import { dbStats } from './sql';
import { DataSource, DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { DataDirError, LOCK_FILE, lockDataDir } from './data-dir-lock';
import { intEnv } from './env';
import { pgliteDriver } from './pglite-pool';
import { PG_CONNECTION_EXCEPTION_CLASS, PG_ERROR } from './pg-error-codes';

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
  /**
   * PostgreSQL only: bound on every statement and lock wait (server side) and on waiting for a
   * pool connection (client side), ms; default 5000. A slow or unreachable database then fails a
   * request with a timeout error instead of letting it hang.
   */
  statementTimeoutMs?: number;
  logging?: boolean;
}

const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
const DEFAULT_POOL_SIZE = 10;

/** DATABASE_URL → PostgreSQL; otherwise PGlite under PFLEX_DATA_DIR (default ./data/pglite). */
export function persistenceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): PersistenceConfig {
  // checked whichever database is used, so that a wrong value is found before it matters
  // (a pool needs 2 connections: migrations hold one for their lock while they run on another)
  const poolSize = intEnv(env, 'DB_POOL_SIZE', DEFAULT_POOL_SIZE, 2, 1000);
  const statementTimeoutMs = intEnv(env, 'DB_STATEMENT_TIMEOUT_MS', DEFAULT_STATEMENT_TIMEOUT_MS, 100, 3_600_000);
  if (env.DATABASE_URL) {
    return {
      url: checkDatabaseUrl(env.DATABASE_URL),
      schema: env.DATABASE_SCHEMA || undefined,
      poolSize,
      statementTimeoutMs,
    };
  }
  return { dataDir: env.PFLEX_DATA_DIR || './data/pglite' };
}

/** DATABASE_URL as pg takes it: a postgres:// or postgresql:// URL with a host (or a socket folder in `?host=`). */
function checkDatabaseUrl(v: string): string {
  let u: URL | null = null;
  try {
    u = new URL(v);
  } catch {
    // not a URL: said below, without echoing what may hold a password
  }
  const pg = u !== null && (u.protocol === 'postgres:' || u.protocol === 'postgresql:');
  if (!pg || !(u!.hostname || u!.searchParams.get('host')))
    throw new Error(
      `DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/database, got ${
        u === null ? 'something that is not a URL' : pg ? 'a URL without a host' : `a ${u.protocol} URL`
      }`,
    );
  return v;
}

/**
 * The reason a start cannot go on with this database, said in the operator's words, or null when
 * the error may pass (a server starting alongside, a network not up yet: worth retrying). A
 * refused password or role, or a database that does not exist, will not change by waiting.
 */
export function permanentConnectError(e: unknown, url: string | undefined): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  const permanent: unknown[] = [
    PG_ERROR.INVALID_PASSWORD,
    PG_ERROR.INVALID_AUTHORIZATION,
    PG_ERROR.INVALID_CATALOG_NAME,
  ];
  if (!url || !permanent.includes(code)) return null;
  return `cannot use DATABASE_URL (${serverOf(url)}): ${(e as Error).message}`;
}

/** host:port/database as user of a PostgreSQL URL, without its password. */
function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || u.searchParams.get('host')}:${u.port || 5432}${u.pathname}${u.username ? ` as ${decodeURIComponent(u.username)}` : ''}`;
  } catch {
    // checked at start: a URL
    return 'the server';
  }
}

/**
 * A failure at start, said in one line without a stack trace, when it is one a user can act on:
 * the database refusing us for good (permanentConnectError), a server still unreachable when the
 * start gave up waiting for it, or a data folder that cannot be used. Null for anything else (a
 * bug: its stack is worth printing).
 */
export function startFailure(e: unknown, url: string | undefined): string | null {
  const permanent = permanentConnectError(e, url);
  if (permanent) return permanent;
  if (url && databaseFailure(e) === 'unavailable')
    return `cannot reach DATABASE_URL (${serverOf(url)}), waited for it and gave up: ${(e as Error).message}`;
  if (e instanceof DataDirError) return e.message;
  return null;
}

/** How long past the statement timeout a query may go unanswered before its connection is given up, ms. */
const DEAD_CONNECTION_GRACE_MS = 2000;

/**
 * pg's client, counting the statements it sends (round trips) for the metrics, and giving up a
 * connection the server no longer answers on. statement_timeout and lock_timeout bound the work
 * on the server, but a connection cut silently (no FIN or RST: a network partition, a frozen
 * server) leaves a query waiting for the kernel's TCP timeout, 15 minutes: every query gets a
 * watchdog of the session's statement timeout (or the transaction's `SET LOCAL` one) plus
 * DEAD_CONNECTION_GRACE_MS, after which the socket is destroyed, the query fails as unreachable
 * (ETIMEDOUT: SERVICE_UNAVAILABLE, retryable) and the pool replaces the client. A partition
 * leaves every pooled connection dead: each fails its next query that way and is replaced.
 */
class CountingClient extends Client {
  private readonly sessionTimeoutMs: number;
  /** a longer statement_timeout set for the current transaction (SET LOCAL), ms */
  private txTimeoutMs: number | null = null;

  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    const t = typeof config === 'object' ? (config as { statement_timeout?: unknown }).statement_timeout : undefined;
    this.sessionTimeoutMs = typeof t === 'number' && t > 0 ? t : 0;
    // a dead socket fails the client's queries (their callers answer SERVICE_UNAVAILABLE) and then
    // emits 'error': the pool listens only while the client is idle, so without this listener a
    // connection lost while checked out would end the process
    this.on('error', () => undefined);
  }

  override query(...args: unknown[]): never {
    dbStats.roundTrips++;
    const r = (super.query as (...a: unknown[]) => unknown)(...args);
    if (this.sessionTimeoutMs === 0 || !r || typeof (r as Promise<unknown>).then !== 'function') return r as never;
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: unknown } | undefined)?.text ?? '');
    if (typeof text === 'string') {
      if (/^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK)\b/i.test(text)) this.txTimeoutMs = null;
      const local = /SET LOCAL statement_timeout\s*=\s*(\d+)/i.exec(text);
      if (local) this.txTimeoutMs = Number(local[1]);
    }
    const limit = Math.max(this.sessionTimeoutMs, this.txTimeoutMs ?? 0) + DEAD_CONNECTION_GRACE_MS;
    const timer = setTimeout(() => {
      const stream = (this as unknown as { connection?: { stream?: { destroy(e?: Error): void } } }).connection?.stream;
      // ETIMEDOUT: the query fails as the database being unreachable (databaseFailure)
      const e = Object.assign(new Error(`PostgreSQL did not answer within ${limit} ms: the connection is given up`), {
        code: 'ETIMEDOUT',
      });
      stream?.destroy(e);
    }, limit);
    timer.unref();
    const done = () => clearTimeout(timer);
    (r as Promise<unknown>).then(done, done);
    return r as never;
  }
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * TypeORM options for the config: `synchronize` always off; migrations are run by
 * `initializeDataSource` under a lock, not by TypeORM at initialisation.
 * For PGlite this opens the database (async), for PostgreSQL it creates `schema` if asked.
 */
export async function createDataSourceOptions(cfg: PersistenceConfig): Promise<DataSourceOptions> {
  const base = {
    type: 'postgres' as const,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: false,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+ (and PGlite); no extension to install
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logging: cfg.logging ? (['error', 'warn'] as ('error' | 'warn')[]) : false,
  };
  if (cfg.url) {
    const timeout = cfg.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    if (!Number.isInteger(timeout) || timeout < 100)
      throw new Error(`DB_STATEMENT_TIMEOUT_MS must be an integer >= 100, got ${timeout}`);
    const extra: Record<string, unknown> = {
      max: cfg.poolSize ?? DEFAULT_POOL_SIZE,
      // A held lock or a stuck query ends with 57014/55P03 instead of holding the request forever.
      statement_timeout: timeout,
      lock_timeout: timeout,
      // A transaction left open by a stuck process cannot hold ledger rows for long.
      idle_in_transaction_session_timeout: Math.max(10_000, 2 * timeout),
      // Waiting for a pool connection (all busy, or the server unreachable) is bounded too.
      connectionTimeoutMillis: timeout,
      keepAlive: true,
      Client: CountingClient,
      // No JIT: its compile (inlining, optimization) is started by cost estimates, and the KPI
      // statements' estimates (arrays unnested per booking) are high enough to spend ~0.7 s
      // compiling a statement that runs in 0.3 s; nothing here runs long enough to gain from it
      options: '-c jit=off',
    };
    if (cfg.schema) {
      if (!SCHEMA_RE.test(cfg.schema)) throw new Error(`invalid schema name ${cfg.schema}`);
      const c = new Client({ connectionString: cfg.url });
      await c.connect();
      try {
        // IF NOT EXISTS still races between sessions (unique violation on pg_namespace): the loser's schema exists too
        await c.query(`CREATE SCHEMA IF NOT EXISTS "${cfg.schema}"`).catch((e: unknown) => {
          if (pgErrorCode(e) !== PG_ERROR.UNIQUE_VIOLATION) throw e;
        });
      } finally {
        await c.end();
      }
      extra.options = `${extra.options as string} -c search_path=${cfg.schema}`;
    }
    return { ...base, url: cfg.url, schema: cfg.schema, extra };
  }
  let db: PGlite;
  if (cfg.memory || !cfg.dataDir || cfg.dataDir === 'memory://') {
    db = await PGlite.create();
  } else {
    const dir = resolve(cfg.dataDir);
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new DataDirError(`cannot create PFLEX_DATA_DIR ${dir}: ${(e as Error).message}`, { cause: e });
    }
    lockDataDir(dir);
    // PGlite creates a database in a folder without one (no PG_VERSION), over whatever is there: a
    // folder restored in part, or another program's, would become an empty database with demo data,
    // every booking it held out of reach; refused instead (a first start killed while creating the
    // database leaves such a folder too: delete it)
    const files = readdirSync(dir).filter((f) => !f.startsWith(LOCK_FILE));
    if (files.length > 0 && !files.includes('PG_VERSION'))
      throw new DataDirError(
        `PFLEX_DATA_DIR ${dir} holds files (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', ...' : ''}) but no PostgreSQL database (no PG_VERSION): it must hold a pflex database or nothing; a new database is not created over them (restore the whole folder, or give an empty one)`,
      );
    try {
      db = await PGlite.create({ dataDir: dir });
    } catch (e) {
      // PGlite's own message names neither the folder nor the cause (an object, or "failed to initialize")
      const why = e instanceof Error ? e.message : JSON.stringify(e);
      throw new DataDirError(
        `cannot open the PGlite database in PFLEX_DATA_DIR ${dir} (${why}): it must be a folder this process can read and write, holding a pflex database or nothing`,
        { cause: e },
      );
    }
  }
  return { ...base, driver: pgliteDriver(db) };
}

/**
 * Runs `fn` while this process holds the session advisory lock `name` of the data source's schema
 * on PostgreSQL, so that processes starting together do it one after the other (each finds what
 * the one before did); on PGlite, one process with one session, it just runs `fn`.
 */
export async function withSchemaLock<T>(ds: DataSource, name: string, fn: () => Promise<T>): Promise<T> {
  if ('driver' in ds.options && ds.options.driver) return fn();
  const key = `hashtextextended('pflex:${name.replace(/[^a-z0-9:-]/gi, '')}:' || current_schema(), 0)`;
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(${key})`);
    return await fn();
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(${key})`).catch(() => undefined);
    await lock.release();
  }
}

/**
 * Initialises a data source and applies pending migrations. On PostgreSQL the migrations run
 * under a session advisory lock (one per schema), so API replicas starting together on a fresh
 * database apply each migration once instead of racing on the DDL; the others wait, then find
 * nothing left to do. PGlite is one process with one session: no lock needed.
 */
export async function initializeDataSource(
  options: DataSourceOptions,
  onApplied?: (names: string[]) => void,
): Promise<DataSource> {
  const ds = await new DataSource(options).initialize();
  try {
    const ran = await withSchemaLock(ds, 'migrations', () => ds.runMigrations({ transaction: 'each' }));
    onApplied?.(ran.map((m) => m.name));
    return ds;
  } catch (e) {
    await ds.destroy().catch(() => undefined);
    throw e;
  }
}

/** Opens (and migrates) a data source; `onApplied` hears the migrations this call applied. */
export async function openDataSource(
  cfg: PersistenceConfig,
  onApplied?: (names: string[]) => void,
): Promise<DataSource> {
  return initializeDataSource(await createDataSourceOptions(cfg), onApplied);
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

/**
 * A migrated database of its own for a test or a bench: a fresh schema on DATABASE_URL when it is
 * set (dropped by `close`), else PGlite in memory.
 */
export async function openScratchDataSource(
  prefix: string,
  poolSize?: number,
): Promise<{ ds: DataSource; schema: string | undefined; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  const schema = url ? `${prefix}_${randomBytes(4).toString('hex')}` : undefined;
  const ds = await openDataSource(url ? { url, schema, ...(poolSize && { poolSize }) } : { memory: true });
  return {
    ds,
    schema,
    close: async () => {
      await ds.destroy();
      if (url && schema) await dropSchema(url, schema);
    },
  };
}

/** Server and socket error codes that mean the database cannot be reached now. */
const UNAVAILABLE_CODES: readonly string[] = [
  PG_ERROR.ADMIN_SHUTDOWN,
  PG_ERROR.CRASH_SHUTDOWN,
  PG_ERROR.CANNOT_CONNECT_NOW,
  PG_ERROR.TOO_MANY_CONNECTIONS,
  // the server ended the session (its client was frozen or stalled): the transaction is gone
  PG_ERROR.IDLE_IN_TRANSACTION_TIMEOUT,
  PG_ERROR.IDLE_SESSION_TIMEOUT,
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
];

/**
 * Whether an error means the database is unreachable ('unavailable': refused or dropped
 * connection, server shutting down or starting, pool wait timed out) or too slow ('timeout':
 * statement or lock timeout); undefined for any other error. Both are worth retrying later.
 */
export function databaseFailure(e: unknown): 'unavailable' | 'timeout' | undefined {
  const code = pgErrorCode(e);
  if (code === PG_ERROR.QUERY_CANCELED || code === PG_ERROR.LOCK_NOT_AVAILABLE) return 'timeout';
  if (code && (code.startsWith(PG_CONNECTION_EXCEPTION_CLASS) || UNAVAILABLE_CODES.includes(code)))
    return 'unavailable';
  const message = e instanceof Error ? e.message : '';
  // pg's own errors carry no code: pool wait timeout, connection lost mid-query, broken client
  if (
    /timeout exceeded when trying to connect|Connection terminated|connection error and is not queryable|Client was closed and is not queryable/i.test(
      message,
    )
  )
    return 'unavailable';
  // TypeORM releases a transaction's connection when the server drops it (restart, idle-in-
  // transaction timeout); the transaction's next query then fails with one of these.
  const name = e instanceof Error ? e.constructor.name : '';
  if (name === 'QueryRunnerAlreadyReleasedError' || name === 'QueryRunnerProviderAlreadyReleasedError')
    return 'unavailable';
  return undefined;
}

/** PostgreSQL error code of a driver error wrapped by TypeORM (see PG_ERROR). */
export function pgErrorCode(e: unknown): string | undefined {
  const any = e as { code?: unknown; driverError?: { code?: unknown } };
  const code = any?.driverError?.code ?? any?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `fn` (a whole transaction) again, up to `attempts` times in all, when PostgreSQL ends it
 * with a deadlock or a serialization failure: the other transaction has committed, so a fresh
 * read can go through. Any other error is thrown at once.
 */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const code = pgErrorCode(e);
      if ((code === PG_ERROR.DEADLOCK_DETECTED || code === PG_ERROR.SERIALIZATION_FAILURE) && attempt < attempts)
        continue;
      throw e;
    }
  }
}
