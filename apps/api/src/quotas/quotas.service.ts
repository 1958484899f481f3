import { Injectable } from '@nestjs/common';
import { AccessRuleEntity, OrganizationEntity } from '@pflex/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../common/ids';
import { HOUR_MS, iso } from '../common/time.utils';
import type { Principal } from '../organizations/principal';
import { AccessRuleInput } from './dtos/access-rule.input';
import { AccessRuleModel } from './dtos/access-rule.model';
import { QuotaErrorCode, QuotaException } from './quotas.exception';

const WEEK_HOURS = 7 * 24;

/** Per cluster id, TFLOPS already held by one startup in each slot of a range. */
export type HeldTflops = Map<string, Int32Array>;

/** One allowed cluster as the share check sees it: held TFLOPS and capacity per slot. */
export interface ShareCandidate {
  name: string;
  held: Int32Array;
  capacityAt: (slot: number) => number;
}

/** Largest TFLOPS a startup may hold in a slot of `capacityTflops` under `share`. */
export function shareLimitTflops(share: number, capacityTflops: number): number {
  return Math.floor(share * capacityTflops + 1e-9);
}

const fmt = (x: number): string => String(Math.round(x * 1000) / 1000);

/**
 * Access rules for startups. Both limits are checked inside the booking transaction while the
 * startup's access_rules row is locked FOR UPDATE, so the startup's bookings are checked and
 * committed one at a time and concurrent bookings cannot jointly exceed a limit; cancelling
 * only lowers usage and needs no lock.
 *
 * - maxPflopsHoursPer7Days: for every 7-day window [t, t + 7 d) (t on whole hours) that contains
 *   the new booking's start, the PFLOPS-hours (pflops x hours) of the startup's CONFIRMED
 *   bookings starting in the window, plus the new booking's, must stay <= the limit. Since
 *   every booking is checked this way, no 7-day window of start times ever holds more.
 * - maxClusterShare: in every hour of the new booking, the startup's CONFIRMED PFLOPS on that
 *   cluster plus the new booking's must be <= share x the cluster's capacity in that hour.
 *   Placement sees only the room the share leaves, so it picks a start and cluster that fit.
 */
@Injectable()
export class QuotasService {
  constructor(private readonly ds: DataSource) {}

  async set(input: AccessRuleInput): Promise<AccessRuleModel> {
    return this.ds.transaction(async (m) => {
      const org = isUuid(input.organizationId) ? await m.findOneBy(OrganizationEntity, { id: input.organizationId }) : null;
      if (!org) throw new QuotaException(QuotaErrorCode.ORGANIZATION_NOT_FOUND, `organization ${input.organizationId} not found`, 'input.organizationId');
      if (org.role !== 'STARTUP') throw new QuotaException(QuotaErrorCode.NOT_A_STARTUP, `access rules apply to startups; organization ${org.id} is ${org.role}`, 'input.organizationId');
      await m.query(
        `INSERT INTO access_rules (org_id, max_pflops_hours_per_7_days, max_cluster_share, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (org_id) DO UPDATE SET max_pflops_hours_per_7_days = EXCLUDED.max_pflops_hours_per_7_days, max_cluster_share = EXCLUDED.max_cluster_share, updated_at = now()`,
        [org.id, input.maxPflopsHoursPer7Days ?? null, input.maxClusterShare ?? null],
      );
      return toModel(await m.findOneByOrFail(AccessRuleEntity, { orgId: org.id }));
    });
  }

  /** Bureau: any startup's; a startup: its own (others NOT_FOUND). Null when it has no rules. */
  async get(p: Principal, organizationId: string): Promise<AccessRuleModel | null> {
    if (p.role !== 'BUREAU' && organizationId !== p.orgId) {
      throw new QuotaException(QuotaErrorCode.ORGANIZATION_NOT_FOUND, `organization ${organizationId} not found`, 'organizationId');
    }
    const r = isUuid(organizationId) ? await this.ds.manager.findOneBy(AccessRuleEntity, { orgId: organizationId }) : null;
    return r ? toModel(r) : null;
  }

