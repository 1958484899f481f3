import { Inject, Injectable } from '@nestjs/common';
import { PG_ERROR, pgErrorCode, SqlSession } from '@pflex/persistence';
import { Decision, Objective } from '@pflex/scheduler';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { HOUR_MS } from '../common/time.utils';
import { APP_CONFIG, PINO, type AppConfig } from '../config';
import { BookingRow, GroupLocks, LedgerRepository, UsageRow } from '../ledger/ledger.repository';
import type { LedgerPort } from '../ledger/ledger.port';
import { TimelinesService } from '../ledger/timelines.service';
import { MetricsService } from '../metrics/metrics.service';
import type { Principal } from '../security/principal';
import { QuotasService, StartUsage, WEEK_HOURS } from '../quotas/quotas.service';
import { BookingWriter, Landed, Landing } from './booking-writer';
import { BookingErrorCode, BookingException, idempotencyKeyReused } from './bookings.exception';
import { BookingModel } from './dtos/booking.model';
import { Refusals } from './utils/refusals';
import { bookingModel, storedFromRow } from './utils/booking-models';
import { jobOf, shareRoom, ValidRequest } from './utils/fleet-window';
import { keepWeek } from './utils/weekly-room';

/** Largest group committed in one transaction. */
export const MAX_GROUP = 64;
/** Attempts of a group that keeps losing races (deadlock, serialization, a key inserted meanwhile). */
const MAX_ATTEMPTS = 8;
/** Worth a fresh attempt: CHECK (timelines behind the ledger), deadlock, serialization, unique key. */
const RETRYABLE = new Set<string>([
  PG_ERROR.CHECK_VIOLATION,
  PG_ERROR.DEADLOCK_DETECTED,
  PG_ERROR.SERIALIZATION_FAILURE,
  PG_ERROR.UNIQUE_VIOLATION,
]);

/** A bookCompute call as the committer takes it. */
export interface BookingCall {
  p: Principal;
  v: ValidRequest;
  objective: Objective;
  key: string;
  fingerprint: string;
}

interface Member extends BookingCall {
  resolve(b: BookingModel): void;
  reject(e: unknown): void;
  existing?: BookingRow;
  /** where it landed in this attempt */
  landing?: Landing;
  /** its booking's id, once written */
  id?: string;
  /** what the writer took of it in this attempt */
  landed?: Landed;
  refusal?: Error;
}

/**
 * Group commit of bookings: concurrent bookCompute calls of this process queue up; one group at
 * a time is placed in arrival order on the in-memory timelines (each member sees the ones before
 * it) and written in ONE transaction of set-based statements:
 *
 *   BEGIN + lock: the members' access rules and vouchers (FOR UPDATE), bookings already made
 *         with their idempotency keys, and the current versions of the clusters placed on
 *   [usage: confirmed bookings of members with access rules, read under those locks]
 *   write: bookings inserted from arrays, ledger rows updated by summed per-(cluster, hour)
 *          deltas (CHECK-guarded), then the versions of the clusters written raised, voucher
 *          draws and their ledger rows, pg_notify of the group's changes
 *   + COMMIT, sent right behind the write
 *
 * Timelines behind the versions the lock statement read (another process committed a moment
 * ago) are caught up from the change feed, or reloaded, and the group placed again; a commit
 * that lands after that read is caught by the CHECKs, and the group is retried. Version rows are
 * locked last and held for one round trip, so processes booking the same clusters interleave
 * instead of queueing behind each other. One member's refusal (capacity, quota, voucher,
 * idempotency conflict) never fails the others. Nothing is acknowledged before COMMIT.
 */
@Injectable()
export class BookingCommitter {
  private readonly queue: Member[] = [];
  private running = false;
  /** calls per (organization, key) in this process: a second waits for the first, then replays it */
  private readonly inflight = new Map<string, Promise<unknown>>();
  readonly stats = { groups: 0, members: 0, attempts: 0, catchUps: 0, reloads: 0 };

