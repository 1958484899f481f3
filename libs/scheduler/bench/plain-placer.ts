/**
 * The plain greedy placer the bench times the CLI against: the instance's jobs in file order,
 * each with its own objective, every start of the window on every allowed cluster checked slot
 * by slot (O(clusters x window x hours) per job), then committed. Flat typed arrays, no
 * validation, no summaries: what a careful first implementation would be. Same rules and ties
 * as the scheduler (docs/scheduler-instance-format.md), so its answers must be identical.
 *
 * `npx tsx libs/scheduler/bench/plain-placer.ts <instance.json>` prints
 * `{ seconds, placed, placements: [[job, clusterIndex, start], ...] }`; seconds are counted like
 * the CLI's stats.seconds (from the parsed JSON to the finished result).
 */
import { readFileSync } from 'node:fs';
import type { InstanceFile, Objective } from '../src/types';

export interface PlainResult {
  seconds: number;
  placed: number;
  placements: [string, number, number][];
}

export function plainRun(inst: InstanceFile): PlainResult {
  const t0 = performance.now();
  const slots = inst.slots;
  const nc = inst.clusters.length;
  const cap: Int32Array[] = [];
  const booked: Int32Array[] = [];
  const supply: Int32Array[] = [];
  const alloc: Int32Array[] = [];
  const weight: Float64Array[] = [];
  const index = new Map<string, number>();
  const clip = (t: number): number => (t < 0 ? 0 : t > slots ? slots : t);
  for (let i = 0; i < nc; i++) {
    const c = inst.clusters[i];
    index.set(c.id, i);
    cap.push(new Int32Array(slots).fill(Math.round(c.capacityPflops * 1000)));
    booked.push(new Int32Array(slots));
    supply.push(new Int32Array(slots));
    alloc.push(new Int32Array(slots));
    weight.push(new Float64Array(slots));
    for (const ch of c.capacityChanges ?? [])
      cap[i].fill(Math.round(ch.capacityPflops * 1000), clip(ch.start), clip(ch.end));
    for (const w of c.green ?? []) {
      const watts = Math.round(w.mw * 1e6);
      for (let t = clip(w.start); t < clip(w.end); t++) {
        supply[i][t] += watts;
        weight[i][t] += watts * w.pricePerMwh;
      }
    }
  }
  const all = Int32Array.from({ length: nc }, (_, i) => i);
  const placements: [string, number, number][] = [];
  for (const job of inst.jobs) {
    const obj: Objective = job.objective ?? 'EARLIEST';
    const h = job.hours;
    const end = Math.min(job.deadline, slots);
    const tf = Math.round(job.pflops * 1000);
    const list = job.clusters ? job.clusters.map((id) => index.get(id) as number) : all;
    let bC = -1;
    let bS = -1;
    let bG = -1;
    let bT = Infinity;
    for (let k = 0; k < list.length; k++) {
      const ci = list[k];
      if (list.indexOf(ci) !== k) continue;
      const c = inst.clusters[ci];
      const draw = Math.round(job.pflops * c.kwPerPflops * c.pue * 1000);
      const m = job.minGreenShare ?? 0;
      const req = m > 0 ? Math.ceil(m * draw * h - 1e-6) : 0;
      const ca = cap[ci];
      const bo = booked[ci];
      const su = supply[ci];
      const al = alloc[ci];
      const we = weight[ci];
      const grid = c.gridPricePerMwh;
      for (let s = job.earliest; s + h <= end; s++) {
        let fits = true;
        for (let t = s; t < s + h; t++) if (ca[t] - bo[t] < tf) fits = false;
        if (!fits) continue;
        let g = 0;
        let gc = 0;
        for (let t = s; t < s + h; t++) {
          const av = su[t] - al[t];
          const gt = av < draw ? av : draw;
          g += gt;
          if (gt > 0) gc += (gt * we[t]) / su[t] / 1e6;
        }
        if (g < req) continue;
        const total = job.pflops * h * c.pricePerPflopsHour + gc + ((draw * h - g) * grid) / 1e6;
        let take = bC < 0;
        if (!take) {
          if (obj === 'EARLIEST') take = s < bS;
          else if (obj === 'GREENEST') take = g > bG || (g === bG && s < bS);
          else {
            const eps = 1e-9 * Math.abs(total) + 1e-9;
            take = total < bT - eps || (total <= bT + eps && s < bS);
          }
        }
        if (take) {
          bC = ci;
          bS = s;
          bG = g;
          bT = total;
        }
        if (obj === 'EARLIEST') break;
      }
    }
    if (bC < 0) continue;
    const c = inst.clusters[bC];
    const draw = Math.round(job.pflops * c.kwPerPflops * c.pue * 1000);
    for (let t = bS; t < bS + h; t++) {
      booked[bC][t] += tf;
      const av = supply[bC][t] - alloc[bC][t];
      alloc[bC][t] += av < draw ? av : draw;
    }
    placements.push([job.id, bC, bS]);
  }
  return { seconds: (performance.now() - t0) / 1000, placed: placements.length, placements };
}

if (require.main === module) {
  const inst = JSON.parse(readFileSync(process.argv[2], 'utf8')) as InstanceFile;
  process.stdout.write(JSON.stringify(plainRun(inst)) + '\n');
}
