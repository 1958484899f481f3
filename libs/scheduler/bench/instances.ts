/** Seeded instance generators shared by the bench and the optimality spec. */
import { mulberry32 } from '../src/rng';
import type { ClusterSpec, InstanceFile, InstanceJob, Objective } from '../src/types';

/** the project's seeded PRNG (src/rng.ts), under the name the generators use */
export const rng = mulberry32;

const OBJ: Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];

function solarWind(r: () => number, slots: number, mwScale: number): ClusterSpec['green'] {
  const g: NonNullable<ClusterSpec['green']> = [];
  for (let d = 0; d * 24 < slots; d++) {
    const s = d * 24 + 8;
    if (s < slots)
      g.push({
        start: s,
        end: Math.min(slots, s + 9),
        mw: Math.round(mwScale * (0.5 + r()) * 1000) / 1000,
        pricePerMwh: 300 + Math.round(r() * 60),
      });
  }
  for (let k = 0; k < Math.max(1, slots / 72); k++) {
    const s = Math.floor(r() * slots);
    g.push({
      start: s,
      end: Math.min(slots, s + 6 + Math.floor(r() * 48)),
      mw: Math.round(mwScale * r() * 1000) / 1000,
      pricePerMwh: 350 + Math.round(r() * 100),
    });
  }
  return g;
}

/**
 * A small packing instance for the MIP comparison: 2-3 clusters of 24-64 PFLOPS, 48-168 slots,
 * 25-40 jobs of 1/8-5/8 of a cluster for 2-24 h (stretched to the load) with 0-6 h of slack,
 * offered at roughly 0.9-1.2x capacity. No minGreenShare (the MIP maximises PFLOPS-hours only).
 */
export function smallInstance(seed: number): InstanceFile {
  const r = rng(seed);
  const slots = 48 + Math.floor(r() * 121);
  const n = 2 + Math.floor(r() * 2);
  const clusters: ClusterSpec[] = [];
  let capHours = 0;
  for (let i = 0; i < n; i++) {
    const cap = 8 * (3 + Math.floor(r() * 6));
    capHours += cap * slots;
    clusters.push({
      id: `c${i}`,
      capacityPflops: cap,
      kwPerPflops: 1 + Math.round(r() * 30) / 100,
      pue: 1.2 + Math.round(r() * 20) / 100,
      pricePerPflopsHour: 8 + Math.round(r() * 20) / 10,
      gridPricePerMwh: 600 + Math.round(r() * 100),
      green: solarWind(r, slots, 0.02),
    });
  }
  const nJobs = 25 + Math.floor(r() * 16);
  const target = capHours * (0.9 + r() * 0.3);
  const raw: { pflopsShare: number; hours: number; c: number }[] = [];
  let rawVol = 0;
  for (let j = 0; j < nJobs; j++) {
    const c = Math.floor(r() * n);
    const hours = 2 + Math.floor(r() * 23);
    const pflopsShare = (1 + Math.floor(r() * 5)) / 8;
    raw.push({ pflopsShare, hours, c });
    rawVol += pflopsShare * clusters[c].capacityPflops * hours;
  }
  // stretch durations so the offered load hits the target, within the horizon
  const stretch = Math.max(1, target / rawVol);
  const jobs: InstanceJob[] = raw.map((x, j) => {
    const hours = Math.min(slots, Math.max(1, Math.round(x.hours * stretch)));
    const pflops = Math.round(x.pflopsShare * clusters[x.c].capacityPflops * 1000) / 1000;
    const earliest = Math.floor(r() * (slots - hours + 1));
    const deadline = Math.min(slots, earliest + hours + Math.floor(r() * 7));
    const job: InstanceJob = { id: `j${j}`, pflops, hours, earliest, deadline, objective: OBJ[Math.floor(r() * 3)] };
    if (r() < 0.3) job.clusters = [clusters[x.c].id];
    return job;
  });
  return { slots, clusters, jobs };
}

