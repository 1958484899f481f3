import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { floorHour, HOUR_MS, iso } from '../common/time.utils';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { VERSION_PLACEHOLDER } from './ledger.repository';
import { LedgerChange, ledgerPayloads } from './ledger-wire';
import { LedgerAdminRepository } from './ledger-admin.repository';

/** Ledger rows one materialising statement creates at most. */
export const MATERIALISE_ROWS = 50_000;

/** New rows of one cluster: [from, to) epoch hours, n of them, at tflops (the least of them). */
export interface MadeRows {
  cluster: string;
  from: number;
  to: number;
  tflops: number;
  n: number;
}

/** The runs of several statements as one per cluster (in cluster order): contiguous when n = to - from. */
export function mergeRuns(runs: readonly MadeRows[]): MadeRows[] {
  const by = new Map<string, MadeRows>();
  for (const r of runs) {
    const a = by.get(r.cluster);
    by.set(
      r.cluster,
      a
        ? {
            cluster: r.cluster,
            from: Math.min(a.from, r.from),
            to: Math.max(a.to, r.to),
            tflops: Math.min(a.tflops, r.tflops),
            n: a.n + r.n,
          }
        : { ...r },
    );
  }
  return [...by.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0));
}

/**
 * The bookable horizon and the operators' ledger writes: every change goes through one path
 * (`change`): write the rows, raise the cluster's version, announce the change with it.
 * Ledger rows exist from the current hour to the horizon's end + 1 day; they are created on
 * cluster registration, at boot and every hour (ON CONFLICT DO NOTHING: replicas doing it at
 * once is harmless, and only the one that created rows announces them).
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly ds: DataSource,
    private readonly admin: LedgerAdminRepository,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The bookable range [start, end) in ms: from the current hour for horizonDays days. */
  horizon(): { start: number; end: number } {
    const start = floorHour(this.config.now());
    return { start, end: start + this.config.horizonDays * 24 * HOUR_MS };
  }

  /**
   * Why [from, to) (ms) is not inside the bookable horizon, naming the field (`fromField` before
   * the current hour, `toField` past the end), or null when it is: the rule of every operator's
   * write on the ledger, each feature throwing it as its own OUTSIDE_HORIZON.
   */
  outsideHorizon(
    from: number,
    to: number,
    fromField = 'from',
    toField = 'to',
  ): { field: string; message: string } | null {
    const { start, end } = this.horizon();
    if (from < start)
      return { field: fromField, message: `${fromField} must not be before the current hour ${iso(start)}` };
    if (to > end)
      return { field: toField, message: `${toField} must not be after the end of the bookable horizon ${iso(end)}` };
    return null;
  }

  /**
   * Inside an operator's transaction: runs `write` (the row changes; it may throw to refuse,
   * changing nothing), then raises the cluster's version and announces `change` with it.
   * Returns the new version.
   */
  async change(m: EntityManager, cluster: string, write: () => Promise<LedgerChange | null>): Promise<number | null> {
    const d = await write();
    if (!d) return null;
    return this.admin.bumpIn(
      m,
      cluster,
      this.feed.channel,
      ledgerPayloads((x) => this.feed.encode(x), cluster, VERSION_PLACEHOLDER, d, false),
    );
  }

  /** Creates a registered cluster's version row and ledger rows, and announces the cluster. */
  async createCluster(m: EntityManager, cluster: string): Promise<void> {
    await this.admin.createVersionIn(m, cluster);
    await this.change(m, cluster, async () => {
      const { start, end } = this.horizon();
      await this.admin.materialiseIn(m, [cluster], start / HOUR_MS, end / HOUR_MS + 24);
      return { t: 'cl' };
    });
  }

  /**
   * Creates missing ledger rows of every cluster up to the horizon's end + 1 day; returns how
   * many. In statements of at most MATERIALISE_ROWS rows, so that a long stretch (a horizon
   * raised from 365 to 3,660 days, a process back after days) stays within the statement timeout.
   */
  async materialise(rowsPerStatement = MATERIALISE_ROWS): Promise<number> {
    const { start, end } = this.horizon();
    return this.ds.transaction(async (m) => {
      const ids: { id: string }[] = await m.query(`SELECT id FROM clusters ORDER BY id`);
      if (ids.length === 0) return 0;
      const step = Math.max(24, Math.floor(rowsPerStatement / ids.length));
      const runs: MadeRows[] = [];
      for (let f = start / HOUR_MS, to = end / HOUR_MS + 24; f < to; f += step)
        runs.push(
          ...(await this.admin.materialiseIn(
            m,
            ids.map((r) => r.id),
            f,
            Math.min(to, f + step),
          )),
        );
      let n = 0;
      for (const r of mergeRuns(runs)) {
        n += r.n;
        // a contiguous run (the usual hourly tail) travels as such; anything else reloads the cluster
        const d: LedgerChange = r.n === r.to - r.from ? { t: 'rows', f: r.from, to: r.to, tf: r.tflops } : { t: 'cl' };
        await this.admin.bumpIn(
          m,
          r.cluster,
          this.feed.channel,
          ledgerPayloads((x) => this.feed.encode(x), r.cluster, VERSION_PLACEHOLDER, d, false),
        );
      }
      return n;
    });
  }
}
