import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { PG_ERROR, pgErrorCode, SqlSession } from '@pflex/persistence';
import { Objective } from '@pflex/scheduler';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BookingWriter, Landed } from '../bookings/booking-writer';
import { BookingErrorCode, BookingException } from '../bookings/bookings.exception';
import { ROUND_KEY_PREFIX } from '../bookings/idempotency-key';
import { fleetWindow, ValidRequest } from '../bookings/utils/fleet-window';
import { Refusals } from '../bookings/utils/refusals';
import { HOUR_MS, iso } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { LedgerRepository } from '../ledger/ledger.repository';
import { BookingEventTuple, bookingPayloads } from '../ledger/ledger-wire';
import { LedgerService } from '../ledger/ledger.service';
import { ClusterMeta, TimelinesService } from '../ledger/timelines.service';
import { QuotasService, WEEK_HOURS } from '../quotas/quotas.service';
import { RoundOutcomeModel } from './dtos/round.model';
import { figures, firstCome, packRound, RoundMember, RoundPlan, RuleBook, volume } from './round-plan';
import { Decisions, PendingRow, RoundsRepository } from './rounds.repository';

/** Worth clearing again from a fresh read: CHECK (the timelines were wrong), deadlock, serialization. */
const RETRYABLE = new Set<string>([
  PG_ERROR.CHECK_VIOLATION,
  PG_ERROR.DEADLOCK_DETECTED,
  PG_ERROR.SERIALIZATION_FAILURE,
]);
const MAX_ATTEMPTS = 5;
/** Statement and idle-in-transaction limit of a clearing (a 100,000-request round included). */
const CLEARING_TIMEOUT_MS = 300_000;

/** A clearing's result: cleared now, or not (`busy`: another process is clearing it; `open`: not closed yet; `cleared`: already). */
export type ClearResult =
  { cleared: true; outcome: RoundOutcomeModel } | { cleared: false; why: 'busy' | 'open' | 'cleared' };

/**
 * Clears rounds. A round is first CLOSED in a short statement of its own (at its close time by
 * the tick, or early by closeRound), so no request joins it any more and its region's next
 * scheduled round can open. Then exactly one process clears it, in ONE transaction that holds
 * the round's row lock (FOR UPDATE SKIP LOCKED: a second process skips it, a restart finds it
 * CLEARED or still CLOSED, and the next tick clears it), reads its pending requests, locks the
 * startups' access rules and vouchers, packs the whole round with `packBatch` on a copy of the
 * timelines, then locks the versions of the clusters concerned (re-packing once if another
 * process committed there meanwhile, now that no one can) and writes every booking through the
 * same ledger path as bookCompute (BookingWriter: same CHECKs, voucher draws, events), then each
 * request's decision and the round's outcome. A crash before COMMIT leaves the round CLOSED and
 * untouched; after it, fully cleared.
 */
