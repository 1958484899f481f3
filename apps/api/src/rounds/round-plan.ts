import {
  Fleet,
  JobRequest,
  Objective,
  packBatchAsync,
  Placement,
  RefusalReason,
  tflopsToPflops,
} from '@pflex/scheduler';
import type { UsageRow } from '../ledger/ledger.repository';
import { HOUR_MS } from '../common/time.utils';
import { heldTflops, QuotasService, Rules, shareLimitTflops, StartUsage } from '../quotas/quotas.service';
import { jobOf, shareRoom, ValidRequest } from '../bookings/utils/fleet-window';
import { placeWithinWeek } from '../bookings/utils/weekly-room';
import { Refusals } from '../bookings/utils/refusals';

/** A round request as the clearing places it: its window already clipped to the bookable hours. */
export interface RoundMember {
  orgId: string;
  v: ValidRequest;
  objective: Objective;
}

/** The access rules in force at the clearing: locked rules per startup and their confirmed bookings around the round. */
export interface RuleBook {
  rules: Map<string, Rules>;
  usage: readonly UsageRow[];
}

/** One way of placing a round's members: which were placed where (in commit order), and why the others were not. */
export interface RoundPlan {
  /** member index and placement, in commit order (replaying them in this order reproduces every figure) */
  placed: { i: number; pl: Placement }[];
  /** member index and why not: a scheduler reason, or the access rule it breaks */
  refused: { i: number; reason: RefusalReason | Error }[];
  strategy: string;
  /** the members the packing was made without (an access rule refused them in an earlier one) */
  without?: number[];
}

/** PFLOPS-hours, green and energy of a plan, the figures a round shows for itself and its baseline. */
export interface PlanFigures {
  placed: number;
  refused: number;
  pflopsHours: number;
  greenMwh: number;
  energyMwh: number;
  /** green MWh / energy MWh of the placed bookings (0 when none) */
  greenShare: number;
}

/**
 * Improvement iterations of the packer: a count, not a time budget, so the same round clears the
 * same way on any machine. 2,000 at most: on 40 seeded small rounds 20,000 gained 0.1 % more
 * PFLOPS-hours for 8.5 x the time; large rounds get fewer (400 at 10,000 requests, 40 at 100,000).
 */
export function roundIterations(n: number): number {
  return Math.min(2_000, Math.ceil(4e6 / Math.max(1, n)));
}

/** Packings of a round beyond the first: again without the members an access rule refused. */
const MAX_REPACKS = 2;

/**
 * The clearing: every member packed at once by `packBatch` on a copy of `fleet` (the timelines,
 * slot 0 = epoch hour `base`; not changed), maximising PFLOPS-hours placed, then placing each
 * member by its own objective where that places as much, then green MWh, then earliness;
 * minGreenShare is hard. Deterministic: no time budget, a fixed seed and a fixed
 * number of improvement iterations. Access rules are then applied in commit order, counting the
 * members accepted before: a member whose packed start breaks the 7-day rule or its cluster
 * share is placed again as bookCompute places it (within the share, then the best start that
 * keeps the 7-day rule, in the room left), and one that no start fits gives its room up.
 * Members no rule limits keep the packer's start and cluster, their green taken again from what
 * is free at their turn; the members the packer could not place and those the rules turned down
 * then try the room left, in submission order, and the ones still refused are refused by what
 * holds on the final plan (RuleChecker.refusal). The packer does not know the
 * rules, so the room it gave a member the rules then refused may be the room another member
 * needed: when the rules refused some, the round is packed again without them (they only try
 * what is left, last), up to MAX_REPACKS times, and the plan placing the most PFLOPS-hours is kept.
 */
export async function packRound(
  fleet: Fleet,
  base: number,
  members: readonly RoundMember[],
  book: RuleBook,
  quotas: QuotasService,
): Promise<RoundPlan> {
  const without = new Set<number>();
  let best: RoundPlan | null = null;
  for (let pass = 0; pass <= MAX_REPACKS; pass++) {
    const { plan, ruled } = await packOnce(fleet.clone(), base, members, book, quotas, without);
    if (best === null || volume(plan) > volume(best)) best = plan;
    const fresh = ruled.filter((i) => !without.has(i));
    if (fresh.length === 0) break;
    for (const i of fresh) without.add(i);
  }
  return best!;
}

