import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { floorHour, HOUR_MS } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';

/**
 * Keeps the ledger (cluster_hours) materialised over the bookable horizon: rows from the current
 * hour to horizon end + 1 day, created on cluster registration, at boot and every hour. Inserts
 * are ON CONFLICT DO NOTHING, so several replicas doing it at once is harmless.
 */
@Injectable()
export class LedgerService implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ds: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  /** The bookable range [start, end) in ms: from the current hour for horizonDays days. */
  horizon(): { start: number; end: number } {
    const start = floorHour(this.config.now());
    return { start, end: start + this.config.horizonDays * 24 * HOUR_MS };
  }

  async onApplicationBootstrap(): Promise<void> {
    const n = await this.materialise(this.ds.manager, null);
    if (n > 0) this.log.info({ rows: n }, 'ledger extended');
    this.timer = setInterval(() => {
      this.materialise(this.ds.manager, null).catch((err) => this.log.error({ err }, 'ledger extension failed'));
    }, HOUR_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Creates missing ledger rows for one cluster (or all); returns how many were added. */
  async materialise(m: EntityManager, clusterId: string | null): Promise<number> {
    const { start, end } = this.horizon();
    const rows: unknown[] = await m.query(
      `INSERT INTO cluster_hours (cluster_id, hour, capacity_tflops)
       SELECT c.id, h, c.capacity_tflops
       FROM clusters c CROSS JOIN generate_series($1::timestamptz, $2::timestamptz, interval '1 hour') AS h
       WHERE ($3::uuid IS NULL OR c.id = $3::uuid)
       ON CONFLICT (cluster_id, hour) DO NOTHING
       RETURNING 1`,
      [new Date(start), new Date(end + 23 * HOUR_MS), clusterId],
    );
    return rows.length;
  }
}