  constructor(
    @Inject(LedgerRepository) private readonly repo: LedgerPort,
    private readonly timelines: TimelinesService,
    private readonly quotas: QuotasService,
    private readonly refusals: Refusals,
    private readonly writer: BookingWriter,
    private readonly metrics: MetricsService,
    @Inject(PINO) private readonly log: Logger,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Queues a booking; resolves after its group committed (or with its refusal). */
  submit(call: BookingCall): Promise<BookingModel> {
    const k = `${call.p.orgId}\u0000${call.key}`;
    const prev = this.inflight.get(k);
    const run: Promise<BookingModel> = (prev ? prev.then(noop, noop) : Promise.resolve()).then(
      () =>
        new Promise<BookingModel>((resolve, reject) => {
          this.queue.push({ ...call, resolve, reject });
          this.kick();
        }),
    );
    this.inflight.set(k, run);
    const clear = () => {
      if (this.inflight.get(k) === run) this.inflight.delete(k);
    };
    run.then(clear, clear);
    return run;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // let the calls parsed in this turn of the event loop join the group
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, MAX_GROUP);
        try {
          await this.timelines.exclusive(() => this.commit(group));
        } catch (err) {
          for (const m of group) m.reject(err);
        }
      }
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.kick();
    }
  }

  private async commit(group: Member[]): Promise<void> {
    this.stats.groups++;
    this.stats.members += group.length;
    for (let attempt = 0; ; attempt++) {
      this.stats.attempts++;
      const placed: Member[] = [];
      try {
        const versions = await this.repo.transaction((s, tx) => this.attempt(s, tx, group, placed));
        for (const [c, v] of versions) this.timelines.ownCommitted(c, v);
        this.settle(group);
        return;
      } catch (e) {
        const clusters = touched(placed);
        this.undo(placed);
        for (const m of group) m.existing = m.landing = m.refusal = undefined;
        const code = pgErrorCode(e);
        if (code && RETRYABLE.has(code) && attempt + 1 < MAX_ATTEMPTS) {
          // a CHECK said the timelines were wrong, not only late: read those clusters again
          if (code === PG_ERROR.CHECK_VIOLATION && attempt > 0) {
            this.stats.reloads += clusters.length;
            await this.timelines.reloadInside(clusters).catch(() => undefined);
          }
          await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
          continue;
        }
        let err = e;
        if (code && RETRYABLE.has(code)) {
          this.log.warn({ code, attempt }, 'booking group gave up after repeated conflicts');
          err = new BookingException(
            BookingErrorCode.NO_CAPACITY,
            'the capacity was taken by concurrent bookings; try again',
          );
        }
        for (const m of group) m.reject(err);
        return;
      }
    }
  }

  /** One attempt inside the transaction (committed by it); returns the new version of every cluster it wrote. */
  private async attempt(
    s: SqlSession,
    tx: { commit(): Promise<void> },
    group: Member[],
    placed: Member[],
  ): Promise<Map<string, number>> {
    // speculative placement on what this process knows: which clusters the group touches, and
    // which ones a refusal was based on (both must be current before the answer stands)
    this.placeAll(group, placed, null, []);
    const seen = new Set(touched(placed));
    for (const m of group) if (m.refusal) for (const c of m.v.clusters) seen.add(c.id);
    const clusters = [...seen].sort();
    const orgs = [...new Set(group.map((m) => m.p.orgId))];
    const fromH = Math.min(...group.map((m) => m.v.earliestH));
    const locks = await this.repo.lockGroup(
      s,
      clusters,
      orgs,
      group.map((m) => m.p.orgId),
      group.map((m) => m.key),
      fromH,
    );
    let again = false;
    for (const m of group) {
      const row = locks.existing.find((r) => r.org_id === m.p.orgId && r.idempotency_key === m.key);
      if (row) {
        m.existing = row;
        again = true;
      }
    }
    const ruled = group.some((m) => !m.existing && locks.rules.has(m.p.orgId));
    if (ruled) again = true;
    if (await this.catchUp(s, placed, clusters, locks.versions)) again = true;
    if (again) {
      this.undo(placed);
      const usage = ruled ? await this.usage(s, group, locks) : [];
      this.placeAll(group, placed, locks, usage);
    }
    if (placed.length === 0) return new Map();
    const landed = this.landed(placed);
    this.writer.covers(landed, locks.vouchers);
    return this.writer.write(s, tx, landed, locks.vouchers);
  }

  /**
   * Brings the timelines of the clusters placed on up to the versions the database had a moment
   * ago, from the change feed (a reload when it does not deliver in time), so that the group is
   * placed on what other processes committed. Undoes the tentative placements first when
   * something must change; returns whether it did. Anything committed after that read is caught
   * by the ledger's CHECKs (a retry).
   */
  private async catchUp(
    s: SqlSession,
    placed: Member[],
    clusters: string[],
    versions: Map<string, number>,
  ): Promise<boolean> {
    if (!clusters.some((c) => this.timelines.version(c) < (versions.get(c) ?? -1))) return false;
    this.undo(placed);
    const { behind, reloaded } = await this.timelines.current(versions, s);
    this.stats.catchUps += behind;
    this.stats.reloads += reloaded;
    return true;
  }

  /** Confirmed bookings of the members' organizations with rules, around every member's window. */
  private usage(s: SqlSession, group: Member[], locks: GroupLocks): Promise<UsageRow[]> {
    const ruled = group.filter((m) => locks.rules.has(m.p.orgId));
    const from = Math.min(...ruled.map((m) => m.v.earliestH)) - WEEK_HOURS;
    const to = Math.max(...ruled.map((m) => m.v.deadlineH)) + WEEK_HOURS;
    return this.repo.usage(s, [...new Set(ruled.map((m) => m.p.orgId))], from, to);
  }

  /**
   * Places every member in order on the timelines, tentatively. Without `locks` (speculative)
   * access rules are not known yet; with them, the cluster share cuts each startup's room and
   * the 7-day rule is checked, counting the group's earlier members.
   */
  private placeAll(group: Member[], placed: Member[], locks: GroupLocks | null, usage: UsageRow[]): void {
    const base = this.timelines.base;
    const extraUsage: UsageRow[] = [];
    // a request checked before the hour turned and placed after it starts no earlier than the hour
    // that is now current (an hour that has ended can be neither used nor cancelled)
    const nowH = Math.floor(this.config.now() / HOUR_MS);
    for (const m of group) {
      m.landing = m.refusal = undefined;
      if (m.existing) continue;
      if (m.v.earliestH < nowH) m.v = { ...m.v, earliestH: nowH };
      const fleet = this.timelines.fleet!;
      const rules = locks?.rules.get(m.p.orgId);
      // where the request is placed: the timelines, or a window copy cut to the cluster share
      const { on, slot0, cap } =
        rules?.maxClusterShare != null
          ? shareRoom(
              fleet,
              base,
              m.v,
              rules.maxClusterShare,
              usage.concat(extraUsage).filter((u) => u.org_id === m.p.orgId),
            )
          : { on: fleet, slot0: base, cap: null };
      const d: Decision = this.metrics.decision('place', () => on.place(jobOf(m.v, slot0), m.objective));
      if (!d.ok) {
        m.refusal = this.refusals.explain(m.v, d, m.objective, fleet, base, cap);
        continue;
      }
      let pl = d.placement;
      if (rules?.maxPflopsHoursPer7Days != null) {
        const starts: StartUsage[] = usage
          .concat(extraUsage)
          .filter((u) => u.org_id === m.p.orgId)
          .map((u) => ({ h: u.h, tflopsHours: u.tflops * u.hours }));
        const kept = keepWeek(this.quotas, slot0, m.v, m.objective, rules.maxPflopsHoursPer7Days, starts, pl, (job) =>
          this.metrics.decision('place', () => on.place(job, m.objective)),
        );
        if (kept instanceof Error) {
          m.refusal = kept;
          continue;
        }
        pl = kept;
      }
      const startH = slot0 + pl.start;
      this.timelines.addBooking(pl, startH - base, 1);
      m.landing = { pl, slot: startH - base, startH, cover: null };
      placed.push(m);
      if (locks)
        extraUsage.push({ org_id: m.p.orgId, cluster_id: pl.cluster, h: startH, hours: pl.hours, tflops: pl.tflops });
    }
  }

  /** Removes this attempt's tentative placements from the timelines (latest first). */
  private undo(placed: Member[]): void {
    while (placed.length > 0) {
      const m = placed.pop()!;
      const l = m.landing!;
      this.timelines.addBooking(l.pl, l.slot, -1);
      m.landing = undefined;
    }
  }

  /** The members placed, as the writer takes them (each gets its booking id here). */
  private landed(placed: Member[]): Landed[] {
    return placed.map(
      (m) =>
        (m.landed = {
          id: (m.id ??= randomUUID()),
          orgId: m.p.orgId,
          key: m.key,
          fingerprint: m.fingerprint,
          objective: m.objective,
          minGreenShare: m.v.minGreenShare ?? null,
          landing: m.landing!,
        }),
    );
  }

  /** After COMMIT: every member gets its booking, its replayed booking or its refusal. */
  private settle(group: Member[]): void {
    for (const m of group) {
      if (m.existing) {
        const row = m.existing;
        if (row.request_fingerprint !== m.fingerprint) {
          m.reject(idempotencyKeyReused(row.id));
        } else {
          m.resolve(bookingModel(storedFromRow(row), this.timelines.cluster(row.cluster_id)?.name ?? ''));
        }
      } else if (m.landing) {
        const l = m.landing;
        this.log.debug(
          {
            booking: m.id,
            org: m.p.orgId,
            cluster: l.pl.cluster,
            startH: l.startH,
            hours: l.pl.hours,
            tflops: l.pl.tflops,
          },
          'booking confirmed',
        );
        // as written: the answer carries the stored creation time
        m.resolve(bookingModel(this.writer.stored(m.landed!), this.timelines.cluster(l.pl.cluster)?.name ?? ''));
      } else {
        m.reject(m.refusal ?? new BookingException(BookingErrorCode.NO_CAPACITY, 'not placed'));
      }
    }
  }
}

function touched(placed: Member[]): string[] {
  return [...new Set(placed.map((m) => m.landing!.pl.cluster))].sort();
}

function noop(): void {}
