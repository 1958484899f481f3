import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { floorHour, HOUR_MS } from '../common/time.utils';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerChange, ledgerPayloads } from './ledger-wire';

/**
 * The bookable horizon and the operators' ledger writes: every change goes through one path
 * (`change`): lock the cluster's version row, write, raise the version, announce it.
 * Ledger rows exist from the current hour to the horizon's end + 1 day; they are created on
 * cluster registration, at boot and every hour (ON CONFLICT DO NOTHING: replicas doing it at
 * once is harmless, and only the one that created rows announces them).
 */
@Injectable()
export class LedgerService {
  constructor(
    private readonly ds: DataSource,
    private readonly repo: LedgerRepository,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The bookable range [start, end) in ms: from the current hour for horizonDays days. */
  horizon(): { start: number; end: number } {
    const start = floorHour(this.config.now());
    return { start, end: start + this.config.horizonDays * 24 * HOUR_MS };
  }

  /**
   * Inside an operator's transaction: locks the cluster's version row, runs `write` (which may
   * throw to refuse, changing nothing), then raises the version and announces `change`.
   */
  async change(m: EntityManager, cluster: string, write: () => Promise<LedgerChange | null>): Promise<number | null> {
    const versions = await this.repo.lockVersionsIn(m, [cluster]);
    const v = versions.get(cluster);
    if (v === undefined) throw new Error(`cluster ${cluster} has no ledger version row`);
    const d = await write();
    if (!d) return null;
    await this.repo.bumpIn(m, cluster, this.feed.channel, ledgerPayloads((x) => this.feed.encode(x), cluster, v + 1, d, false));
    return v + 1;
  }

  /** Creates a registered cluster's version row and ledger rows, and announces the cluster. */
  async createCluster(m: EntityManager, cluster: string): Promise<void> {
    await this.repo.createVersionIn(m, cluster);
    await this.change(m, cluster, async () => {
      const { start, end } = this.horizon();
      await this.repo.materialiseIn(m, [cluster], start / HOUR_MS, end / HOUR_MS + 24);
      return { t: 'cl' };
    });
  }

  /** Creates missing ledger rows of every cluster up to the horizon's end + 1 day; returns how many. */
  async materialise(): Promise<number> {
    const { start, end } = this.horizon();
    return this.ds.transaction(async (m) => {
      const ids: { id: string }[] = await m.query(`SELECT id FROM clusters ORDER BY id`);
      if (ids.length === 0) return 0;
      const versions = await this.repo.lockVersionsIn(m, ids.map((r) => r.id));
      const made = await this.repo.materialiseIn(m, [...versions.keys()], start / HOUR_MS, end / HOUR_MS + 24);
      let n = 0;
      for (const r of made) {
        n += r.n;
        // a contiguous run (the usual hourly tail) travels as such; anything else reloads the cluster
        const d: LedgerChange = r.n === r.to - r.from ? { t: 'rows', f: r.from, to: r.to, tf: r.tflops } : { t: 'cl' };
        await this.repo.bumpIn(m, r.cluster, this.feed.channel, ledgerPayloads((x) => this.feed.encode(x), r.cluster, versions.get(r.cluster)! + 1, d, false));
      }
      return n;
    });
  }
}
