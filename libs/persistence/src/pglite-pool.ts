import { EventEmitter } from 'node:events';
import { PGlite } from '@electric-sql/pglite';
import { dbStats } from './sql';

/**
 * A `pg`-compatible Pool over one PGlite instance, for TypeORM's postgres driver.
 *
 * PGlite is a single session. typeorm-pglite hands that one session to every query runner at
 * once, so two concurrent transactions would interleave their statements (BEGIN; BEGIN; ...).
 * Here a connection is a lease: `connect` waits until the previous holder released it, so
 * transactions are serialised exactly as they would be with a pool of size one.
 * Consequence for callers: never open a second connection while holding one (use the
 * transaction's EntityManager inside a transaction), or the process waits on itself.
 */
export function pgliteDriver(db: PGlite): { Pool: new (opts?: unknown) => unknown } {
  class PGliteClient extends EventEmitter {
    async query(
      textOrConfig: string | { text: string; values?: unknown[] },
      params?: unknown[] | ((e: unknown, r: unknown) => void),
      cb?: (e: unknown, r: unknown) => void,
    ) {
      dbStats.roundTrips++;
      let text: string;
      if (typeof textOrConfig === 'object') {
        text = textOrConfig.text;
        if (typeof params === 'function') cb = params;
        params = textOrConfig.values;
      } else text = textOrConfig;
      if (typeof params === 'function') {
        cb = params;
        params = undefined;
      }
      try {
        const hasParams = Array.isArray(params) && params.length > 0;
        const raw: { rows?: unknown[]; affectedRows?: number; command?: string; fields?: unknown[] } = hasParams
          ? await db.query(text, params as unknown[])
          : await db.exec(text).then((rs) => rs[rs.length - 1] ?? { rows: [], affectedRows: 0 });
        // pg reports rowCount for UPDATE/DELETE; TypeORM reads it for `affected`.
        const res = {
          rows: raw.rows,
          rowCount: raw.affectedRows ?? raw.rows?.length ?? 0,
          command: raw.command,
          fields: raw.fields,
        };
        cb?.(null, res);
        return res;
      } catch (e) {
        cb?.(e, null);
        throw e;
      }
    }
  }

  class PGlitePool extends EventEmitter {
    private tail: Promise<void> = Promise.resolve();
    private readonly client = new PGliteClient();
    /** the database itself, for LISTEN (see pgliteOf) */
    readonly pglite = db;
    constructor(_opts?: unknown) {
      super();
    }
    /**
     * TypeORM uses the callback form; without a callback it resolves to the client with a
     * `release()` as pg's PoolClient has. `release` must be called exactly once.
     */
    connect(
      cb?: (err: unknown, client: PGliteClient | null, release: (err?: unknown) => void) => void,
    ): Promise<PGliteClient & { release(): void }> | void {
      if (!cb) {
        return new Promise((resolve) => {
          void this.connect((_err, client, release) => {
            const lease = Object.create(client) as PGliteClient & { release(): void };
            lease.release = () => release();
            resolve(lease);
          });
        });
      }
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const prev = this.tail;
      this.tail = prev.then(() => held);
      void prev.then(() => {
        let done = false;
        cb(null, this.client, () => {
          if (!done) {
            done = true;
            release();
          }
        });
      });
    }
    end(cb?: (err: unknown) => void): Promise<void> | void {
      const p = this.tail.then(() => db.close());
      if (cb) {
        p.then(
          () => cb(null),
          (e) => cb(e),
        );
        return;
      }
      return p;
    }
  }
  return { Pool: PGlitePool };
}

/** The PGlite behind a data source opened with pgliteDriver, or undefined (PostgreSQL). */
export function pgliteOf(ds: { driver: unknown }): PGlite | undefined {
  const pool = (ds.driver as { master?: { pglite?: unknown } }).master;
  return pool?.pglite instanceof PGlite ? pool.pglite : undefined;
}