export interface LargeOptions {
  clusters: number;
  slots: number;
  jobs: number;
  /** offered PFLOPS-hours / capacity PFLOPS-hours */
  load: number;
  /** max slack (slots) between earliest + hours and deadline: a few hours up to a week */
  maxSlack: number;
  objective?: Objective | 'mixed';
  minGreenShare?: number;
  seed: number;
}

/** A large instance: one 2,100 PFLOPS cluster or a fleet; jobs spread over the horizon. */
export function largeInstance(o: LargeOptions): InstanceFile {
  const r = rng(o.seed);
  const clusters: ClusterSpec[] = [];
  let capHours = 0;
  for (let i = 0; i < o.clusters; i++) {
    const cap = i === 0 ? 2100 : 100 + Math.floor(r() * 400);
    capHours += cap * o.slots;
    clusters.push({
      id: `c${i}`,
      capacityPflops: cap,
      kwPerPflops: 1.1,
      pue: 1.25,
      pricePerPflopsHour: 8 + r(),
      gridPricePerMwh: 600 + Math.round(r() * 100),
      green: solarWind(r, o.slots, cap * 0.0008),
    });
  }
  const meanHours = 12;
  const meanPflops = (capHours * o.load) / o.jobs / meanHours;
  const jobs: InstanceJob[] = [];
  for (let j = 0; j < o.jobs; j++) {
    const hours = 1 + Math.floor(r() * (2 * meanHours - 1));
    const pflops = Math.max(
      0.001,
      Math.min(2000, Math.round(meanPflops * (0.2 + r() * 1.6) * (meanHours / hours) * 1000) / 1000),
    );
    const earliest = Math.floor(r() * (o.slots - hours));
    const deadline = Math.min(o.slots, earliest + hours + Math.floor(r() * o.maxSlack));
    const objective = o.objective === undefined || o.objective === 'mixed' ? OBJ[Math.floor(r() * 3)] : o.objective;
    const job: InstanceJob = { id: `j${j}`, pflops, hours, earliest, deadline, objective };
    if (o.minGreenShare) job.minGreenShare = o.minGreenShare;
    jobs.push(job);
  }
  return { slots: o.slots, clusters, jobs };
}

export interface BookingMixOptions {
  clusters: number;
  slots: number;
  /** offered PFLOPS-hours / capacity PFLOPS-hours (1.0-1.3 in the bench) */
  load: number;
  seed: number;
}

/**
 * Booking-shaped demand: jobs of 1-24 h, each with a window (deadline - earliest) of 1-4 days,
 * objectives evenly mixed, a third with a minGreenShare of 0.1-0.5, a quarter restricted to 1-3
 * named clusters, each job 1-25% of a mean cluster. The job count follows from the load.
 */
export function bookingMix(o: BookingMixOptions): InstanceFile {
  const r = rng(o.seed);
  const clusters: ClusterSpec[] = [];
  let capHours = 0;
  let capSum = 0;
  for (let i = 0; i < o.clusters; i++) {
    const cap = i === 0 ? 2100 : 100 + Math.floor(r() * 700);
    capHours += cap * o.slots;
    capSum += cap;
    clusters.push({
      id: `c${i}`,
      capacityPflops: cap,
      kwPerPflops: 1 + Math.round(r() * 40) / 100,
      pue: 1.1 + Math.round(r() * 30) / 100,
      pricePerPflopsHour: 8 + Math.round(r() * 200) / 100,
      gridPricePerMwh: 600 + Math.round(r() * 100),
      green: solarWind(r, o.slots, cap * 0.0008),
    });
  }
  const meanCap = capSum / o.clusters;
  const jobs: InstanceJob[] = [];
  let vol = 0;
  for (let j = 0; vol < capHours * o.load; j++) {
    const hours = 1 + Math.floor(r() * 24);
    const window = Math.max(hours, 24 * (1 + Math.floor(r() * 4)) - Math.floor(r() * 24));
    const pflops = Math.round(meanCap * (0.01 + r() * 0.24) * 1000) / 1000;
    const earliest = Math.floor(r() * Math.max(1, o.slots - hours));
    const job: InstanceJob = {
      id: `b${j}`,
      pflops,
      hours,
      earliest,
      deadline: earliest + window,
      objective: OBJ[j % 3],
    };
    if (r() < 1 / 3) job.minGreenShare = [0.1, 0.25, 0.5][Math.floor(r() * 3)];
    if (r() < 0.25) {
      const k = 1 + Math.floor(r() * Math.min(3, o.clusters));
      const ids = new Set<string>();
      while (ids.size < k) ids.add(`c${Math.floor(r() * o.clusters)}`);
      job.clusters = [...ids];
    }
    jobs.push(job);
    vol += pflops * hours;
  }
  return { slots: o.slots, clusters, jobs };
}

