/**
 * Exact batch packing with HiGHS (MIP) for small instances: binary x[job, cluster, start] for
 * every start that fits the window and the (initial) capacity, one row per job (at most one
 * option) and one capacity row per cluster-slot; maximise PFLOPS-hours. minGreenShare is left out
 * (the instances used have none), so this is the optimum of the primary objective.
 *
 * Sites with a grid cap add the grid rule. The grid W a site draws in slot t is the draw of the
 * options running there less the green they take; placements committed one after another (as the
 * result lists them, no release in between) take min(draw, green still free) each, so together
 * they take min(sum of draws, supply) of a cluster-slot's green. The model has a continuous green
 * take g[c, t] in [0, supply] with g[c, t] <= sum of the draws of the options covering (c, t), and
 * per capped site-slot: sum over its clusters of (draws covering t) - g[c, t] <= cap. An optimum
 * sets g = min(draws, supply), so the rows hold exactly when the placements fit the grid in commit
 * order: the model and the placer agree on feasibility. Options that exceed the cap alone are not
 * generated.
 */
import { Fleet } from '../src/fleet';
import { packBatch } from '../src/batch';
import { runInstance } from '../src/instance';
import type { InstanceFile } from '../src/types';

interface HighsModel {
  options: { set(o: Record<string, unknown>): void };
  info: { get(name: string): number | bigint };
  setSolution(s: { colValue: Float64Array }): unknown;
  getColByName(name: string): number;
  getModelStatus(): number;
  getObjectiveValue(): number;
  run(): unknown;
  dispose(): void;
}
type Highs = { createModel(src: { format: 'lp'; data: string }): HighsModel };

let highsP: Promise<Highs> | undefined;
export function loadHighs(): Promise<Highs> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  highsP ??= (require('highs') as () => Promise<Highs>)();
  return highsP;
}

export function mipModel(inst: InstanceFile): {
  lp: string;
  vars: number;
  varOf: Map<string, string>;
  greenOf: Map<string, string>;
} {
  const fleet = Fleet.fromSpec({ slots: inst.slots, sites: inst.sites, clusters: inst.clusters });
  const GRID_NONE = 2147483647;
  const capped = fleet.siteIds.map((_, k) => {
    for (let t = 0; t < inst.slots; t++) if (fleet.gridCapW(k, t) !== GRID_NONE) return true;
    return false;
  });
  // per capped cluster-slot: the draw terms of the options covering it
  const drawTerms = new Map<string, string[]>();
  const obj: string[] = [];
  const jobRows: string[] = [];
  const capTerms: string[][] = inst.clusters.map(() => []);
  const rows = new Map<string, string[]>();
  let vars = 0;
  const names: string[] = [];
  const varOf = new Map<string, string>();
  const critical: Set<number>[] = fleet.clusterIds.map((_, ci) => {
    const set = new Set<number>([0]);
    const tl = fleet.timeline(ci);
    for (let t = 1; t < inst.slots; t++) if (tl.capacityTflops[t] !== tl.capacityTflops[t - 1]) set.add(t);
    return set;
  });
  for (const j of inst.jobs)
    for (const id of j.clusters ?? fleet.clusterIds)
      for (let s = j.earliest; s + j.hours <= Math.min(j.deadline, inst.slots); s++)
        critical[fleet.clusterIndex(id)].add(s);
  inst.jobs.forEach((j, ji) => {
    const tf = Math.round(j.pflops * 1000);
    const ids = j.clusters ?? fleet.clusterIds;
    const terms: string[] = [];
    for (const id of ids) {
      const ci = fleet.clusterIndex(id);
      const tl = fleet.timeline(ci);
      const site = fleet.siteOfCluster(ci);
      const draw = Math.round(j.pflops * fleet.kwPerPflops[ci] * fleet.pue[ci] * 1000);
      const end = Math.min(j.deadline, inst.slots);
      for (let s = j.earliest; s + j.hours <= end; s++) {
        let ok = true;
        for (let t = s; t < s + j.hours; t++) {
          if (tl.capacityTflops[t] < tf) ok = false;
          // alone over the site's grid even with all the green there
          const cap = fleet.gridCapW(site, t);
          if (cap !== GRID_NONE && draw - Math.min(draw, tl.greenSupplyW[t]) > cap) ok = false;
        }
        if (!ok) continue;
        const v = `x${vars++}`;
        varOf.set(`${j.id}|${id}|${s}`, v);
        names.push(v);
        terms.push(v);
        obj.push(`${(j.pflops * j.hours).toFixed(3)} ${v}`);
        if (capped[site])
          for (let t = s; t < s + j.hours; t++) {
            const key = `${ci}_${t}`;
            let r = drawTerms.get(key);
            if (!r) drawTerms.set(key, (r = []));
            r.push(`${draw} ${v}`);
          }
        for (let t = s; t < s + j.hours; t++) {
          // the load only rises where an option starts (or capacity changes): rows elsewhere are implied
          if (!critical[ci].has(t)) continue;
          const key = `${ci}_${t}`;
          let r = rows.get(key);
          if (!r) rows.set(key, (r = []));
          r.push(`${tf} ${v}`);
        }
      }
    }
    if (terms.length) jobRows.push(` j${ji}: ${terms.join(' + ')} <= 1`);
  });
  void capTerms;
  const capRows: string[] = [];
  for (const [key, terms] of rows) {
    const [ci, t] = key.split('_').map(Number);
    capRows.push(` k${key}: ${terms.join(' + ')} <= ${fleet.capacityTflops(ci, t)}`);
  }
  // grid: green take g per capped cluster-slot with supply, one row per capped site-slot
  const greenOf = new Map<string, string>();
  const greenRows: string[] = [];
  const bounds: string[] = [];
  const gridRows: string[] = [];
  fleet.siteIds.forEach((_, k) => {
    if (!capped[k]) return;
    const members = fleet.clusterIds.map((_, ci) => ci).filter((ci) => fleet.siteOfCluster(ci) === k);
    for (let t = 0; t < inst.slots; t++) {
      const cap = fleet.gridCapW(k, t);
      if (cap === GRID_NONE) continue;
      const terms: string[] = [];
      for (const ci of members) {
        const d = drawTerms.get(`${ci}_${t}`);
        if (!d) continue;
        terms.push(...d);
        const sup = fleet.timeline(ci).greenSupplyW[t];
        if (sup <= 0) continue;
        const g = `g${ci}_${t}`;
        greenOf.set(`${ci}|${t}`, g);
        bounds.push(` 0 <= ${g} <= ${sup}`);
        greenRows.push(` G${ci}_${t}: ${g} - ${d.join(' - ')} <= 0`);
        terms.push(`-1 ${g}`);
      }
      if (terms.length) gridRows.push(` S${k}_${t}: ${terms.join(' + ').replace(/\+ -1 /g, '- ')} <= ${cap}`);
    }
  });
  const wrap = (xs: string[]): string => {
    const out: string[] = [];
    for (let i = 0; i < xs.length; i += 8) out.push('  ' + xs.slice(i, i + 8).join(' + '));
    return out.join('\n +');
  };
  const lp = [
    'Maximize',
    ` obj: ${obj.length ? '\n' + wrap(obj) : '0 x0'}`,
    'Subject To',
    ...jobRows,
    ...capRows,
    ...greenRows,
    ...gridRows,
    ...(bounds.length ? ['Bounds', ...bounds] : []),
    'Binaries',
    ...(names.length ? names.map((n) => ` ${n}`) : [' x0']),
    'End',
  ].join('\n');
  return { lp, vars: vars + greenOf.size, varOf, greenOf };
}

