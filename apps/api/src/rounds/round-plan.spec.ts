import { Fleet, FleetSpec, mulberry32, Objective } from '@pflex/scheduler';
import type { ClusterMeta } from '../ledger/timelines.service';
import { QuotasService, Rules, WEEK_HOURS } from '../quotas/quotas.service';
import { figures, firstCome, packOnce, packRound, RoundMember, RoundPlan, RuleBook } from './round-plan';

const rng = mulberry32;

const BASE = 500_000; // epoch hour of slot 0
const SLOTS = 200;
const quotas = new QuotasService(undefined as never, undefined as never);

interface Instance {
  fleet: () => Fleet;
  metas: ClusterMeta[];
  members: RoundMember[];
  book: RuleBook;
}

function instance(seed: number): Instance {
  const r = rng(seed);
  const nc = 1 + Math.floor(r() * 3);
  const metas = Array.from(
    { length: nc },
    (_, i) =>
      ({
        id: `c${i}`,
        name: `cluster ${i}`,
        kwPerPflops: 8 + i,
        pue: 1.2,
        pricePerPflopsHour: 5 + i,
        gridPricePerMwh: 90,
      }) as unknown as ClusterMeta,
  );
  const caps = metas.map(() => 20 + Math.floor(r() * 80));
  const windows = metas.map(() =>
    Array.from({ length: 1 + Math.floor(r() * 3) }, () => {
      const start = Math.floor(r() * (SLOTS - 10));
      return {
        start,
        end: start + 2 + Math.floor(r() * 30),
        mw: Math.round(r() * 400) / 1000,
        pricePerMwh: 30 + Math.floor(r() * 40),
      };
    }),
  );
  const pre = Array.from({ length: Math.floor(r() * 6) }, () => ({
    cluster: metas[Math.floor(r() * nc)].id,
    start: Math.floor(r() * (SLOTS - 10)),
    pflops: 1 + Math.floor(r() * 10),
    hours: 1 + Math.floor(r() * 8),
  }));
  const fleet = () => {
    const f = Fleet.fromSpec({
      slots: SLOTS,
      clusters: metas.map((m, i) => ({
        id: m.id,
        capacityPflops: caps[i],
        kwPerPflops: m.kwPerPflops,
        pue: m.pue,
        pricePerPflopsHour: m.pricePerPflopsHour,
        gridPricePerMwh: m.gridPricePerMwh,
      })),
    });
    metas.forEach((m, i) => windows[i].forEach((w) => f.addGreenWindow(m.id, w)));
    for (const b of pre) f.applyBooking({ ...b, greenW: new Int32Array(b.hours) });
    return f;
  };
  const orgs = ['a', 'b', 'c', 'd'];
  const rules = new Map<string, Rules>();
  if (r() < 0.7) rules.set('a', { maxPflopsHoursPer7Days: 50 + Math.floor(r() * 200), maxClusterShare: null });
  if (r() < 0.7) rules.set('b', { maxPflopsHoursPer7Days: null, maxClusterShare: 0.2 + Math.round(r() * 50) / 100 });
  const usage = Array.from({ length: Math.floor(r() * 4) }, () => ({
    org_id: orgs[Math.floor(r() * 2)],
    cluster_id: metas[0].id,
    h: BASE + Math.floor(r() * 40),
    hours: 1 + Math.floor(r() * 5),
    tflops: 1000 * (1 + Math.floor(r() * 5)),
  }));
  const objectives: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];
  const members: RoundMember[] = Array.from({ length: 5 + Math.floor(r() * 60) }, () => {
    const hours = 1 + Math.floor(r() * 12);
    const earliest = Math.floor(r() * (SLOTS - hours - 1));
    const deadline = Math.min(SLOTS, earliest + hours + Math.floor(r() * 40));
    const clusters = r() < 0.5 ? metas : [metas[Math.floor(r() * nc)]];
    const g = r();
    return {
      orgId: orgs[Math.floor(r() * orgs.length)],
      objective: objectives[Math.floor(r() * 3)],
      v: {
        pflops: 1 + Math.floor(r() * 40) + (r() < 0.2 ? 0.5 : 0),
        hours,
        earliestH: BASE + earliest,
        deadlineH: BASE + deadline,
        clusters,
        minGreenShare: g < 0.2 ? 1 : g < 0.4 ? 0.5 : undefined,
      },
    };
  });
  return { fleet, metas, members, book: { rules, usage } };
}