export interface GridOptions {
  /** clusters per site (consecutive clusters share a site) */
  perSite?: number;
  /** reserved grid as a share of the site's draw at full capacity */
  capShare?: number;
  /** the share in the evening peak [17, 21) of every day */
  eveningShare?: number;
}

/**
 * The same instance behind grid connections: consecutive clusters grouped into sites of
 * `perSite` (default 3), each reserving `capShare` (0.7) of its clusters' draw at full capacity,
 * cut to `eveningShare` (0.45) in [17, 21) of every day; and a time-of-use tariff on every cluster:
 * half its flat price in the valley [0, 6), 1.6x in the peak [8, 20) of every day.
 */
export function withGrid(inst: InstanceFile, o: GridOptions = {}): InstanceFile {
  const perSite = o.perSite ?? 3;
  const capShare = o.capShare ?? 0.7;
  const eveningShare = o.eveningShare ?? 0.45;
  const days = Math.ceil(inst.slots / 24);
  const sites: NonNullable<InstanceFile['sites']> = [];
  const clusters = inst.clusters.map((c, i) => {
    const gridPrices: NonNullable<ClusterSpec['gridPrices']> = [];
    for (let d = 0; d < days; d++)
      gridPrices.push(
        { start: d * 24, end: d * 24 + 6, pricePerMwh: Math.round(c.gridPricePerMwh * 50) / 100 },
        { start: d * 24 + 8, end: d * 24 + 20, pricePerMwh: Math.round(c.gridPricePerMwh * 160) / 100 },
      );
    return { ...c, site: `site${Math.floor(i / perSite)}`, gridPrices };
  });
  for (let k = 0; k * perSite < inst.clusters.length; k++) {
    let fullW = 0;
    for (const c of inst.clusters.slice(k * perSite, (k + 1) * perSite))
      fullW += c.capacityPflops * c.kwPerPflops * c.pue * 1000;
    const mw = (share: number): number => Math.min(2000, Math.round((fullW * share) / 1000) / 1000);
    const gridChanges: NonNullable<NonNullable<InstanceFile['sites']>[number]['gridChanges']> = [];
    for (let d = 0; d < days; d++) gridChanges.push({ start: d * 24 + 17, end: d * 24 + 21, mw: mw(eveningShare) });
    sites.push({ id: `site${k}`, gridMw: mw(capShare), gridChanges });
  }
  return { ...inst, sites, clusters };
}

/**
 * smallInstance behind one grid connection for the MIP comparison with caps: all its clusters on
 * one site reserving 55 % of their draw at full capacity, 35 % in [17, 21) of every day, with the
 * time-of-use tariff of withGrid (prices do not change the PFLOPS-hours optimum).
 */
export function smallGridInstance(seed: number): InstanceFile {
  return withGrid(smallInstance(seed), { perSite: 3, capShare: 0.55, eveningShare: 0.35 });
}
