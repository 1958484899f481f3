import { Injectable } from '@nestjs/common';
import { AccessRuleEntity, OrganizationEntity } from '@pflex/persistence';
import { tflopsToPflops } from '@pflex/scheduler';
import { DataSource } from 'typeorm';
import { isUuid } from '../common/ids';
import { HOUR_MS, iso } from '../common/time.utils';
import { ChangeFeed, FeedMessage } from '../events/change-feed.service';
import { FeedCache } from '../events/feed-cache';
import type { Principal } from '../security/principal';
import { AccessRuleInput } from './dtos/access-rule.input';
import { AccessRuleModel } from './dtos/access-rule.model';
import { QuotaErrorCode, QuotaException } from './quotas.exception';

export const WEEK_HOURS = 7 * 24;

/** A startup's access rules (null limits: none). */
export interface Rules {
  maxPflopsHoursPer7Days: number | null;
  maxClusterShare: number | null;
}

/** One of a startup's confirmed bookings as the 7-day rule sees it: start (epoch hour) and TFLOPS x hours. */
export interface StartUsage {
  h: number;
  tflopsHours: number;
}

/** An organization's access rules or vouchers changed (cache invalidation on every process). */
export interface OrgChangedMessage extends FeedMessage {
  k: 'org';
  org: string;
  what: 'rules' | 'vouchers';
}

const RULES_TTL_MS = 60_000;

/** Per cluster id, TFLOPS already held by one startup in each slot of a range. */
export type HeldTflops = Map<string, Int32Array>;

/** One allowed cluster as the share check sees it: held TFLOPS and capacity per slot. */
export interface ShareCandidate {
  id: string;
  name: string;
  held: Int32Array;
  capacityAt: (slot: number) => number;
  /** whether a start has the capacity without the share rule (default: every start) */
  fits?: (start: number) => boolean;
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
  /** org -> rules (null: none) for quotes; changes arrive on the change feed */
  private readonly cache: FeedCache<Rules | null>;

  constructor(
    private readonly ds: DataSource,
    private readonly feed: ChangeFeed,
  ) {
    this.cache = new FeedCache(feed, RULES_TTL_MS);
    feed?.on<OrgChangedMessage>('org', (m) => {
      if (m.what === 'rules') this.cache.drop(m.org);
    });
  }

  /** The startup's rules for quotes: from this process's cache (one read on a miss). Bookings lock and re-read them. */
  async cachedRules(orgId: string): Promise<Rules | null> {
    return this.cache.get(orgId, async () => {
      const row = await this.ds.manager.findOneBy(AccessRuleEntity, { orgId });
      return row && (row.maxPflopsHoursPer7Days !== null || row.maxClusterShare !== null)
        ? { maxPflopsHoursPer7Days: row.maxPflopsHoursPer7Days, maxClusterShare: row.maxClusterShare }
        : null;
    });
  }

  async set(input: AccessRuleInput): Promise<AccessRuleModel> {
    const rule = await this.ds.transaction(async (m) => {
      const org = isUuid(input.organizationId)
        ? await m.findOneBy(OrganizationEntity, { id: input.organizationId })
        : null;
      if (!org)
        throw new QuotaException(
          QuotaErrorCode.ORGANIZATION_NOT_FOUND,
          `organization ${input.organizationId} not found`,
          'input.organizationId',
        );
      if (org.role !== 'STARTUP')
        throw new QuotaException(
          QuotaErrorCode.NOT_A_STARTUP,
          `access rules apply to startups; organization ${org.id} is ${org.role}`,
          'input.organizationId',
        );
      await m.query(
        `INSERT INTO access_rules (org_id, max_pflops_hours_per_7_days, max_cluster_share, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (org_id) DO UPDATE SET max_pflops_hours_per_7_days = EXCLUDED.max_pflops_hours_per_7_days, max_cluster_share = EXCLUDED.max_cluster_share, updated_at = now()`,
        [org.id, input.maxPflopsHoursPer7Days ?? null, input.maxClusterShare ?? null],
      );
      await m.query(`SELECT pg_notify($1, $2)`, [
        this.feed.channel,
        this.feed.encode({ k: 'org', org: org.id, what: 'rules' }),
      ]);
      return toModel(await m.findOneByOrFail(AccessRuleEntity, { orgId: org.id }));
    });
    this.cache.drop(rule.organizationId);
    return rule;
  }