/** TFLOPS-hours a plan places (exact: integer TFLOPS times hours). */
export function volume(plan: RoundPlan): number {
  let v = 0;
  for (const { pl } of plan.placed) v += pl.tflops * pl.hours;
  return v;
}

/** One packing of the round without the members in `without` (they try what is left, in order); `ruled`: the members an access rule refused. */
export async function packOnce(
  fleet: Fleet,
  base: number,
  members: readonly RoundMember[],
  book: RuleBook,
  quotas: QuotasService,
  without: ReadonlySet<number>,
): Promise<{ plan: RoundPlan; ruled: number[] }> {
  const jobs: JobRequest[] = [];
  members.forEach((m, i) => {
    if (!without.has(i)) jobs.push({ ...jobOf(m.v, base), id: String(i), objective: m.objective });
  });
  // packed in slices with turns of the event loop between them: the process keeps answering
  // (quotes, reads, health) while a large round packs for seconds
  const r = await packBatchAsync(fleet.clone(), jobs, {
    timeBudgetMs: Number.MAX_SAFE_INTEGER,
    seed: 1,
    iterations: roundIterations(jobs.length),
  });
  // the packing replayed on `fleet` in its commit order (the same state), so that each placement
  // can be taken back and moved or refused
  const handles = r.placements.map((pl) => fleet.commit(pl));
  const rules = new RuleChecker(book, quotas, fleet, base);
  const plan: RoundPlan = without.size
    ? { placed: [], refused: [], strategy: `${r.strategy}+rules`, without: [...without].sort((a, b) => a - b) }
    : { placed: [], refused: [], strategy: r.strategy };
  const ruled: number[] = [];
  r.placements.forEach((pl, k) => {
    const i = Number(pl.job);
    fleet.release(handles[k]);
    // its green taken again from what is free now: a member before it that the rules refused or
    // moved may have left it more than the packer gave (each booking takes min(draw, green free))
    const admitted = rules.admit(members[i], resettled(fleet, base, members[i], pl));
    if (admitted instanceof Error) ruled.push(i);
    else plan.placed.push({ i, pl: admitted });
  });
  // the room the rules freed (members refused or placed again elsewhere): members the packer could
  // not place, those left out and those the rules refused above try it, in submission order, each
  // by its own objective and under its rules
  const left = r.unplaced
    .map((u) => Number(u.job))
    .concat([...without], ruled)
    .sort((a, b) => a - b);
  const refused: RoundPlan['refused'] = [];
  for (const i of left) {
    const d = fleet.place(jobOf(members[i].v, base), members[i].objective);
    const admitted = d.ok ? rules.admit(members[i], d.placement) : d.reason;
    if (typeof admitted === 'string' || admitted instanceof Error) refused.push({ i, reason: admitted });
    else plan.placed.push({ i, pl: admitted });
  }
  // green a member left after others were placed (one the rules refused or moved after them) goes
  // to the members in its hours: each, in plan order, takes its green again (it can only gain)
  for (const e of plan.placed) e.pl = rules.retake(members[e.i], e.pl);
  plan.refused = refused.map(({ i, reason }) => ({ i, reason: rules.refusal(members[i], reason) }));
  return { plan, ruled };
}

/**
 * Placement `pl` of member `m` (its own room released on `fleet`) as it is now: the same cluster,
 * start and hours, its green taken from what is free now. `pl` when that does not fit (it does:
 * the member held the room until now, and green free only grew).
 */
function resettled(fleet: Fleet, base: number, m: RoundMember, pl: Placement): Placement {
  const job: JobRequest = {
    ...jobOf(m.v, base),
    id: pl.job,
    clusters: [pl.cluster],
    earliest: pl.start,
    deadline: pl.start + pl.hours,
  };
  const d = fleet.place(job, m.objective);
  return d.ok ? d.placement : pl;
}

/**
 * The first-come baseline: the same members placed one by one in submission order, each with its
 * own objective, on `fleet` (changed in place), under the same access rules — what placing them
 * the moment they arrived would have done on the same ledger.
 */
