import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { requestKey } from '@pflex/scheduler';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ComputeRequestInput } from '../bookings/dtos/booking.input';
import { withDistinctIds } from '../common/ids';
import { PINO } from '../config';
import type { Principal } from '../security/principal';

/** Quotes are written in batches at most this often. */
const FLUSH_MS = 500;
/** requests already written, remembered by hash to skip resending them (then forgotten) */
const SEEN_MAX = 10_000;

/**
 * Remembers when a startup first asked for a quote on a request, for the median quote → booking
 * time. The key is the request as the booking's fingerprint starts (same six elements, same
 * JSON), normalised by jsonb so the KPI query can rebuild it from a booking row.
 *
 * Quotes cost no database round trip: first quotes are kept in memory with their time and
 * written in one statement every FLUSH_MS (or before a booking of the same startup, so the KPI
 * sees the quote that preceded it). Requests already written by this process are not sent again.
 */
@Injectable()
export class QuoteLogService implements OnModuleDestroy {
  private pending = new Map<string, { org: string; request: string; at: number }>();
  private readonly seen = new Set<string>();
  private readonly orgs = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ds: DataSource,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  record(p: Principal, r: ComputeRequestInput): void {
    if (p.role !== 'STARTUP') return;
    const request = requestKey(withDistinctIds(r));
    const k = createHash('sha1').update(p.orgId).update(request).digest('base64');
    if (this.seen.has(k) || this.pending.has(k)) return;
    this.pending.set(k, { org: p.orgId, request, at: Date.now() });
    this.orgs.set(p.orgId, (this.orgs.get(p.orgId) ?? 0) + 1);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Before a booking: writes the startup's pending first quotes, if it has any. */
  async flushFor(orgId: string): Promise<void> {
    if (this.orgs.has(orgId)) await this.flush();
    else await this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  /** Writes every pending first quote (tests call it before reading the table). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return this.flushing;
    const batch = [...this.pending.values()];
    for (const k of this.pending.keys()) {
      if (this.seen.size >= SEEN_MAX) this.seen.clear();
      this.seen.add(k);
    }
    this.pending = new Map();
    this.orgs.clear();
    const run = this.flushing.then(() =>
      this.ds
        .query(
          `INSERT INTO quote_log (org_id, request_key, first_quoted_at)
           SELECT q.org, md5(q.request::jsonb::text), to_timestamp(q.at / 1000.0) FROM unnest($1::uuid[], $2::text[], $3::float8[]) AS q(org, request, at)
           ON CONFLICT DO NOTHING`,
          [batch.map((b) => b.org), batch.map((b) => b.request), batch.map((b) => b.at)],
        )
        .then(
          () => undefined,
          (err) => this.log.warn({ err, quotes: batch.length }, 'quote log write failed'),
        ),
    );
    this.flushing = run;
    return run;
  }
}
