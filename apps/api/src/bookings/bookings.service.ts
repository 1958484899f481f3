import { Inject, Injectable } from '@nestjs/common';
import { BookingEntity, ClusterEntity, pgErrorCode } from '@pflex/persistence';
import type { AccessRuleEntity } from '@pflex/persistence';
import { Decision, Fleet, JobRequest, Objective, OBJECTIVES, Placement } from '@pflex/scheduler';
import type { Logger } from 'pino';
import { DataSource, EntityManager, In } from 'typeorm';
import { isUuid } from '../common/ids';
import { decodeCursor, encodeCursor, pageSize } from '../common/pagination';
import { HOUR_MS, iso, requireHour } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { LedgerService } from '../database/ledger.service';
import { EventsService } from '../events/events.service';
import { MetricsService } from '../metrics/metrics.service';
import type { Principal } from '../organizations/principal';
import { QuotaException } from '../quotas/quotas.exception';
import { QuotasService } from '../quotas/quotas.service';
import { VoucherCover, VouchersService } from '../vouchers/vouchers.service';
import { BookingErrorCode, BookingException } from './bookings.exception';
import { BookingFilterInput, ComputeRequestInput } from './dtos/booking.input';
import { BookingConnection, BookingModel, BookingStatusEnum, ObjectiveEnum, PlacementModel, PriceModel, QuoteModel, RefusalReasonEnum } from './dtos/booking.model';
import { loadFleet, ShareCap } from './utils/fleet-loader';

/** Retries after losing a race on the ledger; from the third attempt the rows are locked first. */
const MAX_ATTEMPTS = 8;
const LOCK_FROM_ATTEMPT = 2;
/** Conflicts worth a fresh attempt: CHECK (capacity taken meanwhile), deadlock, serialization, unique. */
const RETRYABLE = new Set(['23514', '40P01', '40001', '23505']);

interface ValidRequest {
  pflops: number;
  hours: number;
  earliest: number;
  deadline: number;
  clusters: ClusterEntity[];
  minGreenShare?: number;
}