export interface GapRow {
  seed: number;
  jobs: number;
  clusters: number;
  slots: number;
  vars: number;
  optimum: number;
  /** proven upper bound (= optimum when status is Optimal) */
  bound: number;
  status: string;
  batch: number;
  online: number;
  batchGap: number;
  onlineGap: number;
  mipSeconds: number;
}

/**
 * Solves one instance with batch and online placement, then with HiGHS (warm-started from the
 * batch solution, time-limited). Gaps are (bound - x) / bound where bound is the MIP's proven
 * upper bound, so they never understate the true gap; with status Optimal bound = optimum.
 */
export async function gapRow(
  seed: number,
  inst: InstanceFile,
  timeLimit = 5,
  batchOpts: { iterations?: number } = {},
): Promise<GapRow> {
  const highs = await loadHighs();
  const byId = new Map(inst.jobs.map((j) => [j.id, j]));
  const vol = (res: ReturnType<typeof runInstance>): number => {
    let s = 0;
    for (const p of res.placements) {
      const j = byId.get(p.job)!;
      s += j.pflops * j.hours;
    }
    return s;
  };
  const online = vol(runInstance(inst, 'online'));
  const batchRes = runInstance(inst, 'batch', { timeBudgetMs: Infinity, ...batchOpts });
  const batch = vol(batchRes);
  const { lp, vars, varOf, greenOf } = mipModel(inst);
  const t0 = performance.now();
  let opt = 0;
  let bound = 0;
  let status = 'Optimal';
  if (vars > 0) {
    const m = highs.createModel({ format: 'lp', data: lp });
    try {
      m.options.set({ output_flag: false, time_limit: timeLimit, mip_rel_gap: 1e-6 });
      const x = new Float64Array(vars);
      const drawOn = new Map<string, number>();
      for (const p of batchRes.placements) {
        x[m.getColByName(varOf.get(`${p.job}|${p.cluster}|${p.start}`)!)] = 1;
        const j = byId.get(p.job)!;
        const c = inst.clusters.find((q) => q.id === p.cluster)!;
        const ci = inst.clusters.indexOf(c);
        const draw = Math.round(j.pflops * c.kwPerPflops * c.pue * 1000);
        for (let t = p.start; t < p.start + j.hours; t++)
          drawOn.set(`${ci}|${t}`, (drawOn.get(`${ci}|${t}`) ?? 0) + draw);
      }
      // the batch's green take: min(draws, supply) per cluster-slot, as its commit order gives
      const fleet = Fleet.fromSpec({ slots: inst.slots, sites: inst.sites, clusters: inst.clusters });
      for (const [key, g] of greenOf) {
        const [ci, t] = key.split('|').map(Number);
        x[m.getColByName(g)] = Math.min(drawOn.get(key) ?? 0, fleet.timeline(ci).greenSupplyW[t]);
      }
      m.setSolution({ colValue: x });
      m.run();
      opt = m.getObjectiveValue();
      bound = Number(m.info.get('mip_dual_bound'));
      const st = m.getModelStatus();
      status = st === 7 ? 'Optimal' : st === 13 ? 'TimeLim' : `status${st}`;
      if (st === 7) bound = Math.min(bound, opt * (1 + 1e-6));
    } finally {
      m.dispose();
    }
  }
  const mipSeconds = (performance.now() - t0) / 1000;
  const gap = (v: number): number =>
    !Number.isFinite(bound) ? Number.NaN : bound > 0 ? Math.max(0, (bound - v) / bound) : 0;
  return {
    seed,
    jobs: inst.jobs.length,
    clusters: inst.clusters.length,
    slots: inst.slots,
    vars,
    optimum: opt,
    bound,
    status,
    batch,
    online,
    batchGap: gap(batch),
    onlineGap: gap(online),
    mipSeconds,
  };
}

