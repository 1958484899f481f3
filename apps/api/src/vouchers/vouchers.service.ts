import { Injectable } from '@nestjs/common';
import { BookingEntity, ClusterEntity, OrganizationEntity, VoucherEntity, VoucherLedgerEntity } from '@pflex/persistence';
import { DataSource, EntityManager, In } from 'typeorm';
import { InputException } from '../common/errors';
import { isUuid } from '../common/ids';
import { pageByCreatedAt } from '../common/pagination';
import type { Principal } from '../organizations/principal';
import { IssueVoucherInput } from './dtos/issue-voucher.input';
import { VoucherConnection, VoucherLedgerConnection, VoucherLedgerEntryModel, VoucherLedgerKindEnum, VoucherModel } from './dtos/voucher.model';
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
  greenShare: number;
  priceTotal: number;
}

interface Candidate {
  id: string;
  percent_covered: number;
  remaining: string;
}

/** Green shares are floats from the scheduler; a voucher's threshold is met up to this slack. */
const GREEN_EPSILON = 1e-9;

const cents = (money: string | number): number => Math.round(Number(money) * 100);

/**
 * Vouchers: issued by the bureau, drawn by bookings inside the booking transaction, refunded on
 * cancellation. Picking rule when several apply: the one expiring first (then the oldest), and
 * only one voucher per booking; it covers percentCovered of the price, rounded down to the
 * cent, or whatever is left on it if that is less (partial coverage).
 */
@Injectable()
export class VouchersService {
  constructor(private readonly ds: DataSource) {}

  async issue(input: IssueVoucherInput): Promise<VoucherModel> {
    const from = validDate('input.validFrom', input.validFrom);
    const until = validDate('input.validUntil', input.validUntil);
    if (until <= from) throw new VoucherException(VoucherErrorCode.INVALID_VOUCHER, 'input.validUntil must be after input.validFrom', 'input.validUntil');
    return this.ds.transaction(async (m) => {
      const org = isUuid(input.organizationId) ? await m.findOneBy(OrganizationEntity, { id: input.organizationId }) : null;
      if (!org) throw new VoucherException(VoucherErrorCode.ORGANIZATION_NOT_FOUND, `organization ${input.organizationId} not found`, 'input.organizationId');
      if (org.role !== 'STARTUP') throw new VoucherException(VoucherErrorCode.NOT_A_STARTUP, `vouchers are issued to startups; organization ${org.id} is ${org.role}`, 'input.organizationId');
      if (input.clusterIds) {
        const bad = input.clusterIds.find((id) => !isUuid(id));
        const found = bad ? [] : await m.findBy(ClusterEntity, { id: In(input.clusterIds) });
        const missing = bad ?? input.clusterIds.find((id) => !found.some((c) => c.id === id));
        if (missing) throw new VoucherException(VoucherErrorCode.CLUSTER_NOT_FOUND, `input.clusterIds: cluster ${missing} not found`, 'input.clusterIds');
      }
      const v = await m.save(
        m.create(VoucherEntity, {
          orgId: org.id,
          percentCovered: input.percentCovered,
          cap: input.cap.toFixed(2),
          spent: '0',
          validFrom: new Date(from),
          validUntil: new Date(until),
          clusterIds: input.clusterIds ?? null,
          minGreenShare: input.minGreenShare ?? null,
        }),
      );
      return toVoucherModel(await m.findOneByOrFail(VoucherEntity, { id: v.id }));
    });
  }

  /** Bureau: any voucher; a startup: its own; anyone else gets NOT_FOUND, as for unknown ids. */
  async get(p: Principal, id: string): Promise<VoucherModel> {
    return toVoucherModel(await this.visible(p, id));
  }