  /** Bureau: any startup's; a startup: its own (others NOT_FOUND, as an organization nobody has). Null when it has no rules. */
  async get(p: Principal, organizationId: string): Promise<AccessRuleModel | null> {
    const notFound = () =>
      new QuotaException(
        QuotaErrorCode.ORGANIZATION_NOT_FOUND,
        `organization ${organizationId} not found`,
        'organizationId',
      );
    if (p.role !== 'BUREAU' && organizationId !== p.orgId) throw notFound();
    const r = isUuid(organizationId)
      ? await this.ds.manager.findOneBy(AccessRuleEntity, { orgId: organizationId })
      : null;
    // a rule whose limits were all cleared is no rule
    if (r) return r.maxPflopsHoursPer7Days !== null || r.maxClusterShare !== null ? toModel(r) : null;
    // no rules, or no such organization: a mistyped id must not read as "no rules"
    if (!isUuid(organizationId) || !(await this.ds.manager.existsBy(OrganizationEntity, { id: organizationId })))
      throw notFound();
    return null;
  }

  /** TFLOPS the startup holds per cluster and slot of [from, to) through CONFIRMED bookings (quotes). */
  async held(orgId: string, clusterIds: string[], from: number, to: number): Promise<HeldTflops> {
    const rows: { cluster_id: string; h: number; hours: number; tflops: number }[] = await this.ds.query(
      `SELECT cluster_id, (extract(epoch FROM starts_at) / 3600)::int AS h, hours, tflops FROM bookings
       WHERE org_id = $1 AND cluster_id = ANY($2::uuid[]) AND status = 'CONFIRMED' AND starts_at < $4 AND ends_at > $3`,
      [orgId, clusterIds, new Date(from), new Date(to)],
    );
    return heldTflops(rows, clusterIds, from / HOUR_MS, (to - from) / HOUR_MS);
  }

  /** The startup's confirmed bookings starting within 7 days of [from, to) (quotes). */
  async starts(orgId: string, from: number, to: number): Promise<StartUsage[]> {
    const rows: { h: number; th: string }[] = await this.ds.query(
      `SELECT (extract(epoch FROM starts_at) / 3600)::int AS h, (tflops::bigint * hours)::text AS th FROM bookings
       WHERE org_id = $1 AND status = 'CONFIRMED' AND starts_at > $2 AND starts_at < $3`,
      [orgId, new Date(from - WEEK_HOURS * HOUR_MS), new Date(to + WEEK_HOURS * HOUR_MS)],
    );
    return rows.map((r) => ({ h: r.h, tflopsHours: Number(r.th) }));
  }

  /**
   * QUOTA_EXCEEDED if a booking of `tflops` x `hours` starting at epoch hour `startH` breaks the
   * 7-day rule, given the startup's other confirmed bookings `usage` (at least those starting
   * within 7 days of it). Complexity: O(usage x log usage).
   */
  weeklyExcess(
    limitPflopsHours: number,
    usage: readonly StartUsage[],
    startH: number,
    tflops: number,
    hours: number,
  ): QuotaException | null {
    const best = worstWeek(usage, startH);
    const total = tflopsToPflops(best.used + tflops * hours);
    if (total <= limitPflopsHours + 1e-9) return null;
    const from = best.t * HOUR_MS;
    const over = total - limitPflopsHours;
    return new QuotaException(
      QuotaErrorCode.QUOTA_EXCEEDED,
      `access rule exceeded: at most ${fmt(limitPflopsHours)} PFLOPS-hours per rolling 7 days; bookings starting between ${iso(from)} and ${iso(from + WEEK_HOURS * HOUR_MS)} ` +
        `would total ${fmt(total)} PFLOPS-hours (${fmt(tflopsToPflops(best.used))} already booked + ${fmt(tflopsToPflops(tflops * hours))} of this one), over the limit by ${fmt(over)} PFLOPS-hours`,
      undefined,
      {
        limit: 'PFLOPS_HOURS_PER_7_DAYS',
        over: Math.round(over * 1000) / 1000,
        windowStart: iso(from),
        windowEnd: iso(from + WEEK_HOURS * HOUR_MS),
      },
    );
  }

