import { Inject, Injectable } from '@nestjs/common';
import { PG_ERROR, pgErrorCode, RoundEntity, RoundRequestEntity, RoundScheduleEntity } from '@pflex/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { BookingErrorCode, BookingException } from '../bookings/bookings.exception';
import { charCount, requestFingerprint } from '@pflex/scheduler';
import { BookingsService } from '../bookings/bookings.service';
import { requireIdempotencyKey } from '../bookings/idempotency-key';
import { ComputeRequestInput } from '../bookings/dtos/booking.input';
import { ObjectiveEnum } from '../bookings/dtos/booking.model';
import { clusterIndex, isUuid, withDistinctIds } from '../common/ids';
import { connectionOf, decodeCursor, encodeCursor, pageSize } from '../common/pagination';
import { iso } from '../common/time.utils';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import type { Principal } from '../security/principal';
import {
  RoundModel,
  RoundOutcomeModel,
  RoundRequestConnection,
  RoundRequestModel,
  RoundRequestStatusEnum,
  RoundScheduleModel,
  RoundStatusEnum,
} from './dtos/round.model';
import { RoundClearer } from './round-clearer';
import { RoundErrorCode, RoundException } from './rounds.exception';

/** Longest cadence and the furthest a one-off round may close: a week. */
const MAX_ROUND_MINUTES = 7 * 24 * 60;

/**
 * Rounds as the API shows them: the bureau schedules, opens and closes them; startups submit
 * and withdraw requests while a round is open; closing and clearing are RoundClearer's.
 * Submitting and withdrawing take a share lock on the round row, so closing a round waits for
 * the ones in flight, and a request is either in the clearing or refused.
 */