/** median of the finite values (a MIP stopped before any bound gives NaN gaps) */
function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : 0;
}

export function gapSummary(rows: GapRow[]): {
  medianBatchGap: number;
  medianOnlineGap: number;
  maxBatchGap: number;
  optimal: number;
  medianBatchGapOptimal: number;
  medianBatchGapBestKnown: number;
  batchGeOnline: number;
} {
  const opt = rows.filter((r) => r.status === 'Optimal');
  return {
    medianBatchGap: median(rows.map((r) => r.batchGap)),
    medianOnlineGap: median(rows.map((r) => r.onlineGap)),
    maxBatchGap: Math.max(...rows.map((r) => r.batchGap).filter((x) => Number.isFinite(x))),
    optimal: opt.length,
    medianBatchGapOptimal: median(opt.map((r) => r.batchGap)),
    medianBatchGapBestKnown: median(
      rows.map((r) =>
        r.optimum > 0 ? Math.max(0, (Math.max(r.optimum, r.batch) - r.batch) / Math.max(r.optimum, r.batch)) : 0,
      ),
    ),
    batchGeOnline: rows.filter((r) => r.batch >= r.online - 1e-9).length,
  };
}

export function gapTable(rows: GapRow[]): string {
  const pct = (x: number): string => (x * 100).toFixed(2) + '%';
  const lines = [
    'seed | jobs | cl | slots |  vars | MIP best PF-h | MIP bound | status  | batch PF-h | gap   | online PF-h | gap    | MIP s',
  ];
  for (const r of rows)
    lines.push(
      `${String(r.seed).padStart(4)} | ${String(r.jobs).padStart(4)} | ${r.clusters}  | ${String(r.slots).padStart(5)} | ${String(r.vars).padStart(5)} | ${r.optimum.toFixed(1).padStart(13)} | ${r.bound.toFixed(1).padStart(9)} | ${r.status.padEnd(7)} | ${r.batch.toFixed(1).padStart(10)} | ${pct(r.batchGap).padStart(5)} | ${r.online.toFixed(1).padStart(11)} | ${pct(r.onlineGap).padStart(5)} | ${r.mipSeconds.toFixed(2)}`,
    );
  const s = gapSummary(rows);
  lines.push(
    `gap vs proven MIP bound (upper bound on the true gap): median batch ${pct(s.medianBatchGap)}, online ${pct(s.medianOnlineGap)}; max batch ${pct(s.maxBatchGap)}; ` +
      `proven optimal ${s.optimal}/${rows.length}, median batch gap on those ${pct(s.medianBatchGapOptimal)}; ` +
      `median batch gap vs best known (MIP incumbent, warm-started from batch) ${pct(s.medianBatchGapBestKnown)}; batch >= online on ${s.batchGeOnline}/${rows.length}`,
  );
  return lines.join('\n');
}

export { packBatch };