  /**
   * PFLOPS-hours a booking starting in the current hour could still take under the 7-day rule:
   * the limit minus the worst 7-day window containing this hour (never below 0). Null without that limit.
   */
  async weeklyHeadroom(orgId: string, limitPflopsHours: number | null, now: number): Promise<number | null> {
    if (limitPflopsHours === null) return null;
    const h = Math.floor(now / HOUR_MS);
    const used = worstWeek(await this.starts(orgId, h * HOUR_MS, (h + 1) * HOUR_MS), h).used / 1000;
    return Math.max(0, Math.round((limitPflopsHours - used) * 1000) / 1000);
  }

  /**
   * Explains a request that only the cluster share blocked, with the smallest excess over every
   * start in the window on every allowed cluster (the excess of a start is its worst hour).
   * Complexity: O(clusters x slots x hours).
   */
  shareExceeded(
    share: number,
    clusters: ShareCandidate[],
    slots: number,
    hours: number,
    tflops: number,
    slot0: number,
  ): QuotaException {
    let best = { over: Infinity, id: '', name: '', slot: 0, held: 0, limit: 0 };
    for (const c of clusters) {
      for (let start = 0; start + hours <= slots; start++) {
        // only starts the capacity allows, and where the share is what binds
        if (c.fits && !c.fits(start)) continue;
        let worst = { over: -Infinity, slot: start, held: 0, limit: 0 };
        for (let s = start; s < start + hours; s++) {
          const limit = shareLimitTflops(share, c.capacityAt(s));
          const over = c.held[s] + tflops - limit;
          if (over > worst.over) worst = { over, slot: s, held: c.held[s], limit };
        }
        if (worst.over > 0 && worst.over < best.over) best = { ...worst, id: c.id, name: c.name };
      }
    }
    return new QuotaException(
      QuotaErrorCode.QUOTA_EXCEEDED,
      `access rule exceeded: at most ${fmt(share * 100)}% of any one cluster per hour; at best, on cluster ${best.name} at ${iso(slot0 + best.slot * HOUR_MS)} that is ${fmt(tflopsToPflops(best.limit))} PFLOPS, ` +
        `the startup already holds ${fmt(tflopsToPflops(best.held))} PFLOPS and asks ${fmt(tflopsToPflops(tflops))} more, over the limit by ${fmt(tflopsToPflops(best.over))} PFLOPS`,
      undefined,
      {
        limit: 'CLUSTER_SHARE',
        over: tflopsToPflops(Math.round(best.over)),
        clusterId: best.id,
        hour: iso(slot0 + best.slot * HOUR_MS),
      },
    );
  }
}

function toModel(r: AccessRuleEntity): AccessRuleModel {
  return {
    organizationId: r.orgId,
    maxPflopsHoursPer7Days: r.maxPflopsHoursPer7Days,
    maxClusterShare: r.maxClusterShare,
    updatedAt: r.updatedAt,
  };
}

/**
 * The 7-day window [t, t + 168 h) with t in (startH - 168, startH] holding the most TFLOPS-hours of
 * starts in `usage`, and that sum (the earliest such window). Complexity: O(usage x log usage).
 */
export function worstWeek(usage: readonly StartUsage[], startH: number): { t: number; used: number } {
  const inRange = usage.filter((u) => u.h > startH - WEEK_HOURS && u.h < startH + WEEK_HOURS).sort((a, b) => a.h - b.h);
  let best = { t: startH - WEEK_HOURS + 1, used: -1 };
  let lo = 0;
  let hi = 0;
  let sum = 0;
  for (let t = startH - WEEK_HOURS + 1; t <= startH; t++) {
    while (hi < inRange.length && inRange[hi].h < t + WEEK_HOURS) sum += inRange[hi++].tflopsHours;
    while (lo < hi && inRange[lo].h < t) sum -= inRange[lo++].tflopsHours;
    if (sum > best.used) best = { t, used: sum };
  }
  return best;
}

/** Per cluster, the TFLOPS held in each of `slots` hours from epoch hour `fromH` by the given bookings. */
export function heldTflops(
  rows: readonly { cluster_id: string; h: number; hours: number; tflops: number }[],
  clusterIds: readonly string[],
  fromH: number,
  slots: number,
): HeldTflops {
  const out: HeldTflops = new Map(clusterIds.map((id) => [id, new Int32Array(slots)]));
  for (const r of rows) {
    const a = out.get(r.cluster_id);
    if (!a) continue;
    const s = r.h - fromH;
    for (let i = Math.max(0, s); i < Math.min(slots, s + r.hours); i++) a[i] += r.tflops;
  }
  return out;
}