  /** The startup's rules, its row locked FOR UPDATE until the transaction ends (with `lock`). */
  async rulesOf(m: EntityManager, orgId: string, lock: boolean): Promise<AccessRuleEntity | null> {
    return m.findOne(AccessRuleEntity, { where: { orgId }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  /** TFLOPS the startup holds per cluster and slot of [from, to) through CONFIRMED bookings. */
  async held(m: EntityManager, orgId: string, clusterIds: string[], from: number, to: number): Promise<HeldTflops> {
    const slots = (to - from) / HOUR_MS;
    const out: HeldTflops = new Map(clusterIds.map((id) => [id, new Int32Array(slots)]));
    const rows: { cluster_id: string; s: number; hours: number; tflops: number }[] = await m.query(
      `SELECT cluster_id, (extract(epoch FROM starts_at - $3::timestamptz) / 3600)::int AS s, hours, tflops FROM bookings
       WHERE org_id = $1 AND cluster_id = ANY($2::uuid[]) AND status = 'CONFIRMED' AND starts_at < $4 AND ends_at > $3`,
      [orgId, clusterIds, new Date(from), new Date(to)],
    );
    for (const r of rows) {
      const a = out.get(r.cluster_id)!;
      for (let i = Math.max(0, r.s); i < Math.min(slots, r.s + r.hours); i++) a[i] += r.tflops;
    }
    return out;
  }

  /** QUOTA_EXCEEDED if a booking of `tflops` x `hours` starting at `startsAt` breaks the 7-day rule. */
  async checkWeekly(m: EntityManager, orgId: string, limitPflopsHours: number, startsAt: number, tflops: number, hours: number): Promise<QuotaException | null> {
    const [w]: { t: Date; used: number }[] = await m.query(
      `SELECT t, COALESCE(SUM(b.tflops::bigint * b.hours), 0)::float8 AS used
       FROM generate_series($2::timestamptz - interval '${WEEK_HOURS - 1} hours', $2::timestamptz, interval '1 hour') AS t
       LEFT JOIN bookings b ON b.org_id = $1 AND b.status = 'CONFIRMED' AND b.starts_at >= t AND b.starts_at < t + interval '7 days'
       GROUP BY t ORDER BY used DESC, t LIMIT 1`,
      [orgId, new Date(startsAt)],
    );
    const total = (Number(w.used) + tflops * hours) / 1000;
    if (total <= limitPflopsHours + 1e-9) return null;
    const from = new Date(w.t).getTime();
    const over = total - limitPflopsHours;
    return new QuotaException(
      QuotaErrorCode.QUOTA_EXCEEDED,
      `access rule exceeded: at most ${fmt(limitPflopsHours)} PFLOPS-hours per rolling 7 days; bookings starting between ${iso(from)} and ${iso(from + WEEK_HOURS * HOUR_MS)} ` +
        `would total ${fmt(total)} PFLOPS-hours with this one (${fmt((tflops * hours) / 1000)}), over the limit by ${fmt(over)} PFLOPS-hours`,
      undefined,
      { limit: 'PFLOPS_HOURS_PER_7_DAYS', over: Math.round(over * 1000) / 1000 },
    );
  }

  /**
   * Explains a request that only the cluster share blocked, with the smallest excess over every
   * start in the window on every allowed cluster (the excess of a start is its worst hour).
   * Complexity: O(clusters x slots x hours).
   */
  shareExceeded(share: number, clusters: ShareCandidate[], slots: number, hours: number, tflops: number, slot0: number): QuotaException {
    let best = { over: Infinity, name: '', slot: 0, held: 0, limit: 0 };
    for (const c of clusters) {
      for (let start = 0; start + hours <= slots; start++) {
        let worst = { over: -Infinity, slot: start, held: 0, limit: 0 };
        for (let s = start; s < start + hours; s++) {
          const limit = shareLimitTflops(share, c.capacityAt(s));
          const over = c.held[s] + tflops - limit;
          if (over > worst.over) worst = { over, slot: s, held: c.held[s], limit };
        }
        if (worst.over < best.over) best = { ...worst, name: c.name };
      }
    }
    return new QuotaException(
      QuotaErrorCode.QUOTA_EXCEEDED,
      `access rule exceeded: at most ${fmt(share * 100)}% of any one cluster per hour; at best, on cluster ${best.name} at ${iso(slot0 + best.slot * HOUR_MS)} that is ${fmt(best.limit / 1000)} PFLOPS, ` +
        `the startup already holds ${fmt(best.held / 1000)} PFLOPS and asks ${fmt(tflops / 1000)} more, over the limit by ${fmt(best.over / 1000)} PFLOPS`,
      undefined,
      { limit: 'CLUSTER_SHARE', over: Math.round(best.over) / 1000 },
    );
  }
}

function toModel(r: AccessRuleEntity): AccessRuleModel {
  return { organizationId: r.orgId, maxPflopsHoursPer7Days: r.maxPflopsHoursPer7Days, maxClusterShare: r.maxClusterShare, updatedAt: r.updatedAt };
}