@Injectable()
export class RoundsService {
  constructor(
    private readonly ds: DataSource,
    private readonly bookings: BookingsService,
    private readonly clearer: RoundClearer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async submit(
    p: Principal,
    r: ComputeRequestInput,
    objective: ObjectiveEnum,
    idempotencyKey: string,
    region: string | null | undefined,
  ): Promise<RoundRequestModel> {
    const key = requireIdempotencyKey(idempotencyKey);
    const fingerprint = requestFingerprint(withDistinctIds(r), objective);
    const replay = await this.ds.manager.findOneBy(RoundRequestEntity, { orgId: p.orgId, idempotencyKey: key });
    if (replay) return this.replayed(replay, fingerprint, region);
    const v = await this.bookings.validate(r);
    const wanted = this.regionOf(
      region,
      r.clusterIds ? v.clusters.map((c) => ({ id: c.id, region: c.region })) : null,
      r.clusterIds ?? [],
    );
    try {
      const row = await this.joinRound(wanted, (m, round) => {
        const rr = m.create(RoundRequestEntity, {
          roundId: round.id,
          orgId: p.orgId,
          pflops: r.pflops,
          hours: r.hours,
          earliestStart: r.earliestStart,
          deadline: r.deadline,
          clusterIds: r.clusterIds ? v.clusters.map((c) => c.id) : null,
          minGreenShare: r.minGreenShare ?? null,
          objective,
          idempotencyKey: key,
          requestFingerprint: fingerprint,
        });
        return m.save(rr);
      });
      return requestModel(row);
    } catch (e) {
      // the same key submitted concurrently: the first one stands
      if (pgErrorCode(e) !== PG_ERROR.UNIQUE_VIOLATION) throw e;
      const first = await this.ds.manager.findOneByOrFail(RoundRequestEntity, { orgId: p.orgId, idempotencyKey: key });
      return this.replayed(first, fingerprint, region);
    }
  }

  async withdraw(p: Principal, id: string): Promise<RoundRequestModel> {
    if (!isUuid(id)) throw requestNotFound(id);
    const now = this.config.now();
    const row = await this.ds.transaction(async (m) => {
      const rr = await m.findOneBy(RoundRequestEntity, { id, orgId: p.orgId });
      if (!rr) throw requestNotFound(id);
      // waits for a clearing of the round in progress; a closed round's requests are its clearing's
      const [round]: { status: string; closes: number }[] = await m.query(
        `SELECT status, (extract(epoch FROM closes_at) * 1000)::float8 AS closes FROM rounds WHERE id = $1 FOR SHARE`,
        [rr.roundId],
      );
      if (rr.status === 'PENDING' && statusAt(round.status, round.closes, now) === RoundStatusEnum.CLOSED)
        throw new RoundException(
          RoundErrorCode.ROUND_CLOSED,
          `round ${rr.roundId} closed at ${iso(round.closes)}: its clearing decides request ${id}`,
          'id',
        );
      const done = await m.update(
        RoundRequestEntity,
        { id, status: 'PENDING' },
        { status: 'WITHDRAWN', decidedAt: new Date(now) },
      );
      const fresh = await m.findOneByOrFail(RoundRequestEntity, { id });
      if (!done.affected)
        throw new RoundException(
          RoundErrorCode.ALREADY_DECIDED,
          `round request ${id} is ${fresh.status} already; only PENDING requests can be withdrawn`,
          'id',
        );
      return fresh;
    });
    return requestModel(row);
  }

  async request(p: Principal, id: string): Promise<RoundRequestModel> {
    const rr = isUuid(id) ? await this.ds.manager.findOneBy(RoundRequestEntity, { id }) : null;
    if (!rr || !visible(p, rr)) throw requestNotFound(id);
    return requestModel(rr);
  }

  /** Round requests of the caller (a startup) or of everyone (the bureau), newest first. */
  async requests(
    p: Principal,
    roundId: string | null | undefined,
    status: RoundRequestStatusEnum | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<RoundRequestConnection> {
    const n = pageSize(first);
    const cur = decodeCursor(after);
    const qb = this.ds.getRepository(RoundRequestEntity).createQueryBuilder('r');
    if (p.role === 'STARTUP') qb.andWhere('r.org_id = :org', { org: p.orgId });
    if (roundId != null) {
      // an unknown round is NOT_FOUND, as for round(id) and rounds(after)
      const known = isUuid(roundId) && (await this.ds.manager.existsBy(RoundEntity, { id: roundId }));
      if (!known) throw new RoundException(RoundErrorCode.ROUND_NOT_FOUND, `round ${roundId} not found`, 'roundId');
      qb.andWhere('r.round_id = :rid', { rid: roundId });
    }
    if (status) qb.andWhere('r.status = :st', { st: status });
    if (cur) {
      // a sequence number as written (a bigint): anything else, or a longer one, is not a cursor of ours
      if (!/^[1-9][0-9]{0,17}$/.test(cur[0])) decodeCursor('!');
      qb.andWhere('r.seq < :seq', { seq: cur[0] });
    }
    const rows = await qb
      .orderBy('r.seq', 'DESC')
      .take(n + 1)
      .getMany();
    // the sequence number travels as a string, like every cursor key
    return connectionOf(rows, n, (r) => encodeCursor(String(r.seq), r.id), requestModel);
  }

  async round(id: string): Promise<RoundModel> {
    const r = isUuid(id) ? await this.ds.manager.findOneBy(RoundEntity, { id }) : null;
    if (!r) throw new RoundException(RoundErrorCode.ROUND_NOT_FOUND, `round ${id} not found`, 'id');
    return (await this.models([r]))[0];
  }

  /**
   * Rounds, latest close first (then by id); `region` null: every region (use "" for the
   * fleet-wide rounds). `after`: the id of the last round of the previous page; the page goes on
   * from it in this order (keyset: rounds opened meanwhile do not shift it).
   */
  async rounds(
    region: string | null | undefined,
    status: RoundStatusEnum | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<RoundModel[]> {
    const qb = this.ds.getRepository(RoundEntity).createQueryBuilder('r');
    if (region != null) qb.andWhere('r.region = :region', { region: region.trim() });
    // a round past its close time is CLOSED, whether or not a process has marked it yet
    const now = new Date(this.config.now());
    if (status === RoundStatusEnum.OPEN) qb.andWhere(`r.status = 'OPEN' AND r.closes_at > :now`, { now });
    else if (status === RoundStatusEnum.CLOSED)
      qb.andWhere(`(r.status = 'CLOSED' OR (r.status = 'OPEN' AND r.closes_at <= :now))`, { now });
    else if (status) qb.andWhere('r.status = :status', { status });
    if (after != null) {
      const last = isUuid(after) ? await this.ds.manager.findOneBy(RoundEntity, { id: after }) : null;
      if (!last) throw new RoundException(RoundErrorCode.ROUND_NOT_FOUND, `round ${after} not found`, 'after');
      // compared in SQL: closes_at keeps microseconds that a Date would drop
      const close = '(SELECT x.closes_at FROM rounds x WHERE x.id = :lastId)';
      qb.andWhere(`(r.closes_at < ${close} OR (r.closes_at = ${close} AND r.id > :lastId))`, { lastId: last.id });
    }
    const rows = await qb.orderBy('r.closes_at', 'DESC').addOrderBy('r.id', 'ASC').take(pageSize(first)).getMany();
    return this.models(rows);
  }

  async schedule(
    region: string | null | undefined,
    everyMinutes: number | null | undefined,
  ): Promise<RoundScheduleModel> {
    const key = this.regionKey(region);
    if (everyMinutes == null || everyMinutes === 0) {
      await this.ds.manager.delete(RoundScheduleEntity, { region: key });
    } else {
      if (!Number.isInteger(everyMinutes) || everyMinutes < 1 || everyMinutes > MAX_ROUND_MINUTES) {
        throw new RoundException(
          RoundErrorCode.INVALID_ROUND,
          `everyMinutes must be an integer in [1, ${MAX_ROUND_MINUTES}] (null or 0 stops the schedule), got ${everyMinutes}`,
          'everyMinutes',
        );
      }
      await this.ds.manager.upsert(RoundScheduleEntity, { region: key, everyMinutes }, ['region']);
    }
    await this.clearer.roll();
    const open = await this.ds.manager.findOneBy(RoundEntity, { region: key, status: 'OPEN' });
    return {
      region: key || null,
      everyMinutes: everyMinutes || null,
      openRound: open ? (await this.models([open]))[0] : null,
    };
  }

  /** A one-off round of the region (the fleet when null), open now until `closesAt`. */
  async open(region: string | null | undefined, closesAt: Date): Promise<RoundModel> {
    const key = this.regionKey(region);
    const now = this.config.now();
    if (
      !(closesAt instanceof Date) ||
      Number.isNaN(closesAt.getTime()) ||
      closesAt.getTime() <= now ||
      closesAt.getTime() > now + MAX_ROUND_MINUTES * 60_000
    ) {
      throw new RoundException(
        RoundErrorCode.INVALID_ROUND,
        `closesAt must be after now (${new Date(now).toISOString()}) and within 7 days`,
        'closesAt',
      );
    }
    // a round of the region past its close time is closed first: it does not stand in the way
    await this.clearer.roll();
    try {
      const r = await this.ds.manager.save(
        this.ds.manager.create(RoundEntity, { region: key, opensAt: new Date(now), closesAt }),
      );
      return (await this.models([r]))[0];
    } catch (e) {
      if (pgErrorCode(e) !== PG_ERROR.UNIQUE_VIOLATION) throw e;
      // named, so that a client retrying an openRound whose answer it lost finds its round
      const open = await this.ds.manager.findOneBy(RoundEntity, { region: key, status: 'OPEN' });
      throw new RoundException(
        RoundErrorCode.ROUND_ALREADY_OPEN,
        `a round of ${key ? `region ${key}` : 'the whole fleet'} is open already${open ? ` (round ${open.id}, closing ${open.closesAt.toISOString()})` : ''}; it takes the requests until it closes`,
        'region',
        open ? { roundId: open.id, closesAt: open.closesAt.toISOString() } : undefined,
      );
    }
  }

  /** Closes the round now (the bureau closing it early) and clears it; waits for a clearing another process has started. */
  async close(id: string): Promise<RoundModel> {
    const before = await this.round(id);
    if (before.status === RoundStatusEnum.CLEARED)
      throw new RoundException(
        RoundErrorCode.ROUND_CLEARED,
        `round ${id} cleared at ${before.clearedAt?.toISOString()}`,
        'id',
      );
    // closed now unless it is already (its time came, or another closeRound); then cleared, or
    // its clearing in another process waited for
    await this.clearer.closeNow(id);
    for (let i = 0; i < 600; i++) {
      const r = await this.clearer.clear(id);
      if (r.cleared || r.why === 'cleared') return this.round(id);
      await new Promise((res) => setTimeout(res, 100));
    }
    return this.round(id);
  }

  /** The request a key was used for, when this submission is the same one (same request, and the same region when one is named). */
  private async replayed(
    row: RoundRequestEntity,
    fingerprint: string,
    region: string | null | undefined,
  ): Promise<RoundRequestModel> {
    if (row.requestFingerprint !== fingerprint) {
      throw new RoundException(
        RoundErrorCode.IDEMPOTENCY_KEY_REUSED,
        `idempotencyKey was already used for a different round request (${row.id})`,
        'idempotencyKey',
      );
    }
    if (region != null) {
      const key = this.regionKey(region);
      const round = await this.ds.manager.findOneByOrFail(RoundEntity, { id: row.roundId });
      if (round.region !== key)
        throw new RoundException(
          RoundErrorCode.IDEMPOTENCY_KEY_REUSED,
          `idempotencyKey was already used for this request in ${round.region ? `region ${round.region}'s round` : 'the fleet-wide round'} (${row.id}), not in ${key ? `region ${key}'s` : 'the fleet-wide one'}`,
          'idempotencyKey',
        );
    }
    return requestModel(row);
  }

  /**
   * The round a request goes to: the named region's; without a name, the region of its clusters
   * when they share one and it has an open round, else the whole fleet's. Its clusters must lie
   * in the round's region.
   */
  private regionOf(
    region: string | null | undefined,
    clusters: { id: string; region: string }[] | null,
    /** the client's list, to name the wrong one by its index */
    clientIds: readonly string[] = [],
  ): { key: string; fallback: boolean } {
    if (region != null) {
      const key = this.regionKey(region);
      for (const c of clusters ?? []) {
        if (key && c.region !== key) {
          const field = `request.clusterIds[${clusterIndex(clientIds, c.id)}]`;
          throw new BookingException(
            BookingErrorCode.INVALID_REQUEST,
            `${field}: cluster ${c.id} is in region ${c.region}, not in ${key}`,
            field,
          );
        }
      }
      return { key, fallback: false };
    }
    const regions = new Set((clusters ?? []).map((c) => c.region));
    return regions.size === 1 ? { key: [...regions][0], fallback: true } : { key: '', fallback: false };
  }

  /**
   * Runs `join` in a transaction with the open round the request joins, share-locked (closing
   * it waits for this submission). When there is none and the region has a schedule, a round
   * past its close time that no tick has closed yet is closed here and the scheduled rounds
   * missing are opened, so that a submission never waits for the next tick. NO_OPEN_ROUND, with
   * nothing changed, when no round takes requests.
   */
  private async joinRound<T>(
    wanted: { key: string; fallback: boolean },
    join: (m: EntityManager, round: { id: string }) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const now = this.config.now();
      const out = await this.ds.transaction(async (m) => {
        const round = await this.openRound(m, wanted, now, attempt > 0);
        return round === 'due' ? undefined : { value: await join(m, round) };
      });
      if (out) return out.value;
      await this.clearer.roll();
    }
  }

  /**
   * The open round a request joins, share-locked; `due` when there is none to join before the
   * rounds have been rolled (closed at their time, the scheduled ones opened).
   */
  private async openRound(
    m: EntityManager,
    wanted: { key: string; fallback: boolean },
    now: number,
    rolled: boolean,
  ): Promise<{ id: string } | 'due'> {
    const find = async (key: string) => {
      const rows: { id: string; closes: number }[] = await m.query(
        `SELECT id, (extract(epoch FROM closes_at) * 1000)::float8 AS closes FROM rounds WHERE region = $1 AND status = 'OPEN' FOR SHARE`,
        [key],
      );
      return rows[0] as { id: string; closes: number } | undefined;
    };
    const name = (key: string) => (key ? `region ${key}` : 'the whole fleet');
    const keys = wanted.fallback && wanted.key !== '' ? [wanted.key, ''] : [wanted.key];
    // rolling opens a round only in a region with a schedule: without one it would leave this
    // request refused and the rounds changed (a failed call changes nothing; the tick closes the
    // round that is due)
    const rollHelps = async (): Promise<boolean> => {
      if (rolled) return false;
      const rows: unknown[] = await m.query(`SELECT 1 FROM round_schedules WHERE region = ANY($1::text[]) LIMIT 1`, [
        keys,
      ]);
      return rows.length > 0;
    };
    for (const key of keys) {
      const r = await find(key);
      if (!r) continue;
      if (r.closes > now) return r;
      if (await rollHelps()) return 'due';
      throw new RoundException(
        RoundErrorCode.NO_OPEN_ROUND,
        `the round of ${name(key)} closed at ${iso(r.closes)}; submit to the next one`,
        'region',
      );
    }
    // none open: a scheduled one may be missing because no process has ticked since the last closed
    if (await rollHelps()) return 'due';
    throw new RoundException(
      RoundErrorCode.NO_OPEN_ROUND,
      `no round of ${name(wanted.key)}${wanted.fallback ? ' or of the whole fleet' : ''} is open`,
      'region',
    );
  }

  private regionKey(region: string | null | undefined): string {
    if (region == null) return '';
    const key = region.trim();
    if (key.length === 0 || charCount(key) > 100)
      throw new RoundException(
        RoundErrorCode.INVALID_ROUND,
        'region must have 1 to 100 characters (null: the whole fleet)',
        'region',
      );
    return key;
  }

  private async models(rows: RoundEntity[]): Promise<RoundModel[]> {
    const ids = rows.map((r) => r.id);
    const counts: { round_id: string; n: number }[] = ids.length
      ? await this.ds.query(
          `SELECT round_id, count(*)::int AS n FROM round_requests WHERE round_id = ANY($1::uuid[]) AND status = 'PENDING' GROUP BY round_id`,
          [ids],
        )
      : [];
    const pending = new Map(counts.map((c) => [c.round_id, c.n]));
    const now = this.config.now();
    return rows.map((r) => ({
      id: r.id,
      region: r.region || null,
      status: statusAt(r.status, r.closesAt.getTime(), now),
      opensAt: r.opensAt,
      closesAt: r.closesAt,
      clearedAt: r.clearedAt,
      pending: pending.get(r.id) ?? 0,
      outcome: (r.outcome as RoundOutcomeModel | null) ?? null,
    }));
  }
}

/** A round's status at `now`: one past its close time is CLOSED before a process has marked it (as `rounds` filters). */
function statusAt(status: string, closesMs: number, now: number): RoundStatusEnum {
  return status === 'OPEN' && closesMs <= now ? RoundStatusEnum.CLOSED : (status as RoundStatusEnum);
}

function visible(p: Principal, rr: RoundRequestEntity): boolean {
  return p.role === 'BUREAU' || (p.role === 'STARTUP' && rr.orgId === p.orgId);
}

function requestNotFound(id: string): RoundException {
  return new RoundException(RoundErrorCode.ROUND_REQUEST_NOT_FOUND, `round request ${id} not found`, 'id');
}

export function requestModel(r: RoundRequestEntity): RoundRequestModel {
  return {
    id: r.id,
    roundId: r.roundId,
    organizationId: r.orgId,
    status: r.status as RoundRequestStatusEnum,
    pflops: r.pflops,
    hours: r.hours,
    earliestStart: r.earliestStart,
    deadline: r.deadline,
    clusterIds: r.clusterIds,
    minGreenShare: r.minGreenShare,
    objective: r.objective as ObjectiveEnum,
    idempotencyKey: r.idempotencyKey,
    submittedAt: r.createdAt,
    decidedAt: r.decidedAt,
    reason: r.reason,
    message: r.message,
    bookingId: r.bookingId,
  };
}
