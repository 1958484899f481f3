import { Inject, Injectable } from '@nestjs/common';
import { PG_ERROR, pgErrorCode, SqlSession } from '@pflex/persistence';
import { Decision, Objective, Placement } from '@pflex/scheduler';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { centsOf, money, priceTotal } from '../common/money';
import { HOUR_MS } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { BookingRow, GroupLocks, LedgerRepository, UsageRow, VERSION_PLACEHOLDER } from '../ledger/ledger.repository';
import { BookingEventTuple, bookingPayloads, ledgerPayloads } from '../ledger/ledger-wire';
import { TimelinesService } from '../ledger/timelines.service';
import { MetricsService } from '../metrics/metrics.service';
import type { Principal } from '../organizations/principal';
import { heldTflops, QuotasService, StartUsage, WEEK_HOURS } from '../quotas/quotas.service';
import { chooseCover, coverRequestOf, VoucherCover } from '../vouchers/vouchers.service';
import { BookingErrorCode, BookingException } from './bookings.exception';
import { BookingModel } from './dtos/booking.model';
import { Refusals } from './utils/refusals';
import { bookingModel, storedFromRow } from './utils/booking-models';
import { jobOf, shareCappedWindow, ValidRequest } from './utils/fleet-window';

/** Largest group committed in one transaction. */
export const MAX_GROUP = 64;
/** Attempts of a group that keeps losing races (deadlock, serialization, a key inserted meanwhile). */
const MAX_ATTEMPTS = 8;
/** Worth a fresh attempt: CHECK (timelines behind the ledger), deadlock, serialization, unique key. */
const RETRYABLE = new Set<string>([PG_ERROR.CHECK_VIOLATION, PG_ERROR.DEADLOCK_DETECTED, PG_ERROR.SERIALIZATION_FAILURE, PG_ERROR.UNIQUE_VIOLATION]);

/** A bookCompute call as the committer takes it. */
export interface BookingCall {
  p: Principal;
  v: ValidRequest;
  objective: Objective;
  key: string;
  fingerprint: string;
}

/** Where a member landed on the in-memory timelines in this attempt. */
interface Landing {
  pl: Placement;
  /** fleet slot of its first hour */
  slot: number;
  /** epoch hour of its first hour */
  startH: number;
  cover: VoucherCover | null;
}

