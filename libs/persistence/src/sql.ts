import type { DataSource } from 'typeorm';

/** A named statement: on PostgreSQL it is prepared once per connection and reused by name. */
export interface SqlStatement {
  readonly name: string;
  readonly text: string;
}

/** One connection (PostgreSQL) or the leased PGlite session. */
export interface SqlSession {
  query<R = Record<string, unknown>>(s: SqlStatement, values?: readonly unknown[]): Promise<R[]>;
  /** An unnamed, unprepared statement (BEGIN, COMMIT, ROLLBACK and rare admin SQL). */
  exec<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<R[]>;
}

export interface SqlLease extends SqlSession {
  /** Gives the connection back; `broken` closes it instead (after a failed ROLLBACK). */
  release(broken?: boolean): void;
}

/** Plain `pg` access to the pool TypeORM opened, for the hot paths (no ORM in between). */
export interface SqlPool {
  connect(): Promise<SqlLease>;
}

/** Statements sent to the database by this process (TypeORM's and the plain ones), for the metrics. */
export const dbStats = { roundTrips: 0 };

interface PgLikeClient {
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: unknown[] }>;
  release(err?: boolean | Error): void;
  on?(event: 'error', fn: (err: Error) => void): unknown;
  off?(event: 'error', fn: (err: Error) => void): unknown;
}

interface PgLikePool {
  connect(): Promise<PgLikeClient>;
}

/**
 * The pool behind a TypeORM data source (a pg.Pool on PostgreSQL, the leasing PGlite pool
 * otherwise), wrapped for plain statements. Sharing TypeORM's pool keeps DB_POOL_SIZE the one
 * bound on connections per process.
 */
export function sqlPoolOf(ds: DataSource): SqlPool {
  const pool = (ds.driver as unknown as { master: PgLikePool }).master;
  return {
    async connect(): Promise<SqlLease> {
      const c = await pool.connect();
      // a leased connection that the server drops between two statements emits 'error': without a
      // listener that would end the process; the next statement fails instead, and the connection
      // is closed on release
      let lost: Error | undefined;
      const onError = (err: Error) => {
        lost = err;
      };
      c.on?.('error', onError);
      return {
        async query<R>(s: SqlStatement, values?: readonly unknown[]): Promise<R[]> {
          return (await c.query({ name: s.name, text: s.text, values: values as unknown[] })).rows as R[];
        },
        async exec<R>(text: string, values?: readonly unknown[]): Promise<R[]> {
          return (await c.query({ text, values: values as unknown[] })).rows as R[];
        },
        release(broken?: boolean): void {
          c.off?.('error', onError);
          c.release(broken || lost ? true : undefined);
        },
      };
    },
  };
}
