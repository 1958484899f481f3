import { Inject, Injectable } from '@nestjs/common';
import { ClusterEntity, OrganizationEntity, VoucherEntity, VoucherLedgerEntity } from '@pflex/persistence';
import { meetsGreenShare, type Placement } from '@pflex/scheduler';
import { DataSource, In } from 'typeorm';
import { requireIdempotencyKey } from '../bookings/idempotency-key';
import { InputException } from '../common/errors';
import { distinctIds, isUuid } from '../common/ids';
import { createOnce, replayOf } from '../common/keyed-create';
import { centsOf, priceTotal, shareCents } from '../common/money';
import { pageByCreatedAt, pageBySeq } from '../common/pagination';
import { HOUR_MS } from '../common/time.utils';
import { APP_CONFIG, type AppConfig } from '../config';
import { ChangeFeed } from '../events/change-feed.service';
import { FeedCache } from '../events/feed-cache';
import type { BookingEventsMessage } from '../ledger/ledger-wire';
import type { OrgChangedMessage } from '../quotas/quotas.service';
import type { Principal } from '../security/principal';
import { IssueVoucherInput } from './dtos/issue-voucher.input';
import {
  VoucherConnection,
  VoucherLedgerConnection,
  VoucherLedgerEntryModel,
  VoucherLedgerKindEnum,
  VoucherModel,
} from './dtos/voucher.model';
import { VoucherErrorCode, VoucherException } from './vouchers.exception';

/** What a booking (or a quote) would get from the holder's vouchers. */
export interface VoucherCover {
  voucherId: string;
  /** money covered, 2 decimals */
  amount: number;
}

/** The part of a placement that decides which vouchers apply. */
export interface CoverRequest {
  clusterId: string;
  startsAt: number;
  endsAt: number;
  /** green energy the placement takes, Wh (integer), of drawW x hours */
  greenWh: number;
  drawW: number;
  hours: number;
  priceTotal: number;
}

/** The cover request of a placement starting at `startsAt` (epoch ms). */
export function coverRequestOf(pl: Placement, startsAt: number): CoverRequest {
  let greenWh = 0;
  for (let i = 0; i < pl.hours; i++) greenWh += pl.greenW[i];
  return {
    clusterId: pl.cluster,
    startsAt,
    endsAt: startsAt + pl.hours * HOUR_MS,
    greenWh,
    drawW: pl.drawW,
    hours: pl.hours,
    priceTotal: priceTotal(pl.price),
  };
}

/** A voucher with money left (in any order: chooseCover applies the picking order). */
export interface VoucherCandidate {
  id: string;
  percent_covered: number;
  /** cap - spent, money */
  remaining: string;
  valid_from: string | Date;
  valid_until: string | Date;
  created_at: string | Date;
  cluster_ids: string[] | null;
  min_green_share: number | null;
}

/** The picking order of vouchers: expiring first, then the oldest, then by id. */
function picksBefore(a: VoucherCandidate, b: VoucherCandidate): boolean {
  const ua = new Date(a.valid_until).getTime();
  const ub = new Date(b.valid_until).getTime();
  if (ua !== ub) return ua < ub;
  const ca = new Date(a.created_at).getTime();
  const cb = new Date(b.created_at).getTime();
  if (ca !== cb) return ca < cb;
  return a.id < b.id;
}

const PREVIEW_TTL_MS = 60_000;

/**
 * The voucher rule, one home for quotes and bookings: among the candidates whose validity holds
 * the whole run, whose clusters allow it, whose green condition is met and that have money left
 * (`leftCents`, which a group commit lowers as its members draw), the first in picking order
 * (expiring first, then the oldest) covers percentCovered of the price rounded down to the cent,
 * or what is left. Candidates may come in any order.
 */
export function chooseCover(
  candidates: readonly VoucherCandidate[],
  r: CoverRequest,
  leftCents: (c: VoucherCandidate) => number,
): VoucherCover | null {
  let pick: VoucherCandidate | null = null;
  let pickCents = 0;
  for (const c of candidates) {
    if (new Date(c.valid_from).getTime() > r.startsAt || new Date(c.valid_until).getTime() < r.endsAt) continue;
    if (c.cluster_ids && !c.cluster_ids.includes(r.clusterId)) continue;
    if (c.min_green_share !== null && !meetsGreenShare(r.greenWh, r.drawW, r.hours, c.min_green_share)) continue;
    const amount = Math.min(shareCents(centsOf(r.priceTotal), c.percent_covered), leftCents(c));
    if (amount > 0 && (pick === null || picksBefore(c, pick))) {
      pick = c;
      pickCents = amount;
    }
  }
  return pick ? { voucherId: pick.id, amount: pickCents / 100 } : null;
}

