import { decimalPlaces } from '@pflex/scheduler';
import { Injectable } from '@nestjs/common';
import { SlaCreditEntity, SlaSettingsEntity } from '@pflex/persistence';
import { DataSource } from 'typeorm';
import { money } from '../common/money';
import { connectionOf, decodeTimeCursor, encodeCursor, pageSize } from '../common/pagination';
import type { Principal } from '../security/principal';
import { SlaBalanceModel, SlaCreditConnection, SlaCreditModel, SlaSettingsModel } from './dtos/green-revision.dtos';
import { EnergyErrorCode, EnergyException } from './energy.exception';

/**
 * Green SLA money: the credit ledger the supply revisions write (credits owed by operators to
 * startups, reversals), operators' balances, and the bureau's penalty factor.
 */
@Injectable()
export class SlaCreditsService {
  constructor(private readonly ds: DataSource) {}

  /** The credit ledger: a startup's own, an operator's (what it pays), the bureau's (all); newest first. */
  async credits(p: Principal, first?: number | null, after?: string | null): Promise<SlaCreditConnection> {
    const n = pageSize(first);
    const cur = decodeTimeCursor(after);
    const qb = this.ds.getRepository(SlaCreditEntity).createQueryBuilder('c');
    if (p.role === 'STARTUP') qb.andWhere('c.org_id = :o', { o: p.orgId });
    if (p.role === 'OPERATOR') qb.andWhere('c.operator_org_id = :o', { o: p.orgId });
    const totalQb = qb
      .clone()
      .select(`coalesce(sum(CASE c.kind WHEN 'CREDIT' THEN c.amount ELSE -c.amount END), 0)::float8`, 'total');
    if (cur) qb.andWhere(`(date_trunc('milliseconds', c.created_at), c.id) < (:t, :id)`, { t: cur.time, id: cur.id });
    const rows = await qb
      .orderBy(`date_trunc('milliseconds', c.created_at)`, 'DESC')
      .addOrderBy('c.id', 'DESC')
      .take(n + 1)
      .getMany();
    const total = Number((await totalQb.getRawOne<{ total: number }>())?.total ?? 0);
    return {
      ...connectionOf(rows, n, (r) => encodeCursor(r.createdAt.toISOString(), r.id), creditModel),
      total: money(total),
    };
  }

  /** Per operator: credits owed now and bookings in breach (the bureau: every operator; an operator: its own). */
  async balances(p: Principal): Promise<SlaBalanceModel[]> {
    const rows: { id: string; name: string; owed: number; breaches: number }[] = await this.ds.query(
      `SELECT o.id, o.name,
              coalesce((SELECT sum(CASE s.kind WHEN 'CREDIT' THEN s.amount ELSE -s.amount END) FROM sla_credits s WHERE s.operator_org_id = o.id), 0)::float8 AS owed,
              (SELECT count(*) FROM bookings b JOIN clusters c ON c.id = b.cluster_id
                WHERE c.owner_org_id = o.id AND b.status = 'CONFIRMED' AND b.min_green_share IS NOT NULL AND b.sla_credit > 0)::int AS breaches
       FROM organizations o WHERE o.role = 'OPERATOR' AND ($1::uuid IS NULL OR o.id = $1) ORDER BY o.name, o.id`,
      [p.role === 'BUREAU' ? null : p.orgId],
    );
    return rows.map((r) => ({
      operatorId: r.id,
      operatorName: r.name,
      owed: money(r.owed),
      bookingsInBreach: r.breaches,
    }));
  }

  async settings(): Promise<SlaSettingsModel> {
    const s = await this.ds.manager.findOneByOrFail(SlaSettingsEntity, { id: 1 });
    return { penaltyFactor: s.penaltyFactor, updatedAt: s.updatedAt };
  }

  async setPenaltyFactor(factor: number): Promise<SlaSettingsModel> {
    if (!Number.isFinite(factor) || factor < 0 || factor > 100 || decimalPlaces(factor) > 3) {
      throw new EnergyException(
        EnergyErrorCode.INVALID_PENALTY_FACTOR,
        `penaltyFactor must be in [0, 100] with at most 3 decimals, got ${factor}`,
        'penaltyFactor',
      );
    }
    await this.ds.manager.update(SlaSettingsEntity, { id: 1 }, { penaltyFactor: factor });
    return this.settings();
  }
}

function creditModel(r: SlaCreditEntity): SlaCreditModel {
  return {
    id: r.id,
    bookingId: r.bookingId,
    organizationId: r.orgId,
    operatorId: r.operatorOrgId,
    revisionId: r.revisionId,
    kind: r.kind,
    amount: Number(r.amount),
    missingMwh: r.missingMwh,
    createdAt: r.createdAt,
  };
}
