import type { Objective } from '@pflex/scheduler';
import pino from 'pino';
import { BookingCommitter } from '../../src/bookings/booking-committer';
import { BookingWriter } from '../../src/bookings/booking-writer';
import type { BookingModel } from '../../src/bookings/dtos/booking.model';
import { Refusals } from '../../src/bookings/utils/refusals';
import type { ValidRequest } from '../../src/bookings/utils/fleet-window';
import { HOUR_MS } from '../../src/common/time.utils';
import type { AppConfig } from '../../src/config';
import type { LedgerRepository } from '../../src/ledger/ledger.repository';
import type { LedgerService } from '../../src/ledger/ledger.service';
import { TimelinesService } from '../../src/ledger/timelines.service';
import type { MetricsService } from '../../src/metrics/metrics.service';
import type { Principal } from '../../src/security/principal';
import { QuotasService } from '../../src/quotas/quotas.service';
import { VouchersService } from '../../src/vouchers/vouchers.service';
import { FakeFeed } from './fake-feed';
import { FakeLedger } from './fake-ledger';

/** Epoch hour the unit tier's clock starts at (2030-01-01T00:00Z). */
export const T0H = Date.UTC(2030, 0, 1) / HOUR_MS;

/**
 * One API process's booking path wired by hand, as BookingsModule wires it, on a FakeLedger:
 * the real TimelinesService (loaded from the fake at boot, kept current from its notifications),
 * BookingCommitter, BookingWriter, Refusals and QuotasService. No database, no Nest container.
 * Several kits on one FakeLedger are several processes.
 */
export interface BookingKit {
  ledger: FakeLedger;
  feed: FakeFeed;
  timelines: TimelinesService;
  committer: BookingCommitter;
  writer: BookingWriter;
  quotas: QuotasService;
  vouchers: VouchersService;
  config: AppConfig;
  /** the process's clock, ms; tests move it */
  clock: { now: number };
  /** A request over [T0H + from, T0H + to) on the listed clusters (default: all, in catalogue order). */
  request(r: {
    pflops: number;
    hours: number;
    from: number;
    to: number;
    clusters?: string[];
    minGreenShare?: number;
  }): ValidRequest;
  /** Submits a booking as startup `orgId` (resolves once its group committed). */
  book(
    orgId: string,
    v: ValidRequest,
    opts?: { key?: string; objective?: Objective; fingerprint?: string },
  ): Promise<BookingModel>;
  close(): void;
}

export const silentLog = pino({ level: 'silent' });

/** The clusters must be in `ledger` before (or be refreshed into the timelines after). */
export async function bookingKit(opts: {
  ledger: FakeLedger;
  horizonDays?: number;
  now?: number;
}): Promise<BookingKit> {
  const ledger = opts.ledger;
  const clock = { now: opts.now ?? T0H * HOUR_MS };
  const config: AppConfig = {
    port: 0,
    persistence: { memory: true },
    horizonDays: opts.horizonDays ?? 2,
    demoSeed: false,
    maxQueryDepth: 8,
    maxQueryCost: 5000,
    now: () => clock.now,
  };
  const feed = new FakeFeed().attach(ledger);
  const horizon = () => {
    const start = Math.floor(clock.now / HOUR_MS) * HOUR_MS;
    return { start, end: start + config.horizonDays * 24 * HOUR_MS };
  };
  // the fake's rows exist from the start; materialising is an operator's SQL, not under test here
  const ledgerService = { materialise: async () => 0, horizon } as unknown as LedgerService;
  const metrics = { decision: <T>(_kind: string, fn: () => T): T => fn() } as unknown as MetricsService;
  // TimelinesService takes the repository class; the fake is the same LedgerPort underneath
  const timelines = new TimelinesService(
    ledger as unknown as LedgerRepository,
    feed.asChangeFeed,
    ledgerService,
    config,
    silentLog,
  );
  await timelines.onApplicationBootstrap();
  const quotas = new QuotasService(undefined as never, feed.asChangeFeed);
  const refusals = new Refusals(quotas);
  // quotes' voucher cache (no database here: the writer only drops its entries)
  const vouchers = new VouchersService(undefined as never, feed.asChangeFeed, config);
  const writer = new BookingWriter(ledger, feed.asChangeFeed, config, vouchers);
  const committer = new BookingCommitter(ledger, timelines, quotas, refusals, writer, metrics, silentLog, config);
  let seq = 0;
  return {
    ledger,
    feed,
    timelines,
    vouchers,
    committer,
    writer,
    quotas,
    config,
    clock,
    request(r) {
      const ids = r.clusters ?? timelines.clusters().map((c) => c.id);
      return {
        pflops: r.pflops,
        hours: r.hours,
        earliestH: T0H + r.from,
        deadlineH: T0H + r.to,
        clusters: ids.map((id) => {
          const c = timelines.cluster(id);
          if (!c) throw new Error(`cluster ${id} is not in the timelines`);
          return c;
        }),
        ...(r.minGreenShare !== undefined ? { minGreenShare: r.minGreenShare } : {}),
      };
    },
    book(orgId, v, o = {}) {
      const objective = o.objective ?? 'EARLIEST';
      const p: Principal = { orgId, name: orgId, role: 'STARTUP' };
      const fingerprint =
        o.fingerprint ??
        JSON.stringify([
          v.pflops,
          v.hours,
          v.earliestH,
          v.deadlineH,
          v.clusters.map((c) => c.id),
          v.minGreenShare ?? null,
          objective,
        ]);
      return committer.submit({ p, v, objective, key: o.key ?? `key-${++seq}`, fingerprint });
    },
    close() {
      timelines.onModuleDestroy();
    },
  };
}
