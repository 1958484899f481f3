import { Inject, Injectable } from '@nestjs/common';
import { BookingEntity, ClusterEntity, retryTransient } from '@pflex/persistence';
import { Objective, OBJECTIVES, requestFingerprint } from '@pflex/scheduler';
import { DataSource } from 'typeorm';
import { clusterIndex, distinctIds, isUuid, withDistinctIds } from '../common/ids';
import { connectionOf, decodeTimeCursor, encodeCursor, pageSize } from '../common/pagination';
import { HOUR_MS, iso, requireHour } from '../common/time.utils';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { ClusterErrorCode, ClusterException } from '../clusters/clusters.exception';
import { tariffOf } from '../clusters/tariff';
import { ChangeFeed } from '../events/change-feed.service';
import { BookingRow, LedgerRepository, VERSION_PLACEHOLDER } from '../ledger/ledger.repository';
import type { LedgerPort } from '../ledger/ledger.port';
import { bookingPayloads, ledgerPayloads } from '../ledger/ledger-wire';
import { LedgerService } from '../ledger/ledger.service';
import { ClusterMeta, TimelinesService } from '../ledger/timelines.service';
import { MetricsService } from '../metrics/metrics.service';
import type { Principal } from '../security/principal';
import { QuotasService } from '../quotas/quotas.service';
import { coverRequestOf, VouchersService } from '../vouchers/vouchers.service';
import { BookingCommitter } from './booking-committer';
import { BookingErrorCode, BookingException, idempotencyKeyReused } from './bookings.exception';
import { BookingFilterInput, ComputeRequestInput } from './dtos/booking.input';
import { BookingConnection, BookingModel, ObjectiveEnum, QuoteModel } from './dtos/booking.model';
import { bookingModel, gridPeriodsOf, placementModel, StoredBooking, storedFromRow } from './utils/booking-models';
import { keepWeek } from './utils/weekly-room';
import { jobOf, shareCappedWindow, ValidRequest } from './utils/fleet-window';
import { Refusals } from './utils/refusals';
import { requireIdempotencyKey } from './idempotency-key';

/**
 * Quotes and bookings. Both are answered from the in-memory timelines (TimelinesService):
 * quotes touch no ledger row, bookings go through the group committer, which writes them in
 * one transaction per group. Reads (booking, bookings) stay on TypeORM.
 */