@Injectable()
export class BookingsService {
  constructor(
    private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    private readonly vouchers: VouchersService,
    private readonly quotas: QuotasService,
    private readonly events: EventsService,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  /** Domain checks beyond class-validator: whole hours, horizon, deadline, known clusters. */
  private async validate(m: EntityManager, r: ComputeRequestInput): Promise<ValidRequest> {
    const earliest = requireHour('request.earliestStart', r.earliestStart);
    const deadline = requireHour('request.deadline', r.deadline);
    const { start, end } = this.ledger.horizon();
    if (earliest < start) throw new BookingException(BookingErrorCode.INVALID_REQUEST, `request.earliestStart must not be before the current hour ${iso(start)}`, 'request.earliestStart');
    if (deadline > end) {
      throw new BookingException(BookingErrorCode.INVALID_REQUEST, `request.deadline must be within the bookable horizon (${this.config.horizonDays} days, until ${iso(end)})`, 'request.deadline');
    }
    if (deadline < earliest + r.hours * HOUR_MS) {
      throw new BookingException(BookingErrorCode.INVALID_REQUEST, `request.deadline must be at least request.earliestStart + request.hours (${iso(earliest + r.hours * HOUR_MS)})`, 'request.deadline');
    }
    let clusters: ClusterEntity[];
    if (r.clusterIds) {
      const bad = r.clusterIds.find((id) => !isUuid(id));
      const found = bad ? [] : await m.findBy(ClusterEntity, { id: In(r.clusterIds) });
      const missing = bad ?? r.clusterIds.find((id) => !found.some((c) => c.id === id));
      if (missing) throw new BookingException(BookingErrorCode.CLUSTER_NOT_FOUND, `request.clusterIds: cluster ${missing} not found`, 'request.clusterIds');
      clusters = r.clusterIds.map((id) => found.find((c) => c.id === id)!);
    } else {
      clusters = await m.find(ClusterEntity, { order: { createdAt: 'ASC', id: 'ASC' } });
      if (clusters.length === 0) throw new BookingException(BookingErrorCode.NO_CAPACITY, 'there are no clusters to book yet');
    }
    return { pflops: r.pflops, hours: r.hours, earliest, deadline, clusters, minGreenShare: r.minGreenShare ?? undefined };
  }

  private job(v: ValidRequest): JobRequest {
    return {
      pflops: v.pflops,
      hours: v.hours,
      earliest: 0,
      deadline: (v.deadline - v.earliest) / HOUR_MS,
      clusters: v.clusters.map((c) => c.id),
      ...(v.minGreenShare !== undefined ? { minGreenShare: v.minGreenShare } : {}),
    };
  }

  private refusal(v: ValidRequest, d: Extract<Decision, { ok: false }>): { reason: RefusalReasonEnum; message: string } {
    const win = `between ${iso(v.earliest)} and ${iso(v.deadline)} on ${v.clusters.length === 1 ? 'cluster ' + v.clusters[0].name : `${v.clusters.length} clusters`}`;
    if (d.reason === 'GREEN_SHORTFALL') {
      return { reason: RefusalReasonEnum.GREEN_SHORTFALL, message: `capacity exists ${win}, but not enough free green power to reach minGreenShare ${v.minGreenShare}` };
    }
    return { reason: RefusalReasonEnum.NO_CAPACITY, message: `no ${v.hours} h run with ${v.pflops} PFLOPS free ${win}` };
  }

  /** For a startup: within its access rules, with the price after the voucher a booking would draw. */
  async quotes(p: Principal, r: ComputeRequestInput): Promise<QuoteModel[]> {
    const m = this.ds.manager;
    const v = await this.validate(m, r);
    const rules = p.role === 'STARTUP' ? await this.quotas.rulesOf(m, p.orgId, false) : null;
    const cap = await this.shareCap(m, p, rules, v);
    const all = await loadFleet(m, v.clusters, v.earliest, v.deadline, false, cap).then((f) => this.metrics.decision('quote', () => f.quote(this.job(v))));
    const ok = OBJECTIVES.flatMap((o) => (all[o].ok ? [all[o].placement] : []));
    const covers = p.role === 'STARTUP' ? await this.vouchers.preview(m, p.orgId, ok.map((pl) => this.coverRequest(v, pl))) : [];
    let free: Fleet | undefined;
    const out: QuoteModel[] = [];
    for (const o of OBJECTIVES) {
      const d = all[o];
      let quota: QuotaException | null = null;
      if (!d.ok && cap) {
        free ??= await loadFleet(m, v.clusters, v.earliest, v.deadline, false);
        quota = this.shareRefusal(v, cap, free, o);
      } else if (d.ok && rules?.maxPflopsHoursPer7Days != null) {
        quota = await this.quotas.checkWeekly(m, p.orgId, rules.maxPflopsHoursPer7Days, v.earliest + d.placement.start * HOUR_MS, d.placement.tflops, d.placement.hours);
      }
      if (quota) {
        out.push({ objective: o as ObjectiveEnum, available: false, placement: null, reason: RefusalReasonEnum.QUOTA_EXCEEDED, message: quota.message });
      } else if (d.ok) {
        const cover = covers[ok.indexOf(d.placement)] ?? null;
        out.push({ objective: o as ObjectiveEnum, available: true, placement: this.placementModel(v, d.placement, cover), reason: null, message: null });
      } else {
        const { reason, message } = this.refusal(v, d);
        out.push({ objective: o as ObjectiveEnum, available: false, placement: null, reason, message });
      }
    }
    return out;
  }

  /** The startup's room under its cluster-share rule, or undefined without one. */
  private async shareCap(m: EntityManager, p: Principal, rules: AccessRuleEntity | null, v: ValidRequest): Promise<ShareCap | undefined> {
    if (!rules || rules.maxClusterShare === null) return undefined;
    return { share: rules.maxClusterShare, held: await this.quotas.held(m, p.orgId, v.clusters.map((c) => c.id), v.earliest, v.deadline) };
  }

  /** QUOTA_EXCEEDED when only the cluster share blocked the request: the fleet without the cap places it. */
  private shareRefusal(v: ValidRequest, cap: ShareCap, free: Fleet, objective: Objective): QuotaException | null {
    const d = free.place(this.job(v), objective);
    if (!d.ok) return null;
    const candidates = v.clusters.map((c) => ({ name: c.name, held: cap.held.get(c.id)!, capacityAt: (s: number) => free.capacityTflops(c.id, s) }));
    return this.quotas.shareExceeded(cap.share, candidates, free.slots, d.placement.hours, d.placement.tflops, v.earliest);
  }

  private coverRequest(v: ValidRequest, pl: Placement) {
    const startsAt = v.earliest + pl.start * HOUR_MS;
    return { clusterId: pl.cluster, startsAt, endsAt: startsAt + pl.hours * HOUR_MS, greenShare: pl.greenShare, priceTotal: pl.price.total };
  }

  /**
   * Places and commits in one transaction: idempotency (advisory lock on org + key, then the
   * UNIQUE constraint), the startup's access rules (row locked), ledger read, placement, quota
   * checks, ledger update (CHECK-guarded), voucher draw (CHECK spent <= cap) and booking row.
   * Acknowledged only after COMMIT; a lost race is retried from a fresh read.
   */
  async book(p: Principal, r: ComputeRequestInput, objective: ObjectiveEnum, idempotencyKey: string): Promise<BookingModel> {
    const key = idempotencyKey.trim();
    if (key.length < 1 || key.length > 200) throw new BookingException(BookingErrorCode.INVALID_REQUEST, 'idempotencyKey must have 1 to 200 characters', 'idempotencyKey');
    const fingerprint = JSON.stringify([r.pflops, r.hours, r.earliestStart?.toISOString?.(), r.deadline?.toISOString?.(), r.clusterIds ?? null, r.minGreenShare ?? null, objective]);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.ds.transaction((m) => this.bookOnce(m, p, r, objective, key, fingerprint, attempt >= LOCK_FROM_ATTEMPT));
      } catch (e) {
        const code = pgErrorCode(e);
        if (!code || !RETRYABLE.has(code)) throw e;
        if (attempt + 1 >= MAX_ATTEMPTS) {
          this.log.warn({ code, attempt }, 'booking gave up after repeated conflicts');
          throw new BookingException(BookingErrorCode.NO_CAPACITY, 'the capacity was taken by concurrent bookings; try again');
        }
        await new Promise((res) => setTimeout(res, Math.random() * 10 * (attempt + 1)));
      }
    }
  }

  private async bookOnce(m: EntityManager, p: Principal, r: ComputeRequestInput, objective: ObjectiveEnum, key: string, fingerprint: string, lock: boolean): Promise<BookingModel> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`pflex:booking:${p.orgId}:${key}`]);
    const existing = await m.findOneBy(BookingEntity, { orgId: p.orgId, idempotencyKey: key });
    if (existing) {
      if (existing.requestFingerprint !== fingerprint) {
        throw new BookingException(BookingErrorCode.IDEMPOTENCY_KEY_REUSED, `idempotencyKey was already used for a different request (booking ${existing.id})`, 'idempotencyKey');
      }
      return this.bookingModel(existing, await m.findOneByOrFail(ClusterEntity, { id: existing.clusterId }));
    }
    const v = await this.validate(m, r);
    const rules = await this.quotas.rulesOf(m, p.orgId, true);
    const cap = await this.shareCap(m, p, rules, v);
    const fleet = await loadFleet(m, v.clusters, v.earliest, v.deadline, lock, cap);
    const d = this.metrics.decision('place', () => fleet.place(this.job(v), objective as Objective));
    if (!d.ok) {
      const quota = cap ? this.shareRefusal(v, cap, await loadFleet(m, v.clusters, v.earliest, v.deadline, false), objective as Objective) : null;
      if (quota) throw quota;
      const { reason, message } = this.refusal(v, d);
      throw new BookingException(reason === RefusalReasonEnum.GREEN_SHORTFALL ? BookingErrorCode.GREEN_SHORTFALL : BookingErrorCode.NO_CAPACITY, message);
    }
    const pl = d.placement;
    const cluster = v.clusters.find((c) => c.id === pl.cluster)!;
    const startsAt = v.earliest + pl.start * HOUR_MS;
    if (rules?.maxPflopsHoursPer7Days != null) {
      const quota = await this.quotas.checkWeekly(m, p.orgId, rules.maxPflopsHoursPer7Days, startsAt, pl.tflops, pl.hours);
      if (quota) throw quota;
    }
    const hours = Array.from({ length: pl.hours }, (_, i) => iso(startsAt + i * HOUR_MS));
    const green = Array.from(pl.greenW, (g) => String(g));
    const [, updated] = await m.query(
      `UPDATE cluster_hours h SET booked_tflops = h.booked_tflops + $2, green_alloc_w = h.green_alloc_w + g.w
       FROM unnest($3::timestamptz[], $4::bigint[]) AS g(hour, w)
       WHERE h.cluster_id = $1 AND h.hour = g.hour`,
      [cluster.id, pl.tflops, hours, green],
    );
    if (updated !== pl.hours) throw new Error(`ledger rows missing for cluster ${cluster.id}: updated ${updated} of ${pl.hours}`);
    const cover = await this.vouchers.draw(m, p.orgId, this.coverRequest(v, pl));
    const b = await m.save(
      m.create(BookingEntity, {
        orgId: p.orgId,
        clusterId: cluster.id,
        startsAt: new Date(startsAt),
        endsAt: new Date(startsAt + pl.hours * HOUR_MS),
        hours: pl.hours,
        tflops: pl.tflops,
        drawW: String(pl.drawW),
        greenW: green,
        objective,
        minGreenShare: r.minGreenShare ?? null,
        greenMwh: pl.greenMwh,
        gridMwh: pl.gridMwh,
        greenShare: pl.greenShare,
        priceCompute: pl.price.compute,
        priceGreenEnergy: pl.price.greenEnergy,
        priceGridEnergy: pl.price.gridEnergy,
        priceTotal: pl.price.total,
        voucherId: cover?.voucherId ?? null,
        voucherAmount: (cover?.amount ?? 0).toFixed(2),
        status: 'CONFIRMED',
        idempotencyKey: key,
        requestFingerprint: fingerprint,
        cancelledAt: null,
      }),
    );
    if (cover) await this.vouchers.recordDraw(m, b.id, cover);
    await this.events.bookingChanged(m, b);
    this.log.info({ booking: b.id, org: p.orgId, cluster: cluster.id, startsAt: iso(startsAt), hours: pl.hours, tflops: pl.tflops, voucher: cover?.voucherId }, 'booking confirmed');
    return this.bookingModel(b, cluster);
  }

  /** Before its start only; subtracts exactly what the booking took from the ledger. */
  async cancel(p: Principal, id: string): Promise<BookingModel> {
    return this.ds.transaction(async (m) => {
      const b = isUuid(id) ? await m.findOne(BookingEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
      if (!b || !(await this.visible(m, p, b))) throw this.notFound(id);
      if (b.status === 'CANCELLED') throw new BookingException(BookingErrorCode.ALREADY_CANCELLED, `booking ${id} is already cancelled`, 'id');
      const now = this.config.now();
      if (now >= b.startsAt.getTime()) {
        throw new BookingException(BookingErrorCode.ALREADY_STARTED, `booking ${id} started at ${b.startsAt.toISOString()}; only bookings that have not started can be cancelled`, 'id');
      }
      const hours = Array.from({ length: b.hours }, (_, i) => iso(b.startsAt.getTime() + i * HOUR_MS));
      const [, updated] = await m.query(
        `UPDATE cluster_hours h SET booked_tflops = h.booked_tflops - $2, green_alloc_w = h.green_alloc_w - g.w
         FROM unnest($3::timestamptz[], $4::bigint[]) AS g(hour, w)
         WHERE h.cluster_id = $1 AND h.hour = g.hour`,
        [b.clusterId, b.tflops, hours, b.greenW],
      );
      if (updated !== b.hours) throw new Error(`ledger rows missing for booking ${b.id}`);
      await this.vouchers.refund(m, b);
      b.status = 'CANCELLED';
      b.cancelledAt = new Date(now);
      await m.save(b);
      await this.events.bookingChanged(m, b);
      return this.bookingModel(b, await m.findOneByOrFail(ClusterEntity, { id: b.clusterId }));
    });
  }

  async get(p: Principal, id: string): Promise<BookingModel> {
    const b = isUuid(id) ? await this.ds.manager.findOneBy(BookingEntity, { id }) : null;
    if (!b || !(await this.visible(this.ds.manager, p, b))) throw this.notFound(id);
    return this.bookingModel(b, await this.ds.manager.findOneByOrFail(ClusterEntity, { id: b.clusterId }));
  }

  async list(p: Principal, filter: BookingFilterInput | undefined, first?: number | null, after?: string | null): Promise<BookingConnection> {
    const n = pageSize(first);
    const cur = decodeCursor(after);
    const qb = this.ds.getRepository(BookingEntity).createQueryBuilder('b').innerJoinAndMapOne('b.cluster', ClusterEntity, 'c', 'c.id = b.cluster_id');
    if (p.role === 'STARTUP') qb.andWhere('b.org_id = :org', { org: p.orgId });
    if (p.role === 'OPERATOR') qb.andWhere('c.owner_org_id = :org', { org: p.orgId });
    if (filter?.status) qb.andWhere('b.status = :status', { status: filter.status });
    if (filter?.clusterId !== undefined && filter.clusterId !== null) {
      if (!isUuid(filter.clusterId)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
      qb.andWhere('b.cluster_id = :cid', { cid: filter.clusterId });
    }
    if (filter?.from) qb.andWhere('b.ends_at > :from', { from: new Date(requireHourOrAny('filter.from', filter.from)) });
    if (filter?.to) qb.andWhere('b.starts_at < :to', { to: new Date(requireHourOrAny('filter.to', filter.to)) });
    if (cur) {
      const t = new Date(cur[0]);
      if (Number.isNaN(t.getTime()) || !isUuid(cur[1])) decodeCursor('!');
      qb.andWhere('(b.starts_at, b.id) > (:t, :id)', { t, id: cur[1] });
    }
    const rows = await qb.orderBy('b.starts_at', 'ASC').addOrderBy('b.id', 'ASC').take(n + 1).getMany();
    const page = rows.slice(0, n);
    const edges = page.map((b) => ({ cursor: encodeCursor(b.startsAt.toISOString(), b.id), node: this.bookingModel(b, b.cluster!) }));
    return { edges, pageInfo: { hasNextPage: rows.length > n, endCursor: edges.length ? edges[edges.length - 1].cursor : null } };
  }

  /** Startups: their own; operators: bookings on their clusters; bureau: all. */
  private async visible(m: EntityManager, p: Principal, b: BookingEntity): Promise<boolean> {
    if (p.role === 'BUREAU') return true;
    if (p.role === 'STARTUP') return b.orgId === p.orgId;
    const c = await m.findOneBy(ClusterEntity, { id: b.clusterId });
    return c?.ownerOrgId === p.orgId;
  }

  /** The same answer whether the booking does not exist or belongs to someone else. */
  private notFound(id: string): BookingException {
    return new BookingException(BookingErrorCode.BOOKING_NOT_FOUND, `booking ${id} not found`, 'id');
  }

  private placementModel(v: ValidRequest, pl: Placement, cover: VoucherCover | null): PlacementModel {
    const c = v.clusters.find((x) => x.id === pl.cluster)!;
    const startsAt = v.earliest + pl.start * HOUR_MS;
    return {
      clusterId: c.id,
      clusterName: c.name,
      startsAt: new Date(startsAt),
      endsAt: new Date(startsAt + pl.hours * HOUR_MS),
      hours: pl.hours,
      pflops: pl.tflops / 1000,
      greenShare: pl.greenShare,
      greenMwh: pl.greenMwh,
      gridMwh: pl.gridMwh,
      energyMwh: pl.energyMwh,
      powerMw: pl.drawW / 1e6,
      price: withVoucher(pl.price.compute, pl.price.greenEnergy, pl.price.gridEnergy, pl.price.total, cover?.amount ?? 0),
      voucherId: cover?.voucherId ?? null,
    };
  }

  private bookingModel(b: BookingEntity, c: ClusterEntity): BookingModel {
    const drawW = Number(b.drawW);
    return {
      id: b.id,
      organizationId: b.orgId,
      clusterId: b.clusterId,
      clusterName: c.name,
      status: b.status as BookingStatusEnum,
      startsAt: b.startsAt,
      endsAt: b.endsAt,
      hours: b.hours,
      pflops: b.tflops / 1000,
      objective: b.objective as ObjectiveEnum,
      minGreenShare: b.minGreenShare,
      greenShare: b.greenShare,
      greenMwh: b.greenMwh,
      gridMwh: b.gridMwh,
      energyMwh: (drawW * b.hours) / 1e6,
      powerMw: drawW / 1e6,
      price: withVoucher(b.priceCompute, b.priceGreenEnergy, b.priceGridEnergy, b.priceTotal, Number(b.voucherAmount)),
      voucherId: b.voucherId,
      idempotencyKey: b.idempotencyKey,
      createdAt: b.createdAt,
      cancelledAt: b.cancelledAt,
    };
  }
}

/** Price before and after the voucher; the difference is kept to whole cents. */
function withVoucher(compute: number, greenEnergy: number, gridEnergy: number, total: number, voucher: number): PriceModel {
  return {
    compute: money(compute),
    greenEnergy: money(greenEnergy),
    gridEnergy: money(gridEnergy),
    total: money(total),
    voucher,
    totalAfterVoucher: money(total - voucher),
  };
}

/** Money as clients read it: float noise of the sums removed (656.0999999999999 -> 656.1), sub-cent detail kept. */
function money(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Filter bounds may be any valid instant (not only whole hours). */
function requireHourOrAny(field: string, d: Date): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) requireHour(field, d);
  return d.getTime();
}