/**
 * Checks a plan against the instance from first principles (not through the Fleet that made it):
 * every member decided once; placements inside their windows on allowed clusters; per cluster-hour
 * TFLOPS within capacity after what was booked before; green within supply; minGreenShare met;
 * access rules (7-day PFLOPS-hours of starts, cluster share per hour) within limits.
 */
function verify(inst: Instance, plan: RoundPlan): void {
  // breaches are collected and asserted once: an expect per cluster-hour made this test slow
  const bad: string[] = [];
  const check = (ok: boolean, what: () => string) => {
    if (!ok) bad.push(what());
  };
  const f = inst.fleet();
  const n = inst.members.length;
  const seen = new Array(n).fill(0);
  for (const p of plan.placed) seen[p.i]++;
  for (const p of plan.refused) seen[p.i]++;
  seen.forEach((x, i) => check(x === 1, () => `member ${i} decided ${x} times`));
  const tf = new Map<string, Float64Array>();
  const green = new Map<string, Float64Array>();
  for (const m of inst.metas) {
    tf.set(m.id, new Float64Array(SLOTS));
    green.set(m.id, new Float64Array(SLOTS));
  }
  const byOrg = new Map<string, { cluster: string; h: number; hours: number; tflops: number }[]>();
  for (const u of inst.book.usage)
    byOrg.set(u.org_id, [
      ...(byOrg.get(u.org_id) ?? []),
      { cluster: u.cluster_id, h: u.h, hours: u.hours, tflops: u.tflops },
    ]);
  for (const { i, pl } of plan.placed) {
    const m = inst.members[i];
    check(
      m.v.clusters.some((c) => c.id === pl.cluster),
      () => `member ${i} on ${pl.cluster}, not one of its clusters`,
    );
    check(pl.start + BASE >= m.v.earliestH, () => `member ${i} starts before its earliest start`);
    check(pl.start + BASE + pl.hours <= m.v.deadlineH, () => `member ${i} ends after its deadline`);
    check(pl.hours === m.v.hours, () => `member ${i}: ${pl.hours} h, asked ${m.v.hours}`);
    check(
      pl.tflops === Math.round(m.v.pflops * 1000),
      () => `member ${i}: ${pl.tflops} TFLOPS, asked ${m.v.pflops} PFLOPS`,
    );
    let g = 0;
    for (let k = 0; k < pl.hours; k++) {
      tf.get(pl.cluster)![pl.start + k] += pl.tflops;
      green.get(pl.cluster)![pl.start + k] += pl.greenW[k];
      g += pl.greenW[k];
    }
    if (m.v.minGreenShare)
      check(
        g >= Math.ceil(m.v.minGreenShare * pl.drawW * pl.hours - 1e-6),
        () => `member ${i}: ${g} Wh green, below its minGreenShare`,
      );
    byOrg.set(m.orgId, [
      ...(byOrg.get(m.orgId) ?? []),
      { cluster: pl.cluster, h: BASE + pl.start, hours: pl.hours, tflops: pl.tflops },
    ]);
  }
  // each booking takes min(draw, green still free) in every hour (README): none draws grid in an
  // hour where green is left free at the end
  for (const { i, pl } of plan.placed) {
    for (let k = 0; k < pl.hours; k++) {
      const s = pl.start + k;
      const left = f.greenSupplyW(pl.cluster, s) - f.greenAllocW(pl.cluster, s) - green.get(pl.cluster)![s];
      check(
        pl.greenW[k] === pl.drawW || left <= 0,
        () => `member ${i}: ${pl.greenW[k]} of ${pl.drawW} W green in slot ${s} of ${pl.cluster}, ${left} W free`,
      );
    }
  }
  for (const c of inst.metas) {
    for (let s = 0; s < SLOTS; s++) {
      check(
        tf.get(c.id)![s] <= f.freeTflops(c.id, s),
        () => `${c.id} slot ${s}: ${tf.get(c.id)![s]} TFLOPS placed, ${f.freeTflops(c.id, s)} free`,
      );
      check(
        green.get(c.id)![s] <= f.greenSupplyW(c.id, s) - f.greenAllocW(c.id, s),
        () => `${c.id} slot ${s}: ${green.get(c.id)![s]} W green placed, more than free`,
      );
    }
  }
  // a refusal holds on the final plan: NO_CAPACITY exactly when no start of the window has the
  // room there (what bookCompute would answer right after the clearing)
  for (const { i, reason } of plan.refused) {
    const v = inst.members[i].v;
    const tflops = Math.round(v.pflops * 1000);
    let room = false;
    for (const c of v.clusters)
      for (let s = v.earliestH - BASE; s + v.hours <= v.deadlineH - BASE && !room; s++) {
        let fits = true;
        for (let k = s; k < s + v.hours; k++) if (f.freeTflops(c.id, k) - tf.get(c.id)![k] < tflops) fits = false;
        room = fits;
      }
    check(
      (reason === 'NO_CAPACITY') === !room,
      () =>
        `member ${i} refused ${reason instanceof Error ? reason.message : reason}, ${room ? 'with' : 'without'} room`,
    );
  }
  for (const [org, rules] of inst.book.rules) {
    const rows = byOrg.get(org) ?? [];
    if (rules.maxPflopsHoursPer7Days != null) {
      for (const a of rows) {
        for (let t = a.h - WEEK_HOURS + 1; t <= a.h; t++) {
          const sum =
            rows.filter((x) => x.h >= t && x.h < t + WEEK_HOURS).reduce((s, x) => s + x.tflops * x.hours, 0) / 1000;
          check(
            sum <= rules.maxPflopsHoursPer7Days + 1e-9,
            () => `${org}: ${sum} PFLOPS-hours starting in [${t}, ${t + WEEK_HOURS})`,
          );
        }
      }
    }
    if (rules.maxClusterShare != null) {
      for (const { i, pl } of plan.placed) {
        if (inst.members[i].orgId !== org) continue;
        for (let s = pl.start; s < pl.start + pl.hours; s++) {
          const held = rows
            .filter((x) => x.cluster === pl.cluster && x.h <= BASE + s && x.h + x.hours > BASE + s)
            .reduce((a, x) => a + x.tflops, 0);
          check(
            held <= Math.floor(rules.maxClusterShare * f.capacityTflops(pl.cluster, s) + 1e-9),
            () => `${org}: ${held} TFLOPS held on ${pl.cluster} in slot ${s}, over its share`,
          );
        }
      }
    }
  }
  expect(bad).toEqual([]);
}