export function firstCome(
  fleet: Fleet,
  base: number,
  members: readonly RoundMember[],
  book: RuleBook,
  quotas: QuotasService,
): RoundPlan {
  const rules = new RuleChecker(book, quotas, fleet, base);
  const plan: RoundPlan = { placed: [], refused: [], strategy: 'first-come' };
  const refused: RoundPlan['refused'] = [];
  members.forEach((m, i) => {
    const d = fleet.place(jobOf(m.v, base), m.objective);
    const admitted = d.ok ? rules.admit(m, d.placement) : d.reason;
    if (typeof admitted === 'string' || admitted instanceof Error) refused.push({ i, reason: admitted });
    else plan.placed.push({ i, pl: admitted });
  });
  plan.refused = refused.map(({ i, reason }) => ({ i, reason: rules.refusal(members[i], reason) }));
  return plan;
}

export function figures(plan: RoundPlan): PlanFigures {
  let tfh = 0;
  let green = 0;
  let energy = 0;
  for (const { pl } of plan.placed) {
    tfh += pl.tflops * pl.hours;
    green += pl.greenMwh;
    energy += pl.energyMwh;
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    placed: plan.placed.length,
    refused: plan.refused.length,
    pflopsHours: r3(tflopsToPflops(tfh)),
    greenMwh: r3(green),
    energyMwh: r3(energy),
    greenShare: energy > 0 ? Math.round((green / energy) * 1e4) / 1e4 : 0,
  };
}

/**
 * A startup's access rules over a sequence of placements: the 7-day PFLOPS-hours limit and the
 * cluster share, each counting the startup's confirmed bookings and the placements accepted so
 * far — the same rules bookCompute applies, to a placement already chosen.
 */
class RuleChecker {
  private readonly accepted: UsageRow[] = [];
  /** the fleet's handle of each placement admitted */
  private readonly handles = new Map<Placement, number>();

  constructor(
    private readonly book: RuleBook,
    private readonly quotas: QuotasService,
    private readonly fleet: Fleet,
    private readonly base: number,
  ) {}

  /**
   * Member `m` placed at `pl` (not committed on the fleet) under its startup's rules: `pl` when it
   * keeps them; otherwise placed again as bookCompute places it, in the room the others leave: on
   * the window cut to its cluster share (when it has one), then, if that breaks the 7-day rule,
   * the best start for its objective among those that keep it (placeWithinWeek); else the rule
   * `pl` breaks (QUOTA_EXCEEDED: no start of its window keeps the rules and fits). The placement
   * returned is committed on the fleet and counts for the startup's next members.
   */
  admit(m: RoundMember, pl: Placement): Placement | Error {
    const rules = this.book.rules.get(m.orgId);
    if (rules && (rules.maxPflopsHoursPer7Days != null || rules.maxClusterShare != null)) {
      const { mine, starts } = this.usageOf(m);
      const broken = this.ruleBroken(m, rules, pl, mine, starts);
      if (broken) {
        const again = this.placeUnderRules(m, rules, mine, starts);
        if (again === null) return broken;
        if (again instanceof Error) return again;
        pl = again;
      }
    }
    this.handles.set(pl, this.fleet.commit(pl));
    this.accepted.push({
      org_id: m.orgId,
      cluster_id: pl.cluster,
      h: this.base + pl.start,
      hours: pl.hours,
      tflops: pl.tflops,
    });
    return pl;
  }

  /**
   * Admitted placement `pl` of member `m` taking its green again from what is free now: the same
   * cluster, start and hours (the same usage), at least the green it had (its own is free again).
   */
  retake(m: RoundMember, pl: Placement): Placement {
    this.fleet.release(this.handles.get(pl)!);
    this.handles.delete(pl);
    const now = resettled(this.fleet, this.base, m, pl);
    this.handles.set(now, this.fleet.commit(now));
    return now;
  }