@Injectable()
export class RoundClearer implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private ticking = false;
  readonly stats = { clearings: 0, attempts: 0, repacks: 0 };

  constructor(
    private readonly rounds: RoundsRepository,
    private readonly repo: LedgerRepository,
    private readonly ledger: LedgerService,
    private readonly timelines: TimelinesService,
    private readonly writer: BookingWriter,
    private readonly quotas: QuotasService,
    private readonly refusals: Refusals,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.roundTickMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => void this.tick(), every);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Every process, every tick: close the rounds whose time has come, open the scheduled rounds
   * that are missing (the next one opens before the last one clears), clear the closed rounds.
   */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.roll();
      for (const r of await this.rounds.closed()) await this.clear(r.id);
    } catch (e) {
      this.log.warn({ err: e }, 'round tick failed; next tick retries');
    } finally {
      this.ticking = false;
    }
  }

  /** Closes the rounds whose time has come and opens the scheduled ones missing. */
  async roll(): Promise<void> {
    const now = this.config.now();
    await this.rounds.closeDue(now);
    await this.rounds.openScheduled(now);
  }

  /**
   * Closes the round now if it is OPEN (at its close time, or before it) and opens its region's
   * next scheduled round; `clear` then clears it.
   */
  async closeNow(id: string): Promise<void> {
    const now = this.config.now();
    await this.rounds.closeEarly(id, now);
    await this.rounds.openScheduled(now);
  }

  /** Clears the round now if it is CLOSED and no other process is clearing it. */
  async clear(id: string): Promise<ClearResult> {
    for (let attempt = 0; ; attempt++) {
      this.stats.attempts++;
      try {
        return await this.timelines.exclusive(() => this.repo.transaction((s, tx) => this.clearOnce(s, tx, id)));
      } catch (e) {
        const code = pgErrorCode(e);
        if (!code || !RETRYABLE.has(code) || attempt + 1 >= MAX_ATTEMPTS) throw e;
        this.log.info({ round: id, code, attempt }, 'round clearing lost a race; clearing again from a fresh read');
        if (code === PG_ERROR.CHECK_VIOLATION) this.timelines.reloadAll('a round clearing hit a ledger CHECK');
        await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }

  private async clearOnce(s: SqlSession, tx: { commit(): Promise<void> }, id: string): Promise<ClearResult> {
    const t0 = performance.now();
    // a large round packs for seconds between statements and writes its bookings in one statement
    await s.exec(
      `SET LOCAL statement_timeout = ${CLEARING_TIMEOUT_MS}; SET LOCAL idle_in_transaction_session_timeout = ${CLEARING_TIMEOUT_MS}`,
    );
    const round = await this.rounds.lockForClearing(s, id);
    if (!round) return { cleared: false, why: 'busy' };
    if (round.status !== 'CLOSED') return { cleared: false, why: round.status === 'OPEN' ? 'open' : 'cleared' };
    const rows = await this.rounds.pending(s, id);
    const now = this.config.now();
    const { start, end } = this.ledger.horizon();
    const regionClusters = this.timelines.clusters().filter((c) => round.region === '' || c.region === round.region);
    // each request as it stands now: its window clipped to the bookable hours
    const members: RoundMember[] = [];
    const of: PendingRow[] = [];
    const early: { row: PendingRow; reason: string; message: string }[] = [];
    for (const r of rows) {
      // named clusters count only while they are in the round's region (one may have moved since)
      const clusters = r.cluster_ids
        ? r.cluster_ids
            .map((c) => this.timelines.cluster(c))
            .filter((c): c is ClusterMeta => c !== undefined && (round.region === '' || c.region === round.region))
        : regionClusters;
      const earliestH = Math.max(r.earliest_h, start / HOUR_MS);
      const deadlineH = Math.min(r.deadline_h, end / HOUR_MS);
      if (deadlineH - earliestH < r.hours) {
        early.push({
          row: r,
          reason: BookingErrorCode.INVALID_REQUEST,
          message: `the request's window closed before the round cleared: no ${r.hours} h run fits between ${iso(earliestH * HOUR_MS)} and ${iso(r.deadline_h * HOUR_MS)}`,
        });
        continue;
      }
      if (clusters.length === 0) {
        early.push({
          row: r,
          reason: BookingErrorCode.NO_CAPACITY,
          message: r.cluster_ids
            ? `none of the clusters the request names is in region ${round.region} any more`
            : round.region
              ? `region ${round.region} has no clusters`
              : 'there are no clusters',
        });
        continue;
      }
      const v: ValidRequest = {
        pflops: r.pflops,
        hours: r.hours,
        earliestH,
        deadlineH,
        clusters,
        minGreenShare: r.min_green_share ?? undefined,
      };
      members.push({ orgId: r.org_id, v, objective: r.objective as Objective });
      of.push(r);
    }
    const clusterIds = [...new Set(members.flatMap((m) => m.v.clusters.map((c) => c.id)))].sort();
    const orgs = [...new Set(members.map((m) => m.orgId))].sort();
    // (loops, not Math.min(...xs): a round may hold more requests than a call takes arguments)
    const fromH = members.reduce((a, m) => Math.min(a, m.v.earliestH), members.length ? Infinity : start / HOUR_MS);
    const locks = await this.repo.lockGroup(s, clusterIds, orgs, [], [], fromH);
    await this.timelines.current(locks.versions, s);
    const ruled = members.filter((m) => locks.rules.has(m.orgId));
    const usage = ruled.length
      ? await this.repo.usage(
          s,
          [...new Set(ruled.map((m) => m.orgId))],
          ruled.reduce((a, m) => Math.min(a, m.v.earliestH), Infinity) - WEEK_HOURS,
          ruled.reduce((a, m) => Math.max(a, m.v.deadlineH), -Infinity) + WEEK_HOURS,
        )
      : [];
    const book: RuleBook = { rules: locks.rules, usage };

    // the round's clusters over the round's hours only: the packer's effort goes where the requests are
    const inRound = new Set(clusterIds);
    const clusters = this.timelines.clusters().filter((c) => inRound.has(c.id));
    const toH = members.reduce((a, m) => Math.max(a, m.v.deadlineH), fromH);
    const window = () => fleetWindow(this.timelines.fleet!, this.timelines.base, clusters, fromH, toH);
    const pack = async (): Promise<RoundPlan> =>
      members.length
        ? packRound(window(), fromH, members, book, this.quotas)
        : { placed: [], refused: [], strategy: 'none' };
    let tPack = performance.now();
    let plan = await pack();
    // no writer may slip in between the packing and the write: lock the versions, and if someone
    // committed on these clusters since they were read, pack again on what they committed
    const locked = await this.repo.lockVersions(s, clusterIds);
    if (clusterIds.some((c) => this.timelines.version(c) !== locked.get(c))) {
      this.stats.repacks++;
      await this.timelines.current(locked, s);
      tPack = performance.now();
      plan = await pack();
    }
    const packingMs = performance.now() - tPack;
    const baseline = members.length ? firstCome(window(), fromH, members, book, this.quotas) : plan;
    // the round never places less than first-come would have (the packer does not know the access
    // rules, and re-packing without the members they refuse may still fall short), nor, placing as
    // much, fewer requests: then it clears as first-come
    const [pv, bv] = [volume(plan), volume(baseline)];
    if (bv > pv || (bv === pv && baseline.placed.length > plan.placed.length)) plan = baseline;

    const base = this.timelines.base;
    const landed: Landed[] = plan.placed.map(({ i, pl }) => ({
      id: randomUUID(),
      orgId: members[i].orgId,
      key: ROUND_KEY_PREFIX + of[i].id,
      fingerprint: of[i].request_fingerprint,
      objective: members[i].objective,
      minGreenShare: members[i].v.minGreenShare ?? null,
      landing: { pl, slot: fromH + pl.start - base, startH: fromH + pl.start, cover: null },
      roundRequestId: of[i].id,
    }));
    this.writer.covers(landed, locks.vouchers);
    const d: Decisions = { id: [], status: [], booking: [], reason: [], message: [] };
    const refusedEvents: BookingEventTuple[] = [];
    const decide = (row: PendingRow, booking: string | null, reason: string | null, message: string | null) => {
      d.id.push(row.id);
      d.status.push(booking ? 'CONFIRMED' : 'REFUSED');
      d.booking.push(booking);
      d.reason.push(reason);
      d.message.push(message);
      if (!booking) refusedEvents.push(['', row.org_id, '', 0, 0, 'F', row.id]);
    };
    plan.placed.forEach(({ i }, k) => decide(of[i], landed[k].id, null, null));
    for (const { i, reason } of plan.refused) {
      const why = this.why(members[i], reason);
      decide(of[i], null, why.reason, why.message);
    }
    for (const e of early) decide(e.row, null, e.reason, e.message);

    const mine = figures(plan);
    const fc = figures(baseline);
    const outcome: RoundOutcomeModel = {
      requests: rows.length,
      ...mine,
      refused: rows.length - mine.placed,
      firstCome: { ...fc, refused: rows.length - fc.placed },
      gain: fc.pflopsHours > 0 ? Math.round((mine.pflopsHours / fc.pflopsHours) * 1e4) / 1e4 : null,
      strategy: plan.strategy,
      clearingMs: 0,
      packingMs: Math.round(packingMs),
    };
    const encode = (x: Record<string, unknown> & { k: string }) => this.feed.encode(x);
    const record = async () => {
      outcome.clearingMs = Math.round(performance.now() - t0);
      await this.rounds.decide(s, id, d, outcome, now, this.feed.channel, bookingPayloads(encode, refusedEvents, []));
    };
    let versions = new Map<string, number>();
    if (landed.length > 0) versions = await this.writer.write(s, tx, landed, locks.vouchers, record);
    else {
      await record();
      await tx.commit();
    }
    // committed: the timelines take the round's bookings, as the group committer's do
    for (const l of landed) this.timelines.addBooking(l.landing.pl, l.landing.slot, 1);
    for (const [c, v] of versions) this.timelines.ownCommitted(c, v);
    this.stats.clearings++;
    this.log.info(
      {
        round: id,
        region: round.region || null,
        requests: rows.length,
        placed: mine.placed,
        pflopsHours: mine.pflopsHours,
        firstCome: fc.pflopsHours,
        ms: outcome.clearingMs,
      },
      'round cleared',
    );
    return { cleared: true, outcome };
  }

  /** The reason code and message a refused member shows: the access rule it breaks, or what the packer said in bookCompute's words. */
  private why(m: RoundMember, reason: RoundPlan['refused'][number]['reason']): { reason: string; message: string } {
    if (reason instanceof Error) return { reason: this.refusals.reasonOf(reason).reason, message: reason.message };
    if (reason === 'OUTSIDE_HORIZON' || reason === 'INVALID')
      return {
        reason: BookingErrorCode.INVALID_REQUEST,
        message: `the request does not fit the bookable horizon (${reason})`,
      };
    const e = this.refusals.explain(
      m.v,
      { ok: false, reason, message: '' },
      m.objective,
      this.timelines.fleet!,
      this.timelines.base,
      null,
    ) as BookingException;
    return { reason: e.code, message: `not placed in the round: ${e.message}` };
  }
}
