import { Inject, Injectable } from '@nestjs/common';
import { BookingEntity, ClusterEntity, pgErrorCode } from '@pflex/persistence';
import { Decision, JobRequest, Objective, OBJECTIVES, Placement } from '@pflex/scheduler';
import type { Logger } from 'pino';
import { DataSource, EntityManager, In } from 'typeorm';
import { isUuid } from '../common/ids';
import { decodeCursor, encodeCursor, pageSize } from '../common/pagination';
import { HOUR_MS, iso, requireHour } from '../common/time.utils';
import { APP_CONFIG, PINO } from '../config';
import type { AppConfig } from '../config';
import { LedgerService } from '../database/ledger.service';
import type { Principal } from '../organizations/principal';
import { BookingErrorCode, BookingException } from './bookings.exception';
import { BookingFilterInput, ComputeRequestInput } from './dtos/booking.input';
import { BookingConnection, BookingModel, BookingStatusEnum, ObjectiveEnum, PlacementModel, QuoteModel, RefusalReasonEnum } from './dtos/booking.model';
import { loadFleet } from './utils/fleet-loader';

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

  async quotes(r: ComputeRequestInput): Promise<QuoteModel[]> {
    const v = await this.validate(this.ds.manager, r);
    const fleet = await loadFleet(this.ds.manager, v.clusters, v.earliest, v.deadline, false);
    const all = fleet.quote(this.job(v));
    return OBJECTIVES.map((o) => {
      const d = all[o];
      if (d.ok) return { objective: o as ObjectiveEnum, available: true, placement: this.placementModel(v, d.placement), reason: null, message: null };
      const { reason, message } = this.refusal(v, d);
      return { objective: o as ObjectiveEnum, available: false, placement: null, reason, message };
    });
  }

  /**
   * Places and commits in one transaction: idempotency (advisory lock on org + key, then the
   * UNIQUE constraint), ledger read, placement, ledger update (CHECK-guarded) and booking row.
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
    const fleet = await loadFleet(m, v.clusters, v.earliest, v.deadline, lock);
    const d = fleet.place(this.job(v), objective as Objective);
    if (!d.ok) {
      const { reason, message } = this.refusal(v, d);
      throw new BookingException(reason === RefusalReasonEnum.GREEN_SHORTFALL ? BookingErrorCode.GREEN_SHORTFALL : BookingErrorCode.NO_CAPACITY, message);
    }
    const pl = d.placement;
    const cluster = v.clusters.find((c) => c.id === pl.cluster)!;
    const startsAt = v.earliest + pl.start * HOUR_MS;
    const hours = Array.from({ length: pl.hours }, (_, i) => iso(startsAt + i * HOUR_MS));
    const green = Array.from(pl.greenW, (g) => String(g));
    const [, updated] = await m.query(
      `UPDATE cluster_hours h SET booked_tflops = h.booked_tflops + $2, green_alloc_w = h.green_alloc_w + g.w
       FROM unnest($3::timestamptz[], $4::bigint[]) AS g(hour, w)
       WHERE h.cluster_id = $1 AND h.hour = g.hour`,
      [cluster.id, pl.tflops, hours, green],
    );
    if (updated !== pl.hours) throw new Error(`ledger rows missing for cluster ${cluster.id}: updated ${updated} of ${pl.hours}`);
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
        status: 'CONFIRMED',
        idempotencyKey: key,
        requestFingerprint: fingerprint,
        cancelledAt: null,
      }),
    );
    this.log.info({ booking: b.id, org: p.orgId, cluster: cluster.id, startsAt: iso(startsAt), hours: pl.hours, tflops: pl.tflops }, 'booking confirmed');
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
      b.status = 'CANCELLED';
      b.cancelledAt = new Date(now);
      await m.save(b);
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

  private placementModel(v: ValidRequest, pl: Placement): PlacementModel {
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
      price: { ...pl.price },
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
      price: { compute: b.priceCompute, greenEnergy: b.priceGreenEnergy, gridEnergy: b.priceGridEnergy, total: b.priceTotal },
      idempotencyKey: b.idempotencyKey,
      createdAt: b.createdAt,
      cancelledAt: b.cancelledAt,
    };
  }
}

/** Filter bounds may be any valid instant (not only whole hours). */
function requireHourOrAny(field: string, d: Date): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) requireHour(field, d);
  return d.getTime();
}