  /**
   * Why member `m`, refused, is refused on the final plan (this fleet with every member accepted,
   * and their usage): the scheduler's reason when no start fits even without the rules, else the
   * rule its best start breaks when no start keeps the rules — what bookCompute would answer for
   * it right after the clearing; `tried`, the reason it was refused with when it was tried, if
   * it would fit now. Nothing is committed.
   */
  refusal(m: RoundMember, tried: RefusalReason | Error): RefusalReason | Error {
    const d = this.fleet.place(jobOf(m.v, this.base), m.objective);
    if (!d.ok) return d.reason;
    const rules = this.book.rules.get(m.orgId);
    const { mine, starts } = this.usageOf(m);
    if (!rules) return tried;
    const again = this.placeUnderRules(m, rules, mine, starts);
    if (again instanceof Error) return again;
    const broken = this.ruleBroken(m, rules, d.placement, mine, starts);
    // (it fits only if room was freed after it was tried; members are tried after every release
    // and room only shrinks after, so that does not happen)
    return again === null && broken ? broken : tried;
  }

  /** The access rule `pl` breaks for member `m` (the 7-day limit first, then the cluster share), else null. */
  private ruleBroken(
    m: RoundMember,
    rules: Rules,
    pl: Placement,
    mine: readonly UsageRow[],
    starts: readonly StartUsage[],
  ): Error | null {
    const limit = rules.maxPflopsHoursPer7Days;
    return (
      (limit != null ? this.quotas.weeklyExcess(limit, starts, this.base + pl.start, pl.tflops, pl.hours) : null) ??
      (rules.maxClusterShare != null ? this.shareExcess(m, pl, rules.maxClusterShare, mine) : null)
    );
  }

  /** The startup's confirmed bookings around the round and its members accepted so far. */
  private usageOf(m: RoundMember): { mine: UsageRow[]; starts: StartUsage[] } {
    const mine = this.book.usage
      .filter((u) => u.org_id === m.orgId)
      .concat(this.accepted.filter((u) => u.org_id === m.orgId));
    return { mine, starts: mine.map((u) => ({ h: u.h, tflopsHours: u.tflops * u.hours })) };
  }

  /**
   * The member placed as bookCompute places it (booking-committer): on its window cut to the
   * cluster share, the 7-day rule kept by placeWithinWeek; in the fleet's frame (slot 0 = base).
   */
  private placeUnderRules(
    m: RoundMember,
    rules: Rules,
    mine: readonly UsageRow[],
    starts: readonly StartUsage[],
  ): Placement | Error | null {
    const { on, slot0, cap } = shareRoom(this.fleet, this.base, m.v, rules.maxClusterShare, mine);
    const d = on.place(jobOf(m.v, slot0), m.objective);
    // no start within the share: refused as bookCompute refuses it on the plan so far (the
    // smallest excess over the starts capacity allows; capacity's own reason when it blocks too)
    if (!d.ok) return cap ? new Refusals(this.quotas).explain(m.v, d, m.objective, this.fleet, this.base, cap) : null;
    let pl: Placement | null = d.placement;
    const limit = rules.maxPflopsHoursPer7Days;
    if (limit != null && this.quotas.weeklyExcess(limit, starts, slot0 + pl.start, pl.tflops, pl.hours))
      pl = placeWithinWeek(slot0, m.v, m.objective, limit, starts, (job) => on.place(job, m.objective));
    if (!pl) return null;
    const shift = slot0 - this.base;
    return {
      ...pl,
      clusterIndex: this.fleet.clusterIndex(pl.cluster),
      start: pl.start + shift,
      end: pl.end + shift,
    };
  }

  /** QUOTA_EXCEEDED when `pl` takes the startup beyond its share of the cluster in one of its hours. */
  private shareExcess(m: RoundMember, pl: Placement, share: number, mine: readonly UsageRow[]): Error | null {
    const startH = this.base + pl.start;
    const held = heldTflops(mine, [pl.cluster], startH, pl.hours).get(pl.cluster)!;
    const name = m.v.clusters.find((c) => c.id === pl.cluster)?.name ?? pl.cluster;
    const capacityAt = (s: number) => this.fleet.capacityTflops(pl.cluster, pl.start + s);
    for (let s = 0; s < pl.hours; s++) {
      if (held[s] + pl.tflops > shareLimitTflops(share, capacityAt(s))) {
        return this.quotas.shareExceeded(
          share,
          [{ id: pl.cluster, name, held, capacityAt }],
          pl.hours,
          pl.hours,
          pl.tflops,
          startH * HOUR_MS,
        );
      }
    }
    return null;
  }
}