/**
 * Vouchers: issued by the bureau, drawn by bookings inside the booking transaction, refunded on
 * cancellation. Picking rule when several apply: the one expiring first (then the oldest), and
 * only one voucher per booking; it covers percentCovered of the price, rounded down to the
 * cent, or whatever is left on it if that is less (partial coverage).
 */
@Injectable()
export class VouchersService {
  /** org -> its vouchers with money left, for quotes; dropped when a booking draws or refunds, or one is issued */
  private readonly cache: FeedCache<VoucherCandidate[]>;

  constructor(
    private readonly ds: DataSource,
    private readonly feed: ChangeFeed,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.cache = new FeedCache(feed, PREVIEW_TTL_MS);
    feed.on<BookingEventsMessage>('b', (m) => this.changed(m.vo ?? []));
    feed.on<OrgChangedMessage>('org', (m) => {
      if (m.what === 'vouchers') this.cache.drop(m.org);
    });
  }

  /**
   * The vouchers of these startups changed (drawn, refunded or adjusted by a transaction that has
   * committed): this process's quotes read them again.
   */
  changed(orgIds: Iterable<string>): void {
    for (const org of orgIds) this.cache.drop(org);
  }

  /** As `changed`, for every startup (a green revision may adjust the draws of any booking it touched). */
  changedAll(): void {
    this.cache.clear();
  }

  async issue(input: IssueVoucherInput, idempotencyKey?: string | null): Promise<VoucherModel> {
    const key = idempotencyKey == null ? null : requireIdempotencyKey(idempotencyKey);
    return createOnce(key, () => this.issueOnce(input, key));
  }

  private async issueOnce(input: IssueVoucherInput, key: string | null): Promise<VoucherModel> {
    const from = validDate('input.validFrom', input.validFrom);
    const until = validDate('input.validUntil', input.validUntil);
    if (until <= from)
      throw new VoucherException(
        VoucherErrorCode.INVALID_VOUCHER,
        'input.validUntil must be after input.validFrom',
        'input.validUntil',
      );
    const now = this.config.now();
    if (until <= now)
      throw new VoucherException(
        VoucherErrorCode.INVALID_VOUCHER,
        `input.validUntil must be in the future, got ${new Date(until).toISOString()} (now ${new Date(now).toISOString()}): a voucher that has expired can never apply`,
        'input.validUntil',
      );
    // cluster ids are UUIDs, written in either case, a repeat counting once; stored as the clusters' own
    const listed = input.clusterIds ? distinctIds(input.clusterIds) : undefined;
    const clusterIds = listed?.map((x) => x.id);
    // what the request asks for, the clusters as a set: a retry must ask for exactly this
    const fingerprint = JSON.stringify([
      input.organizationId.toLowerCase(),
      input.percentCovered,
      input.cap.toFixed(2),
      from,
      until,
      clusterIds ? [...clusterIds].sort() : null,
      input.minGreenShare ?? null,
    ]);
    const voucher = await this.ds.transaction(async (m) => {
      const prior =
        key === null
          ? null
          : replayOf(await m.findOneBy(VoucherEntity, { idempotencyKey: key }), fingerprint, (v) => `voucher ${v.id}`);
      if (prior) return toVoucherModel(prior);
      const org = isUuid(input.organizationId)
        ? await m.findOneBy(OrganizationEntity, { id: input.organizationId })
        : null;
      if (!org)
        throw new VoucherException(
          VoucherErrorCode.ORGANIZATION_NOT_FOUND,
          `organization ${input.organizationId} not found`,
          'input.organizationId',
        );
      if (org.role !== 'STARTUP')
        throw new VoucherException(
          VoucherErrorCode.NOT_A_STARTUP,
          `vouchers are issued to startups; organization ${org.id} is ${org.role}`,
          'input.organizationId',
        );
      if (listed && clusterIds) {
        const uuids = clusterIds.filter(isUuid);
        const found = uuids.length > 0 ? await m.findBy(ClusterEntity, { id: In(uuids) }) : [];
        const missing = listed.find((x) => !found.some((c) => c.id === x.id));
        if (missing)
          throw new VoucherException(
            VoucherErrorCode.CLUSTER_NOT_FOUND,
            `input.clusterIds[${missing.index}]: cluster ${missing.id} not found`,
            `input.clusterIds[${missing.index}]`,
          );
      }
      const v = await m.save(
        m.create(VoucherEntity, {
          orgId: org.id,
          percentCovered: input.percentCovered,
          cap: input.cap.toFixed(2),
          spent: '0',
          validFrom: new Date(from),
          validUntil: new Date(until),
          clusterIds: clusterIds ?? null,
          minGreenShare: input.minGreenShare ?? null,
          idempotencyKey: key,
          requestFingerprint: key === null ? null : fingerprint,
        }),
      );
      await m.query(`SELECT pg_notify($1, $2)`, [
        this.feed.channel,
        this.feed.encode({ k: 'org', org: org.id, what: 'vouchers' }),
      ]);
      return toVoucherModel(await m.findOneByOrFail(VoucherEntity, { id: v.id }));
    });
    this.changed([voucher.organizationId]);
    return voucher;
  }