interface Member extends BookingCall {
  resolve(b: BookingModel): void;
  reject(e: unknown): void;
  existing?: BookingRow;
  landing?: Landing;
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
    private readonly repo: LedgerRepository,
    private readonly timelines: TimelinesService,
    private readonly feed: ChangeFeed,
    private readonly quotas: QuotasService,
    private readonly refusals: Refusals,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
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
      let versions = new Map<string, number>();
      try {
        versions = await this.repo.transaction((s, tx) => this.attempt(s, tx, group, placed));
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
        if (code && RETRYABLE.has(code)) {
          this.log.warn({ code, attempt }, 'booking group gave up after repeated conflicts');
          e = new BookingException(BookingErrorCode.NO_CAPACITY, 'the capacity was taken by concurrent bookings; try again');
        }
        for (const m of group) m.reject(e);
        return;
      }
    }
  }

  /** One attempt inside the transaction (committed by it); returns the new version of every cluster it wrote. */
  private async attempt(s: SqlSession, tx: { commit(): Promise<void> }, group: Member[], placed: Member[]): Promise<Map<string, number>> {
    // speculative placement on what this process knows: which clusters the group touches, and
    // which ones a refusal was based on (both must be current before the answer stands)
    this.placeAll(group, placed, null, []);
    const seen = new Set(touched(placed));
    for (const m of group) if (m.refusal) for (const c of m.v.clusters) seen.add(c.id);
    const clusters = [...seen].sort();
    const orgs = [...new Set(group.map((m) => m.p.orgId))];
    const fromH = Math.min(...group.map((m) => m.v.earliestH));
    const locks = await this.repo.lockGroup(s, clusters, orgs, group.map((m) => m.p.orgId), group.map((m) => m.key), fromH);
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
    this.covers(placed, locks);
    if (placed.length === 0) return new Map();
    return this.write(s, tx, placed, locks);
  }

  /**
   * Brings the timelines of the clusters placed on up to the versions the database had a moment
   * ago, from the change feed (a reload when it does not deliver in time), so that the group is
   * placed on what other processes committed. Undoes the tentative placements first when
   * something must change; returns whether it did. Anything committed after that read is caught
   * by the ledger's CHECKs (a retry).
   */
  private async catchUp(s: SqlSession, placed: Member[], clusters: string[], versions: Map<string, number>): Promise<boolean> {
    const behind = clusters.filter((c) => this.timelines.version(c) < (versions.get(c) ?? -1));
    if (behind.length === 0) return false;
    this.undo(placed);
    const reload: string[] = [];
    for (const c of behind) {
      this.stats.catchUps++;
      if (!(await this.timelines.catchUp(c, versions.get(c)!))) reload.push(c);
    }
    if (reload.length > 0) {
      this.stats.reloads += reload.length;
      await this.timelines.reloadInside(reload, s);
    }
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
    for (const m of group) {
      m.landing = m.refusal = undefined;
      if (m.existing) continue;
      const fleet = this.timelines.fleet!;
      const rules = locks?.rules.get(m.p.orgId);
      let d: Decision;
      let slot0 = base;
      if (rules?.maxClusterShare != null) {
        const mine = usage.concat(extraUsage).filter((u) => u.org_id === m.p.orgId);
        const held = heldTflops(mine, m.v.clusters.map((c) => c.id), m.v.earliestH, m.v.deadlineH - m.v.earliestH);
        const window = shareCappedWindow(fleet, base, m.v, { share: rules.maxClusterShare, held });
        d = this.metrics.decision('place', () => window.place(jobOf(m.v, m.v.earliestH), m.objective));
        slot0 = m.v.earliestH;
        if (!d.ok) {
          m.refusal = this.refusals.explain(m.v, d, m.objective, fleet, base, { share: rules.maxClusterShare, held });
          continue;
        }
      } else {
        d = this.metrics.decision('place', () => fleet.place(jobOf(m.v, base), m.objective));
        if (!d.ok) {
          m.refusal = this.refusals.explain(m.v, d, m.objective, fleet, base, null);
          continue;
        }
      }
      const pl = d.placement;
      const startH = slot0 + pl.start;
      if (rules?.maxPflopsHoursPer7Days != null) {
        const starts: StartUsage[] = usage
          .concat(extraUsage)
          .filter((u) => u.org_id === m.p.orgId)
          .map((u) => ({ h: u.h, tflopsHours: u.tflops * u.hours }));
        const over = this.quotas.weeklyExcess(rules.maxPflopsHoursPer7Days, starts, startH, pl.tflops, pl.hours);
        if (over) {
          m.refusal = over;
          continue;
        }
      }
      this.timelines.addBooking(pl.cluster, startH - base, pl.hours, pl.tflops, pl.greenW, 1);
      m.landing = { pl, slot: startH - base, startH, cover: null };
      placed.push(m);
      if (locks) extraUsage.push({ org_id: m.p.orgId, cluster_id: pl.cluster, h: startH, hours: pl.hours, tflops: pl.tflops });
    }
  }

  /** Removes this attempt's tentative placements from the timelines (latest first). */
  private undo(placed: Member[]): void {
    while (placed.length > 0) {
      const m = placed.pop()!;
      const l = m.landing!;
      this.timelines.addBooking(l.pl.cluster, l.slot, l.pl.hours, l.pl.tflops, l.pl.greenW, -1);
      m.landing = undefined;
    }
  }

  /** Voucher covers in arrival order, each draw lowering what the next member can get. */
  private covers(placed: Member[], locks: GroupLocks): void {
    const left = new Map(locks.vouchers.map((v) => [v.id, centsOf(Number(v.remaining))]));
    for (const m of placed) {
      const mine = locks.vouchers.filter((v) => v.org_id === m.p.orgId);
      if (mine.length === 0) continue;
      const l = m.landing!;
      const startsAt = l.startH * HOUR_MS;
      const cover = chooseCover(mine, coverRequestOf(l.pl, startsAt), (v) => left.get(v.id)!);
      if (cover) {
        left.set(cover.voucherId, left.get(cover.voucherId)! - centsOf(cover.amount));
        l.cover = cover;
      }
    }
  }

  private async write(s: SqlSession, tx: { commit(): Promise<void> }, placed: Member[], locks: GroupLocks): Promise<Map<string, number>> {
    const clusters = touched(placed);
    const ids: string[] = [];
    const b = {
      id: ids,
      org: [] as string[],
      cluster: [] as string[],
      startH: [] as number[],
      hours: [] as number[],
      tflops: [] as number[],
      drawW: [] as number[],
      greenFlat: [] as number[],
      greenOff: [] as number[],
      objective: [] as string[],
      minGreenShare: [] as (number | null)[],
      greenMwh: [] as number[],
      gridMwh: [] as number[],
      greenShare: [] as number[],
      priceCompute: [] as number[],
      priceGreen: [] as number[],
      priceGrid: [] as number[],
      priceTotal: [] as number[],
      voucherId: [] as (string | null)[],
      voucherAmount: [] as string[],
      key: [] as string[],
      fingerprint: [] as string[],
    };
    const deltas = new Map<string, Map<number, [number, number]>>();
    const spent = new Map(locks.vouchers.map((v) => [v.id, centsOf(Number(v.spent))]));
    const draws = new Map<string, number>();
    const vd = { voucher: [] as string[], amount: [] as string[], ledgerVoucher: [] as string[], ledgerBooking: [] as string[], ledgerAmount: [] as string[], ledgerSpentAfter: [] as string[] };
    const events: BookingEventTuple[] = [];
    const voucherOrgs = new Set<string>();
    for (const m of placed) {
      const l = m.landing!;
      const pl = l.pl;
      const id = randomUUID();
      (m as Member & { id?: string }).id = id;
      ids.push(id);
      b.org.push(m.p.orgId);
      b.cluster.push(pl.cluster);
      b.startH.push(l.startH);
      b.hours.push(pl.hours);
      b.tflops.push(pl.tflops);
      b.drawW.push(pl.drawW);
      b.greenOff.push(b.greenFlat.length);
      for (let i = 0; i < pl.hours; i++) b.greenFlat.push(pl.greenW[i]);
      b.objective.push(m.objective);
      b.minGreenShare.push(m.v.minGreenShare ?? null);
      b.greenMwh.push(pl.greenMwh);
      b.gridMwh.push(pl.gridMwh);
      b.greenShare.push(pl.greenShare);
      // stored as clients read them: whole cents per part, the total their sum (common/money)
      b.priceCompute.push(money(pl.price.compute));
      b.priceGreen.push(money(pl.price.greenEnergy));
      b.priceGrid.push(money(pl.price.gridEnergy));
      b.priceTotal.push(priceTotal(pl.price));
      b.voucherId.push(l.cover?.voucherId ?? null);
      b.voucherAmount.push((l.cover?.amount ?? 0).toFixed(2));
      b.key.push(m.key);
      b.fingerprint.push(m.fingerprint);
      let per = deltas.get(pl.cluster);
      if (!per) deltas.set(pl.cluster, (per = new Map()));
      for (let i = 0; i < pl.hours; i++) {
        const h = l.startH + i;
        const cur = per.get(h) ?? [0, 0];
        cur[0] += pl.tflops;
        cur[1] += pl.greenW[i];
        per.set(h, cur);
      }
      if (l.cover) {
        const c = centsOf(l.cover.amount);
        const after = spent.get(l.cover.voucherId)! + c;
        spent.set(l.cover.voucherId, after);
        draws.set(l.cover.voucherId, (draws.get(l.cover.voucherId) ?? 0) + c);
        vd.ledgerVoucher.push(l.cover.voucherId);
        vd.ledgerBooking.push(id);
        vd.ledgerAmount.push((c / 100).toFixed(2));
        vd.ledgerSpentAfter.push((after / 100).toFixed(2));
        voucherOrgs.add(m.p.orgId);
      }
      events.push([id, m.p.orgId, pl.cluster, l.startH, l.startH + pl.hours, 'C']);
    }
    for (const [v, c] of draws) {
      vd.voucher.push(v);
      vd.amount.push((c / 100).toFixed(2));
    }
    const d = { cluster: [] as string[], hour: [] as number[], tflops: [] as number[], greenW: [] as number[] };
    const encode = (x: Record<string, unknown> & { k: string }) => this.feed.encode(x);
    const payloads: string[] = [];
    const payloadClusters: (string | null)[] = [];
    for (const c of clusters) {
      const per = [...deltas.get(c)!.entries()].sort((x, y) => x[0] - y[0]);
      const h = per.map((e) => e[0]);
      const tf = per.map((e) => e[1][0]);
      const g = per.map((e) => e[1][1]);
      for (let i = 0; i < h.length; i++) {
        d.cluster.push(c);
        d.hour.push(h[i]);
        d.tflops.push(tf[i]);
        d.greenW.push(g[i]);
      }
      for (const x of ledgerPayloads(encode, c, VERSION_PLACEHOLDER, { t: 'd', h, tf, g }, true)) {
        payloads.push(x);
        payloadClusters.push(c);
      }
    }
    for (const x of bookingPayloads(encode, events, [...voucherOrgs])) {
      payloads.push(x);
      payloadClusters.push(null);
    }
    // the write and COMMIT go out back to back: the version rows stay locked for one round trip
    const written = this.repo.writeGroup(s, b, d, payloadClusters, vd, this.feed.channel, payloads, this.config.now());
    const committing = tx.commit();
    const [w, c] = await Promise.allSettled([written, committing]);
    if (w.status === 'rejected') throw w.reason;
    if (c.status === 'rejected') throw c.reason;
    return w.value;
  }

  /** After COMMIT: every member gets its booking, its replayed booking or its refusal. */
  private settle(group: Member[]): void {
    const now = new Date(this.config.now());
    for (const m of group) {
      if (m.existing) {
        const row = m.existing;
        if (row.request_fingerprint !== m.fingerprint) {
          m.reject(new BookingException(BookingErrorCode.IDEMPOTENCY_KEY_REUSED, `idempotencyKey was already used for a different request (booking ${row.id})`, 'idempotencyKey'));
        } else {
          m.resolve(bookingModel(storedFromRow(row), this.timelines.cluster(row.cluster_id)?.name ?? ''));
        }
      } else if (m.landing) {
        const l = m.landing;
        const pl = l.pl;
        const id = (m as Member & { id?: string }).id!;
        this.log.debug({ booking: id, org: m.p.orgId, cluster: pl.cluster, startH: l.startH, hours: pl.hours, tflops: pl.tflops }, 'booking confirmed');
        m.resolve(
          bookingModel(
            {
              id,
              orgId: m.p.orgId,
              clusterId: pl.cluster,
              status: 'CONFIRMED',
              startsAt: new Date(l.startH * HOUR_MS),
              endsAt: new Date((l.startH + pl.hours) * HOUR_MS),
              hours: pl.hours,
              tflops: pl.tflops,
              drawW: pl.drawW,
              objective: m.objective,
              minGreenShare: m.v.minGreenShare ?? null,
              greenShare: pl.greenShare,
              greenMwh: pl.greenMwh,
              gridMwh: pl.gridMwh,
              priceCompute: money(pl.price.compute),
              priceGreenEnergy: money(pl.price.greenEnergy),
              priceGridEnergy: money(pl.price.gridEnergy),
              priceTotal: priceTotal(pl.price),
              voucherId: l.cover?.voucherId ?? null,
              voucherAmount: l.cover?.amount ?? 0,
              idempotencyKey: m.key,
              createdAt: now,
              cancelledAt: null,
            },
            this.timelines.cluster(pl.cluster)?.name ?? '',
          ),
        );
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