  /** Bureau: all (or one startup's); a startup: its own only. Oldest first. */
  async list(p: Principal, organizationId: string | undefined | null, first?: number | null, after?: string | null): Promise<VoucherConnection> {
    const org = p.role === 'BUREAU' ? organizationId : p.orgId;
    if (p.role !== 'BUREAU' && organizationId && organizationId !== p.orgId) {
      throw new VoucherException(VoucherErrorCode.ORGANIZATION_NOT_FOUND, `organization ${organizationId} not found`, 'organizationId');
    }
    const qb = this.ds.getRepository(VoucherEntity).createQueryBuilder('v');
    if (org) {
      if (!isUuid(org)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
      qb.where('v.org_id = :org', { org });
    }
    const page = await pageByCreatedAt(qb, 'v', first, after);
    return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: toVoucherModel(e.row) })), pageInfo: page.pageInfo };
  }

  /** Draws and refunds of one voucher, oldest first; visible to the bureau and the holder. */
  async ledger(p: Principal, voucherId: string, first?: number | null, after?: string | null): Promise<VoucherLedgerConnection> {
    await this.visible(p, voucherId);
    const qb = this.ds.getRepository(VoucherLedgerEntity).createQueryBuilder('l').where('l.voucher_id = :id', { id: voucherId });
    const page = await pageByCreatedAt(qb, 'l', first, after);
    return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: toLedgerModel(e.row) })), pageInfo: page.pageInfo };
  }

  /** The cover each placement would get now, without drawing (quotes): one query for all. */
  async preview(m: EntityManager, orgId: string, reqs: CoverRequest[]): Promise<(VoucherCover | null)[]> {
    if (reqs.length === 0) return [];
    const all: (Candidate & { valid_from: Date; valid_until: Date; cluster_ids: string[] | null; min_green_share: number | null })[] = await m.query(
      `SELECT id, percent_covered, (cap - spent)::text AS remaining, valid_from, valid_until, cluster_ids, min_green_share FROM vouchers
       WHERE org_id = $1 AND spent < cap AND valid_until >= $2
       ORDER BY valid_until, created_at, id`,
      [orgId, new Date(Math.min(...reqs.map((r) => r.endsAt)))],
    );
    return reqs.map((r) => {
      for (const c of all) {
        if (new Date(c.valid_from).getTime() > r.startsAt || new Date(c.valid_until).getTime() < r.endsAt) continue;
        if (c.cluster_ids && !c.cluster_ids.includes(r.clusterId)) continue;
        if (c.min_green_share !== null && c.min_green_share > r.greenShare + GREEN_EPSILON) continue;
        const amount = Math.min(shareCents(r.priceTotal, c.percent_covered), cents(c.remaining));
        if (amount > 0) return { voucherId: c.id, amount: amount / 100 };
      }
      return null;
    });
  }

  /**
   * Draws the cover for a booking inside its transaction: the chosen voucher's row is locked,
   * its balance re-read, and `spent` raised under CHECK (spent <= cap), so concurrent bookings
   * can never overspend it. Call `recordDraw` once the booking row exists.
   */
  async draw(m: EntityManager, orgId: string, r: CoverRequest): Promise<(VoucherCover & { spentAfter: string }) | null> {
    for (const c of await this.candidates(m, orgId, r)) {
      const [row] = await m.query(`SELECT (cap - spent)::text AS remaining FROM vouchers WHERE id = $1 FOR UPDATE`, [c.id]);
      const amount = Math.min(shareCents(r.priceTotal, c.percent_covered), cents(row.remaining));
      if (amount <= 0) continue;
      const [[updated]] = await m.query(`UPDATE vouchers SET spent = spent + $2::numeric WHERE id = $1 RETURNING spent::text AS spent`, [c.id, (amount / 100).toFixed(2)]);
      return { voucherId: c.id, amount: amount / 100, spentAfter: updated.spent };
    }
    return null;
  }

  async recordDraw(m: EntityManager, bookingId: string, cover: VoucherCover & { spentAfter: string }): Promise<void> {
    await m.insert(VoucherLedgerEntity, { voucherId: cover.voucherId, bookingId, kind: 'DRAW', amount: cover.amount.toFixed(2), spentAfter: cover.spentAfter });
  }

  /** Gives a cancelled booking's cover back to its voucher (even an expired one) and records it. */
  async refund(m: EntityManager, b: BookingEntity): Promise<void> {
    if (!b.voucherId || cents(b.voucherAmount) === 0) return;
    const [[updated]] = await m.query(`UPDATE vouchers SET spent = spent - $2::numeric WHERE id = $1 RETURNING spent::text AS spent`, [b.voucherId, b.voucherAmount]);
    await m.insert(VoucherLedgerEntity, { voucherId: b.voucherId, bookingId: b.id, kind: 'REFUND', amount: b.voucherAmount, spentAfter: updated.spent });
  }

  /** Vouchers of the holder that apply to the placement, in picking order. */
  private candidates(m: EntityManager, orgId: string, r: CoverRequest): Promise<Candidate[]> {
    return m.query(
      `SELECT id, percent_covered, (cap - spent)::text AS remaining FROM vouchers
       WHERE org_id = $1 AND valid_from <= $2 AND valid_until >= $3 AND spent < cap
         AND (cluster_ids IS NULL OR $4::uuid = ANY(cluster_ids))
         AND (min_green_share IS NULL OR min_green_share <= $5)
       ORDER BY valid_until, created_at, id`,
      [orgId, new Date(r.startsAt), new Date(r.endsAt), r.clusterId, r.greenShare + GREEN_EPSILON],
    );
  }

  private async visible(p: Principal, id: string): Promise<VoucherEntity> {
    const v = isUuid(id) ? await this.ds.manager.findOneBy(VoucherEntity, { id }) : null;
    if (!v || (p.role !== 'BUREAU' && v.orgId !== p.orgId)) throw new VoucherException(VoucherErrorCode.VOUCHER_NOT_FOUND, `voucher ${id} not found`, 'id');
    return v;
  }
}

/** percent of the price in whole cents, rounded down so a voucher never covers more than its share. */
function shareCents(priceTotal: number, percent: number): number {
  return Math.max(0, Math.floor(priceTotal * percent + 1e-7));
}

function validDate(field: string, d: Date): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new InputException(field, `${field} must be a valid date-time`);
  return d.getTime();
}

export function toVoucherModel(v: VoucherEntity): VoucherModel {
  return {
    id: v.id,
    organizationId: v.orgId,
    percentCovered: v.percentCovered,
    cap: Number(v.cap),
    spent: Number(v.spent),
    remaining: (cents(v.cap) - cents(v.spent)) / 100,
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
