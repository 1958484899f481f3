/**
 * Independent checker of a result file against its instance, written from
 * docs/scheduler-instance-format.md alone (no Fleet, no helpers from src/): it replays the
 * placements in the order listed, each taking min(draw, green still free) per slot, and lists
 * every way the result disagrees with the replay. An empty list means the result is valid.
 * Grid: each placement draws draw - green from its cluster's site in every slot, and no site-slot
 * may end over the site's reserved grid; grid energy is priced at each slot's grid price.
 */
import type { InstanceFile, ResultFile } from '../src/types';

interface Tl {
  cap: Float64Array;
  booked: Float64Array;
  supply: Float64Array;
  alloc: Float64Array;
  weight: Float64Array;
  /** grid price per slot */
  price: Float64Array;
  /** the site's grid W drawn and cap per slot (shared by the clusters of a site; Infinity = no cap) */
  siteUsed: Float64Array;
  siteCap: Float64Array;
  site: string;
}

const near = (a: number, b: number, abs: number, rel = 1e-9): boolean => Math.abs(a - b) <= abs + rel * Math.abs(b);

export function replayResult(inst: InstanceFile, res: ResultFile): string[] {
  const errs: string[] = [];
  const slots = inst.slots;
  const lo = (t: number): number => Math.max(0, Math.min(slots, t));
  const tls = new Map<string, Tl>();
  const sites = new Map<string, { used: Float64Array; cap: Float64Array }>();
  for (const st of inst.sites ?? []) {
    const cap = new Float64Array(slots).fill(
      st.gridMw === undefined || st.gridMw === null ? Infinity : Math.round(st.gridMw * 1e6),
    );
    for (const ch of st.gridChanges ?? [])
      for (let t = lo(ch.start); t < lo(ch.end); t++) cap[t] = ch.mw === null ? Infinity : Math.round(ch.mw * 1e6);
    sites.set(st.id, { used: new Float64Array(slots), cap });
  }
  for (const c of inst.clusters) {
    // a cluster without a site is a site of its own without a cap
    const site =
      c.site !== undefined && c.site !== null
        ? sites.get(c.site)
        : { used: new Float64Array(slots), cap: new Float64Array(slots).fill(Infinity) };
    if (!site) errs.push(`cluster ${c.id}: unknown site ${c.site}`);
    const price = new Float64Array(slots).fill(c.gridPricePerMwh);
    for (const r of c.gridPrices ?? []) for (let t = lo(r.start); t < lo(r.end); t++) price[t] = r.pricePerMwh;
    const tl: Tl = {
      cap: new Float64Array(slots),
      booked: new Float64Array(slots),
      supply: new Float64Array(slots),
      alloc: new Float64Array(slots),
      weight: new Float64Array(slots),
      price,
      siteUsed: site ? site.used : new Float64Array(slots),
      siteCap: site ? site.cap : new Float64Array(slots).fill(Infinity),
      site: c.site ?? `#${c.id}`,
    };
    tl.cap.fill(Math.round(c.capacityPflops * 1000));
    for (const ch of c.capacityChanges ?? [])
      for (let t = lo(ch.start); t < lo(ch.end); t++) tl.cap[t] = Math.round(ch.capacityPflops * 1000);
    for (const w of c.green ?? [])
      for (let t = lo(w.start); t < lo(w.end); t++) {
        const watts = Math.round(w.mw * 1e6);
        tl.supply[t] += watts;
        tl.weight[t] += watts * w.pricePerMwh;
      }
    tls.set(c.id, tl);
  }
  const jobs = new Map(inst.jobs.map((j) => [j.id, j]));
  const seen = new Set<string>();
  const once = (id: string): void => {
    if (!jobs.has(id)) errs.push(`unknown job ${id}`);
    if (seen.has(id)) errs.push(`job ${id} listed twice`);
    seen.add(id);
  };
  let vol = 0;
  let greenAll = 0;
  let energyAll = 0;
  for (const p of res.placements) {
    once(p.job);
    const j = jobs.get(p.job);
    const c = inst.clusters.find((x) => x.id === p.cluster);
    const tl = tls.get(p.cluster);
    if (!j || !c || !tl) {
      errs.push(`${p.job}: unknown job or cluster ${p.cluster}`);
      continue;
    }
    if (j.clusters && !j.clusters.includes(p.cluster)) errs.push(`${p.job}: cluster ${p.cluster} not allowed`);
    const s = p.start;
    if (!Number.isInteger(s) || s < j.earliest || s + j.hours > Math.min(j.deadline, slots)) {
      errs.push(`${p.job}: start ${s} outside [${j.earliest}, min(${j.deadline}, ${slots}) - ${j.hours}]`);
      continue;
    }
    const tf = Math.round(j.pflops * 1000);
    const draw = Math.round(j.pflops * c.kwPerPflops * c.pue * 1000);
    let g = 0;
    let greenCost = 0;
    let gridCost = 0;
    for (let t = s; t < s + j.hours; t++) {
      if (tl.booked[t] + tf > tl.cap[t]) errs.push(`${p.job}: slot ${t} of ${p.cluster} over capacity`);
      tl.booked[t] += tf;
      const gt = Math.min(draw, tl.supply[t] - tl.alloc[t]);
      tl.alloc[t] += gt;
      g += gt;
      if (gt > 0) greenCost += (gt * tl.weight[t]) / tl.supply[t] / 1e6;
      const grid = draw - gt;
      tl.siteUsed[t] += grid;
      if (tl.siteUsed[t] > tl.siteCap[t])
        errs.push(
          `${p.job}: slot ${t} of site ${tl.site} over its reserved grid (${tl.siteUsed[t]} W > ${tl.siteCap[t]} W)`,
        );
      gridCost += (grid * tl.price[t]) / 1e6;
    }
    const energyWh = draw * j.hours;
    if (j.minGreenShare && g < Math.ceil(j.minGreenShare * energyWh - 1e-6))
      errs.push(`${p.job}: green share ${g / energyWh} below minGreenShare ${j.minGreenShare}`);
    if (!near(p.greenMwh, g / 1e6, 1e-6))
      errs.push(`${p.job}: reports ${p.greenMwh} green MWh, replay gives ${g / 1e6}`);
    if (!near(p.energyMwh, energyWh / 1e6, 1e-6))
      errs.push(`${p.job}: reports ${p.energyMwh} MWh, replay gives ${energyWh / 1e6}`);
    const price = j.pflops * j.hours * c.pricePerPflopsHour + greenCost + gridCost;
    if (!near(p.price, price, 1e-6, 1e-7)) errs.push(`${p.job}: reports price ${p.price}, replay gives ${price}`);
    vol += tf * j.hours;
    greenAll += g / 1e6;
    energyAll += energyWh / 1e6;
  }
  for (const u of res.unplaced) once(u.job);
  for (const id of jobs.keys()) if (!seen.has(id)) errs.push(`job ${id} missing from the result`);
  if (res.stats.placed !== res.placements.length || res.stats.unplaced !== res.unplaced.length)
    errs.push('stats.placed / stats.unplaced do not match the lists');
  let capAll = 0;
  for (const tl of tls.values()) for (let t = 0; t < slots; t++) capAll += tl.cap[t];
  if (!near(res.stats.utilization, capAll > 0 ? vol / capAll : 0, 1e-6))
    errs.push(`stats.utilization ${res.stats.utilization}, replay gives ${vol / capAll}`);
  if (!near(res.stats.greenShare, energyAll > 0 ? greenAll / energyAll : 0, 1e-6))
    errs.push(`stats.greenShare ${res.stats.greenShare}, replay gives ${greenAll / energyAll}`);
  return errs;
}