/** One empty 100-PFLOPS cluster and a rule book in which `org` may hold at most `share` of it. */
function shareRuled(org: string, share: number) {
  const meta = { id: 'c0', name: 'X', kwPerPflops: 10, pue: 1.2, pricePerPflopsHour: 2, gridPricePerMwh: 100 };
  const fleet = () =>
    Fleet.fromSpec({ slots: SLOTS, clusters: [{ ...meta, capacityPflops: 100 }] as FleetSpec['clusters'] });
  const book: RuleBook = {
    rules: new Map([[org, { maxPflopsHoursPer7Days: null, maxClusterShare: share }]]),
    usage: [],
  };
  return { meta, fleet, book };
}

describe('round plan: packRound and the first-come baseline against an independent check', () => {
  it('never over capacity, green or an access rule; every member decided once; deterministic (60 seeded instances)', async () => {
    let gained = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const inst = instance(seed);
      const plan = await packRound(inst.fleet(), BASE, inst.members, inst.book, quotas);
      verify(inst, plan);
      const again = await packRound(inst.fleet(), BASE, inst.members, inst.book, quotas);
      expect(again.placed.map((p) => [p.i, p.pl.cluster, p.pl.start, [...p.pl.greenW]])).toEqual(
        plan.placed.map((p) => [p.i, p.pl.cluster, p.pl.start, [...p.pl.greenW]]),
      );
      const fc = firstCome(inst.fleet(), BASE, inst.members, inst.book, quotas);
      verify(inst, fc);
      if (figures(plan).pflopsHours > figures(fc).pflopsHours) gained++;
    }
    // pooling wins on a good share of the instances (it may lose a little where rules bind after
    // packing: the clearing then takes the first-come plan, rounds.e2e-spec)
    expect(gained).toBeGreaterThan(15);
    // (about 15-25 s of CPU: a deadline for a stuck loop, not a speed check, on a busy machine too)
  }, 180_000);

  it('no member draws grid beside free green, even where a member placed after it was then refused or moved (seeds found by searching 61-700)', async () => {
    // in these, a member the rules moved took its green while a later member still held green in
    // its new hours; that member was then refused, and its green stayed free beside grid draws
    for (const seed of [125, 187, 253, 307, 416]) {
      const inst = instance(seed);
      verify(inst, await packRound(inst.fleet(), BASE, inst.members, inst.book, quotas));
    }
  }, 30_000);

  it("moves or refuses only members an access rule limits: the others keep the packer's placement", async () => {
    let moved = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const inst = instance(seed);
      const where = (plan: RoundPlan) => new Map(plan.placed.map(({ i, pl }) => [i, `${pl.cluster}@${pl.start}`]));
      const plan = await packRound(inst.fleet(), BASE, inst.members, inst.book, quotas);
      const ruled = where(plan);
      // the packer's placement of the packing the plan came from (made without the members the
      // rules refused in an earlier one, when it was packed again)
      const packed = where(
        (
          await packOnce(
            inst.fleet(),
            BASE,
            inst.members,
            { rules: new Map(), usage: [] },
            quotas,
            new Set(plan.without),
          )
        ).plan,
      );
      for (const [i, at] of packed) {
        if (inst.book.rules.has(inst.members[i].orgId)) {
          if (ruled.get(i) !== at) moved++;
        } else expect({ seed, i, at: ruled.get(i) }).toEqual({ seed, i, at });
      }
    }
    // members the rules moved or refused (a move itself: rounds.e2e-spec, "breaks the 7-day rule")
    expect(moved).toBeGreaterThan(20);
  }, 180_000);

  it('refuses a member by the access rule it breaks, with the rule in the message', async () => {
    const inst = instance(3);
    inst.book.rules.set('z', { maxPflopsHoursPer7Days: 1, maxClusterShare: null });
    const m: RoundMember = {
      orgId: 'z',
      objective: 'EARLIEST',
      v: { pflops: 1, hours: 2, earliestH: BASE, deadlineH: BASE + SLOTS, clusters: inst.metas },
    };
    const plan = await packRound(inst.fleet(), BASE, [m, m], inst.book, quotas);
    const refused = plan.refused.map((r) => r.reason);
    expect(refused.length).toBe(2);
    expect(refused.every((r) => r instanceof Error && /7 days/.test(r.message))).toBe(true);
  });

  it('a member over its cluster share at the packed start moves to the best start within the share, as bookCompute', async () => {
    const meta = {
      id: 'c0',
      name: 'cluster 0',
      kwPerPflops: 10,
      pue: 1.2,
      pricePerPflopsHour: 5,
      gridPricePerMwh: 90,
    } as unknown as ClusterMeta;
    const fleet = () =>
      Fleet.fromSpec({
        slots: SLOTS,
        clusters: [
          {
            id: 'c0',
            capacityPflops: 100,
            kwPerPflops: 10,
            pue: 1.2,
            pricePerPflopsHour: 5,
            gridPricePerMwh: 90,
          },
        ],
      });
    // the startup holds 40 of 100 PFLOPS in hours 2-3 already; its share is half the cluster
    const book: RuleBook = {
      rules: new Map([['s', { maxPflopsHoursPer7Days: null, maxClusterShare: 0.5 }]]),
      usage: [{ org_id: 's', cluster_id: 'c0', h: BASE + 2, hours: 2, tflops: 40_000 }],
    };
    const m: RoundMember = {
      orgId: 's',
      objective: 'EARLIEST',
      v: { pflops: 30, hours: 2, earliestH: BASE + 2, deadlineH: BASE + 8, clusters: [meta] },
    };
    // without the rule the packer takes hour 2; within the share (10 PFLOPS left there) hour 4
    const free = await packRound(fleet(), BASE, [m], { rules: new Map(), usage: [] }, quotas);
    expect(free.placed.map((p) => p.pl.start)).toEqual([2]);
    const plan = await packRound(fleet(), BASE, [m], book, quotas);
    expect(plan.refused).toEqual([]);
    expect(plan.placed.map((p) => [p.pl.cluster, p.pl.start, p.pl.end])).toEqual([['c0', 4, 6]]);
    // no start of the window keeps the share: refused by it
    const tight = await packRound(fleet(), BASE, [{ ...m, v: { ...m.v, deadlineH: BASE + 4 } }], book, quotas);
    expect(tight.refused.map((r) => (r.reason instanceof Error ? r.reason.message : r.reason))).toEqual([
      expect.stringMatching(/at most 50% of any one cluster per hour/),
    ]);
  });

  // found by a black-box review: the room a refused member held was lost, so the round placed less
  // than first-come and refused an unruled member with NO_CAPACITY while the cluster sat empty
  it('members the packer could not place take the room the rules freed', async () => {
    const meta = { id: 'c0', name: 'X', kwPerPflops: 10, pue: 1.2, pricePerPflopsHour: 2, gridPricePerMwh: 700 };
    const fleet = () =>
      Fleet.fromSpec({ slots: SLOTS, clusters: [{ ...meta, capacityPflops: 100 }] as FleetSpec['clusters'] });
    const book: RuleBook = {
      rules: new Map([['r', { maxPflopsHoursPer7Days: 100, maxClusterShare: null }]]),
      usage: [],
    };
    const member = (orgId: string, hours: number): RoundMember => ({
      orgId,
      objective: 'EARLIEST',
      v: { pflops: 100, hours, earliestH: BASE, deadlineH: BASE + 5, clusters: [meta as unknown as ClusterMeta] },
    });
    const members = [member('r', 3), member('u', 2), member('u', 2)];
    const plan = await packRound(fleet(), BASE, members, book, quotas);
    // r breaks its 7-day rule at every start; both of u's fit once its room is free
    expect(plan.refused.map((x) => x.i)).toEqual([0]);
    expect(plan.placed.map((p) => [p.i, p.pl.start]).sort()).toEqual([
      [1, 3],
      [2, 0],
    ]);
    const fc = firstCome(fleet(), BASE, members, book, quotas);
    expect(figures(plan).pflopsHours).toBeGreaterThanOrEqual(figures(fc).pflopsHours);
  });

  // found by a black-box review: the packer gave the room to a member whose rule then refused it,
  // and the member sharing the hours with it kept its place, so the round placed 40 PFLOPS-hours
  // where first-come placed 140
  it('packs again without the members the rules refuse, so the round never places less than first-come', async () => {
    const { meta, fleet, book } = shareRuled('q', 0.3);
    const member = (orgId: string, pflops: number, hours: number): RoundMember => ({
      orgId,
      objective: 'EARLIEST',
      v: { pflops, hours, earliestH: BASE + 2, deadlineH: BASE + 4, clusters: [meta as unknown as ClusterMeta] },
    });
    // p2: 70 x 2 h; q: 60 x 2 h, never within its 30 % share; p: 40 x 1 h
    const members = [member('p2', 70, 2), member('q', 60, 2), member('p', 40, 1)];
    const plan = await packRound(fleet(), BASE, members, book, quotas);
    const fc = firstCome(fleet(), BASE, members, book, quotas);
    expect(figures(fc).pflopsHours).toBe(140);
    expect(figures(plan).pflopsHours).toBe(140);
    expect(plan.placed.map((x) => x.i)).toEqual([0]);
    // on the final plan capacity blocks q as well: the reason a startup without rules gets (README)
    expect(plan.refused.map((x) => [x.i, x.reason instanceof Error ? 'rule' : x.reason])).toEqual([
      [1, 'NO_CAPACITY'],
      [2, 'NO_CAPACITY'],
    ]);
    expect(plan.without).toEqual([1]);
    expect(plan.strategy).toMatch(/\+rules$/);
  });

  // found by a black-box review: a member over its 7-day limit held the green in the packing; it
  // was refused, and the member beside it kept the packer's figures (0 green, all grid) while
  // the 0.5 MW lay free
  it('the green a refused member held goes to the member in its hours, and the refusal holds on the final plan', async () => {
    const meta = { id: 'c0', name: 'G', kwPerPflops: 10, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 500 };
    const fleet = () => {
      const f = Fleet.fromSpec({ slots: SLOTS, clusters: [{ ...meta, capacityPflops: 100 }] as FleetSpec['clusters'] });
      f.addGreenWindow('c0', { start: 3, end: 5, mw: 0.5, pricePerMwh: 100 });
      return f;
    };
    const book: RuleBook = {
      rules: new Map([['s3', { maxPflopsHoursPer7Days: 0, maxClusterShare: null }]]),
      usage: [],
    };
    const member = (orgId: string, pflops: number, objective: Objective, minGreenShare?: number): RoundMember => ({
      orgId,
      objective,
      v: {
        pflops,
        hours: 2,
        earliestH: BASE + 3,
        deadlineH: BASE + 5,
        clusters: [meta as unknown as ClusterMeta],
        minGreenShare,
      },
    });
    const plan = await packRound(
      fleet(),
      BASE,
      [member('s3', 50, 'GREENEST'), member('s', 50, 'EARLIEST')],
      book,
      quotas,
    );
    expect(plan.placed.map(({ i, pl }) => [i, pl.greenMwh, pl.price.total])).toEqual([[1, 1, 200]]);
    // four members: after 50 + 40 placed, 10 PFLOPS are left, so the others are refused for room
    const four = await packRound(
      fleet(),
      BASE,
      [
        member('s', 50, 'EARLIEST'),
        member('s3', 50, 'EARLIEST'),
        member('s', 30, 'EARLIEST', 1),
        member('s', 40, 'EARLIEST'),
      ],
      book,
      quotas,
    );
    expect(four.placed.map((p) => p.i).sort()).toEqual([0, 3]);
    expect(four.refused).toEqual([
      { i: 1, reason: 'NO_CAPACITY' },
      { i: 2, reason: 'NO_CAPACITY' },
    ]);
  });

  // found by a black-box review: the message named the excess at the packed start (20 at T)
  // where bookCompute names the smallest one (10 at T+1, where the startup holds nothing)
  it('a member no start within its share fits is refused as bookCompute refuses it: the smallest excess', async () => {
    const { meta, fleet, book } = shareRuled('s', 0.1);
    const member = (pflops: number): RoundMember => ({
      orgId: 's',
      objective: 'EARLIEST',
      v: { pflops, hours: 1, earliestH: BASE + 2, deadlineH: BASE + 4, clusters: [meta as unknown as ClusterMeta] },
    });
    const plan = await packRound(fleet(), BASE, [member(10), member(20)], book, quotas);
    expect(plan.placed.map((p) => [p.i, p.pl.start])).toEqual([[0, 2]]);
    const [refused] = plan.refused;
    expect(refused.i).toBe(1);
    expect((refused.reason as Error).message).toMatch(/over the limit by 10 PFLOPS/);
    expect((refused.reason as Error).message).toContain(new Date((BASE + 3) * 3_600_000).toISOString());
  });
});