  /** Bureau: any voucher; a startup: its own; anyone else gets NOT_FOUND, as for unknown ids. */
  async get(p: Principal, id: string): Promise<VoucherModel> {
    return toVoucherModel(await this.visible(p, id));
  }

  /** Bureau: all (or one startup's); a startup: its own only. Oldest first. */
  async list(
    p: Principal,
    organizationId: string | undefined | null,
    first?: number | null,
    after?: string | null,
  ): Promise<VoucherConnection> {
    const org = p.role === 'BUREAU' ? organizationId : p.orgId;
    if (p.role !== 'BUREAU' && organizationId && organizationId !== p.orgId) {
      throw new VoucherException(
        VoucherErrorCode.ORGANIZATION_NOT_FOUND,
        `organization ${organizationId} not found`,
        'organizationId',
      );
    }
    const qb = this.ds.getRepository(VoucherEntity).createQueryBuilder('v');
    if (org) {
      // the bureau's mistyped id must not read as "no vouchers"
      if (p.role === 'BUREAU' && (!isUuid(org) || !(await this.ds.manager.existsBy(OrganizationEntity, { id: org }))))
        throw new VoucherException(
          VoucherErrorCode.ORGANIZATION_NOT_FOUND,
          `organization ${org} not found`,
          'organizationId',
        );
      qb.where('v.org_id = :org', { org });
    }
    return pageByCreatedAt(qb, 'v', first, after, toVoucherModel);
  }

  /** Draws and refunds of one voucher, oldest first; visible to the bureau and the holder. */
  async ledger(
    p: Principal,
    voucherId: string,
    first?: number | null,
    after?: string | null,
  ): Promise<VoucherLedgerConnection> {
    await this.visible(p, voucherId, 'voucherId');
    const qb = this.ds
      .getRepository(VoucherLedgerEntity)
      .createQueryBuilder('l')
      .where('l.voucher_id = :id', { id: voucherId });
    return pageBySeq(qb, 'l', first, after, toLedgerModel);
  }

  /** The cover each placement would get now, without drawing (quotes): from this process's cache, one read on a miss. */
  async preview(orgId: string, reqs: CoverRequest[]): Promise<(VoucherCover | null)[]> {
    if (reqs.length === 0) return [];
    const rows = await this.cache.get(orgId, () =>
      this.ds.query<VoucherCandidate[]>(
        `SELECT id, percent_covered, (cap - spent)::text AS remaining, valid_from, valid_until, created_at, cluster_ids, min_green_share FROM vouchers
         WHERE org_id = $1 AND spent < cap AND valid_until > now()`,
        [orgId],
      ),
    );
    return reqs.map((r) => chooseCover(rows, r, (c) => centsOf(Number(c.remaining))));
  }

  /** The voucher `id` if the caller may see it; NOT_FOUND naming `field` (the argument that held the id). */
  private async visible(p: Principal, id: string, field = 'id'): Promise<VoucherEntity> {
    const v = isUuid(id) ? await this.ds.manager.findOneBy(VoucherEntity, { id }) : null;
    if (!v || (p.role !== 'BUREAU' && v.orgId !== p.orgId))
      throw new VoucherException(VoucherErrorCode.VOUCHER_NOT_FOUND, `voucher ${id} not found`, field);
    return v;
  }
}

function validDate(field: string, d: Date): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime()))
    throw new InputException(field, `${field} must be a valid date-time`);
  return d.getTime();
}

export function toVoucherModel(v: VoucherEntity): VoucherModel {
  return {
    id: v.id,
    organizationId: v.orgId,
    percentCovered: v.percentCovered,
    cap: Number(v.cap),
    spent: Number(v.spent),
    remaining: (centsOf(Number(v.cap)) - centsOf(Number(v.spent))) / 100,
    validFrom: v.validFrom,
    validUntil: v.validUntil,
    clusterIds: v.clusterIds,
    minGreenShare: v.minGreenShare,
    createdAt: v.createdAt,
  };
}

function toLedgerModel(l: VoucherLedgerEntity): VoucherLedgerEntryModel {
  return {
    id: l.id,
    voucherId: l.voucherId,
    bookingId: l.bookingId,
    kind: l.kind as VoucherLedgerKindEnum,
    amount: Number(l.amount),
    spentAfter: Number(l.spentAfter),
    createdAt: l.createdAt,
  };
}