@Injectable()
export class BookingsService {
  constructor(
    private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    @Inject(LedgerRepository) private readonly repo: LedgerPort,
    private readonly timelines: TimelinesService,
    private readonly committer: BookingCommitter,
    private readonly refusals: Refusals,
    private readonly feed: ChangeFeed,
    private readonly vouchers: VouchersService,
    private readonly quotas: QuotasService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Domain checks beyond class-validator: whole hours, horizon, deadline, known clusters (from memory). */
  async validate(r: ComputeRequestInput): Promise<ValidRequest> {
    // a cluster registered on another process a moment ago may not have reached this one yet
    // ids are UUIDs, written in either case; a repeat counts once
    const ids = r.clusterIds ? distinctIds(r.clusterIds) : undefined;
    const unknown = (ids ?? []).map((x) => x.id).filter((id) => isUuid(id) && !this.timelines.cluster(id));
    if (unknown.length > 0) await this.timelines.refresh(unknown);
    const earliest = requireHour('request.earliestStart', r.earliestStart);
    const deadline = requireHour('request.deadline', r.deadline);
    const { start, end } = this.ledger.horizon();
    if (earliest < start)
      throw new BookingException(
        BookingErrorCode.INVALID_REQUEST,
        `request.earliestStart must not be before the current hour ${iso(start)}`,
        'request.earliestStart',
      );
    if (deadline > end) {
      throw new BookingException(
        BookingErrorCode.INVALID_REQUEST,
        `request.deadline must be within the bookable horizon (${this.config.horizonDays} days, until ${iso(end)})`,
        'request.deadline',
      );
    }
    if (deadline < earliest + r.hours * HOUR_MS) {
      throw new BookingException(
        BookingErrorCode.INVALID_REQUEST,
        `request.deadline must be at least request.earliestStart + request.hours (${iso(earliest + r.hours * HOUR_MS)})`,
        'request.deadline',
      );
    }
    let clusters: ClusterMeta[];
    if (ids) {
      clusters = [];
      for (const { id, index } of ids) {
        const c = isUuid(id) ? this.timelines.cluster(id) : undefined;
        if (!c)
          throw new BookingException(
            BookingErrorCode.CLUSTER_NOT_FOUND,
            `request.clusterIds[${index}]: cluster ${id} not found`,
            `request.clusterIds[${index}]`,
          );
        clusters.push(c);
      }
    } else {
      clusters = [...this.timelines.clusters()];
      if (clusters.length === 0)
        throw new BookingException(BookingErrorCode.NO_CAPACITY, 'there are no clusters to book yet');
    }
    return {
      pflops: r.pflops,
      hours: r.hours,
      earliestH: earliest / HOUR_MS,
      deadlineH: deadline / HOUR_MS,
      clusters,
      minGreenShare: r.minGreenShare ?? undefined,
    };
  }

  /**
   * An operator quotes on its own clusters only (as it reads only its own): a cluster of another
   * operator named in the request is FORBIDDEN, and without `clusterIds` its own are the fleet.
   */
  private ownClusters(p: Principal, r: ComputeRequestInput, v: ValidRequest): ValidRequest {
    const other = v.clusters.find((c) => c.ownerOrgId !== p.orgId);
    if (r.clusterIds && other) {
      const field = `request.clusterIds[${clusterIndex(r.clusterIds, other.id)}]`;
      throw new ClusterException(
        ClusterErrorCode.NOT_CLUSTER_OWNER,
        `${field}: cluster ${other.id} belongs to another operator`,
        field,
      );
    }
    const clusters = v.clusters.filter((c) => c.ownerOrgId === p.orgId);
    if (clusters.length === 0)
      throw new BookingException(BookingErrorCode.NO_CAPACITY, 'you have no clusters to quote on yet');
    return { ...v, clusters };
  }

  /** For a startup: within its access rules, with the price after the voucher a booking would draw. No ledger read. */
  async quotes(p: Principal, r: ComputeRequestInput): Promise<QuoteModel[]> {
    const v = p.role === 'OPERATOR' ? this.ownClusters(p, r, await this.validate(r)) : await this.validate(r);
    const rules = p.role === 'STARTUP' ? await this.quotas.cachedRules(p.orgId) : null;
    const held =
      rules?.maxClusterShare != null
        ? await this.quotas.held(
            p.orgId,
            v.clusters.map((c) => c.id),
            v.earliestH * HOUR_MS,
            v.deadlineH * HOUR_MS,
          )
        : null;
    const starts =
      rules?.maxPflopsHoursPer7Days != null
        ? await this.quotas.starts(p.orgId, v.earliestH * HOUR_MS, v.deadlineH * HOUR_MS)
        : null;
    const main = this.timelines.fleet!;
    const base = this.timelines.base;
    const cap = held && rules?.maxClusterShare != null ? { share: rules.maxClusterShare, held } : null;
    const fleet = cap ? shareCappedWindow(main, base, v, cap) : main;
    const slot0 = cap ? v.earliestH : base;
    const all = this.metrics.decision('quote', () => fleet.quote(jobOf(v, slot0)));
    const out: QuoteModel[] = [];
    const shown: { o: Objective; pl: (typeof all)['EARLIEST'] }[] = [];
    for (const o of OBJECTIVES) {
      let d = all[o];
      let refusal: Error | null = null;
      if (!d.ok) refusal = this.refusals.explain(v, d, o, main, base, cap);
      else if (starts && rules?.maxPflopsHoursPer7Days != null) {
        // as bookCompute does: the best start that keeps the 7-day rule, else the least excess
        const kept = keepWeek(this.quotas, slot0, v, o, rules.maxPflopsHoursPer7Days, starts, d.placement, (job) =>
          fleet.place(job, o),
        );
        if (kept instanceof Error) refusal = kept;
        else d = { ok: true, placement: kept };
      }
      if (refusal) {
        const { reason, message } = this.refusals.reasonOf(refusal);
        out.push({
          objective: o as ObjectiveEnum,
          available: false,
          placement: null,
          gridPeriods: null,
          reason,
          message,
        });
      } else {
        shown.push({ o, pl: d });
        out.push({
          objective: o as ObjectiveEnum,
          available: true,
          placement: null,
          gridPeriods: null,
          reason: null,
          message: null,
        });
      }
    }
    const placements = shown.map((x) => (x.pl as Extract<typeof x.pl, { ok: true }>).placement);
    const covers =
      p.role === 'STARTUP'
        ? await this.vouchers.preview(
            p.orgId,
            placements.map((pl) => {
              return coverRequestOf(pl, (slot0 + pl.start) * HOUR_MS);
            }),
          )
        : [];
    shown.forEach((x, i) => {
      const q = out.find((y) => y.objective === (x.o as ObjectiveEnum))!;
      const pl = placements[i];
      const c = this.timelines.cluster(pl.cluster);
      q.placement = placementModel(pl, slot0, c?.name ?? '', covers[i] ?? null);
      q.gridPeriods = gridPeriodsOf(
        pl,
        slot0,
        tariffOf({ gridTariff: c?.gridTariff ?? null, gridPricePerMwh: c?.gridPricePerMwh ?? 0 }, c?.postedGridPrices),
      );
    });
    return out;
  }

  /**
   * Places and commits through the group committer: the booking is in the database (with its
   * ledger deltas, voucher draw and access-rule checks, all under the same locks) before this
   * resolves. The same idempotency key returns the same booking.
   */
  async book(
    p: Principal,
    r: ComputeRequestInput,
    objective: ObjectiveEnum,
    idempotencyKey: string,
  ): Promise<BookingModel> {
    const key = requireIdempotencyKey(idempotencyKey);
    const fingerprint = requestFingerprint(withDistinctIds(r), objective);
    let v: ValidRequest;
    try {
      v = await this.validate(r);
    } catch (e) {
      // a retry of a booking made before the hour turned (its earliestStart is now in the past):
      // the same key and request still answer that booking, another request with it is CONFLICT
      const done = e instanceof BookingException ? await this.bookedWith(p, key, fingerprint) : null;
      if (done) return done;
      throw e;
    }
    return this.committer.submit({ p, v, objective: objective, key, fingerprint });
  }

  /**
   * The booking this organization made with `key` for the same request (`fingerprint`), if any;
   * CONFLICT IDEMPOTENCY_KEY_REUSED when the key booked another request.
   */
  private async bookedWith(p: Principal, key: string, fingerprint: string): Promise<BookingModel | null> {
    const b = await this.ds.manager.findOneBy(BookingEntity, { orgId: p.orgId, idempotencyKey: key });
    if (!b) return null;
    if (b.requestFingerprint !== fingerprint) throw idempotencyKeyReused(b.id);
    return bookingModel(storedFromEntity(b), this.clusterName(b.clusterId));
  }

  /** Before its start only; releases exactly what the booking took, refunds its voucher; one transaction. */
  async cancel(p: Principal, id: string): Promise<BookingModel> {
    if (!isUuid(id)) throw this.notFound(id);
    // a deadlock with a group commit (booking, version and voucher rows) is resolved by retrying
    return retryTransient(() => this.cancelOnce(p, id));
  }

  private async cancelOnce(p: Principal, id: string): Promise<BookingModel> {
    const now = this.config.now();
    const b = await this.repo.transaction(async (s) => {
      const b = await this.repo.lockBooking(s, id);
      if (!b || !this.visible(p, b)) throw this.notFound(id);
      if (b.status === 'CANCELLED')
        throw new BookingException(BookingErrorCode.ALREADY_CANCELLED, `booking ${id} is already cancelled`, 'id');
      const startsAt = new Date(b.starts_at).getTime();
      if (now >= startsAt) {
        throw new BookingException(
          BookingErrorCode.ALREADY_STARTED,
          `booking ${id} started at ${new Date(startsAt).toISOString()}; only bookings that have not started can be cancelled`,
          'id',
        );
      }
      const h0 = startsAt / HOUR_MS;
      const hours = Array.from({ length: b.hours }, (_, i) => h0 + i);
      const green = b.green_w.map((g: number | string) => -Number(g));
      const encode = (x: Record<string, unknown> & { k: string }) => this.feed.encode(x);
      const refunded = b.voucher_id !== null && Number(b.voucher_amount) > 0;
      const ledger = ledgerPayloads(
        encode,
        b.cluster_id,
        VERSION_PLACEHOLDER,
        { t: 'd', h: hours, tf: hours.map(() => -b.tflops), g: green, gw: green.map((g) => -(Number(b.draw_w) + g)) },
        false,
      );
      const events = bookingPayloads(
        encode,
        [[b.id, b.org_id, b.cluster_id, h0, h0 + b.hours, 'X']],
        refunded ? [b.org_id] : [],
      );
      const payloads = [...ledger, ...events];
      const clusters = [...ledger.map(() => b.cluster_id), ...events.map(() => null)];
      const version = await this.repo.writeCancel(s, b, hours, now, this.feed.channel, payloads, clusters);
      return { ...b, version };
    });
    // the caller's next quote on this process sees the room come back (it reads its own writes);
    // the cancellation is committed whatever happens here: if the database cannot be read just
    // now, the timelines catch up through the change feed or their next reload
    await this.timelines.sync(b.cluster_id, b.version).catch(() => undefined);
    if (b.voucher_id !== null) this.vouchers.changed([b.org_id]);
    // as the row now is: cancelling settled the SLA credit
    return bookingModel(
      { ...storedFromRow(b), status: 'CANCELLED', cancelledAt: new Date(now), slaCredit: 0 },
      this.clusterName(b.cluster_id),
    );
  }

  async get(p: Principal, id: string): Promise<BookingModel> {
    return this.shown(p, id, await this.stored(id));
  }

  /** Booking `id` as stored (null if there is none): a read that several callers may share. */
  stored(id: string): Promise<BookingEntity | null> {
    return isUuid(id) ? this.ds.manager.findOneBy(BookingEntity, { id }) : Promise.resolve(null);
  }

  /** `b`, read by `stored(id)`, as `p` may see it: BOOKING_NOT_FOUND when it is not there for `p`. */
  shown(p: Principal, id: string, b: BookingEntity | null): BookingModel {
    if (!b || !this.visible(p, { org_id: b.orgId, cluster_id: b.clusterId })) throw this.notFound(id);
    return bookingModel(storedFromEntity(b), this.clusterName(b.clusterId));
  }

  async list(
    p: Principal,
    filter: BookingFilterInput | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<BookingConnection> {
    const n = pageSize(first);
    const cur = decodeTimeCursor(after);
    const qb = this.ds
      .getRepository(BookingEntity)
      .createQueryBuilder('b')
      .innerJoinAndMapOne('b.cluster', ClusterEntity, 'c', 'c.id = b.cluster_id');
    if (p.role === 'STARTUP') qb.andWhere('b.org_id = :org', { org: p.orgId });
    if (p.role === 'OPERATOR') qb.andWhere('c.owner_org_id = :org', { org: p.orgId });
    if (filter?.status) qb.andWhere('b.status = :status', { status: filter.status });
    if (filter?.clusterId !== undefined && filter.clusterId !== null) {
      if (!isUuid(filter.clusterId)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
      qb.andWhere('b.cluster_id = :cid', { cid: filter.clusterId });
    }
    if (filter?.region != null) qb.andWhere('c.region = :region', { region: filter.region });
    if (filter?.from)
      qb.andWhere('b.ends_at > :from', { from: new Date(requireHourOrAny('filter.from', filter.from)) });
    if (filter?.to) qb.andWhere('b.starts_at < :to', { to: new Date(requireHourOrAny('filter.to', filter.to)) });
    if (cur) qb.andWhere('(b.starts_at, b.id) > (:t, :id)', { t: cur.time, id: cur.id });
    // limit, not take: with a join, take makes TypeORM read the page's ids and then their rows in a
    // second statement, which sees another snapshot (a booking cancelled between the two fell out of
    // a status filter, and the page ended early saying there was nothing more); one cluster per
    // booking, so a plain LIMIT pages exactly
    const rows = await qb
      .orderBy('b.starts_at', 'ASC')
      .addOrderBy('b.id', 'ASC')
      .limit(n + 1)
      .getMany();
    return connectionOf(
      rows,
      n,
      (b) => encodeCursor(b.startsAt.toISOString(), b.id),
      (b) => bookingModel(storedFromEntity(b), b.cluster!.name),
    );
  }

  /** Startups: their own; operators: bookings on their clusters; bureau: all. */
  private visible(p: Principal, b: Pick<BookingRow, 'org_id' | 'cluster_id'>): boolean {
    if (p.role === 'BUREAU') return true;
    if (p.role === 'STARTUP') return b.org_id === p.orgId;
    return this.timelines.cluster(b.cluster_id)?.ownerOrgId === p.orgId;
  }

  private clusterName(id: string): string {
    return this.timelines.cluster(id)?.name ?? '';
  }

  /** The same answer whether the booking does not exist or belongs to someone else. */
  private notFound(id: string): BookingException {
    return new BookingException(BookingErrorCode.BOOKING_NOT_FOUND, `booking ${id} not found`, 'id');
  }
}

export function storedFromEntity(b: BookingEntity): StoredBooking {
  return {
    id: b.id,
    orgId: b.orgId,
    clusterId: b.clusterId,
    status: b.status,
    startsAt: b.startsAt,
    endsAt: b.endsAt,
    hours: b.hours,
    tflops: b.tflops,
    drawW: Number(b.drawW),
    objective: b.objective,
    minGreenShare: b.minGreenShare,
    greenShare: b.greenShare,
    greenMwh: b.greenMwh,
    gridMwh: b.gridMwh,
    priceCompute: b.priceCompute,
    priceGreenEnergy: b.priceGreenEnergy,
    priceGridEnergy: b.priceGridEnergy,
    priceTotal: b.priceTotal,
    voucherId: b.voucherId,
    voucherAmount: Number(b.voucherAmount),
    idempotencyKey: b.idempotencyKey,
    createdAt: b.createdAt,
    cancelledAt: b.cancelledAt,
    greenMwhPromised: b.greenWPromised.reduce((a, g) => a + Number(g), 0) / 1e6,
    slaCredit: Number(b.slaCredit),
  };
}

/** Filter bounds may be any valid instant (not only whole hours). */
function requireHourOrAny(field: string, d: Date): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) requireHour(field, d);
  return d.getTime();
}
