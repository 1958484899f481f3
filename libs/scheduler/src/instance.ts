import { packBatch, type BatchOptions } from './batch';
import { Fleet, MAX_PFLOPS, MAX_SLOTS } from './fleet';
import { PlacementBuffer } from './fleet';
import type { InstanceFile, InstanceJob, Objective, Placement, RefusalReason, ResultFile } from './types';
import { checkArray, checkId, checkInt, checkObject, checkPositive3, fail } from './validate';

const OBJ = ['EARLIEST', 'GREENEST', 'CHEAPEST'];

/**
 * Checks an instance (parsed JSON) and builds its fleet. Errors are SchedulerInputError with
 * the field path, e.g. `clusters[0].green[2].mw must be ...` or `jobs[3].deadline must be ...`.
 * Complexity: O(clusters x slots + jobs x clusters listed).
 */
export function parseInstance(raw: unknown): { instance: InstanceFile; fleet: Fleet } {
  const o = checkObject('', 'instance', raw);
  if (o.horizonStart !== undefined && (typeof o.horizonStart !== 'string' || Number.isNaN(Date.parse(o.horizonStart))))
    fail('', 'horizonStart', 'an ISO 8601 date-time string', o.horizonStart);
  checkInt('', 'slots', o.slots, 1, MAX_SLOTS);
  const fleet = Fleet.fromSpec({ slots: o.slots as number, clusters: o.clusters as InstanceFile['clusters'] });
  const jobs = checkArray('', 'jobs', o.jobs);
  const ids = new Set<string>();
  for (let i = 0; i < jobs.length; i++) {
    const p = `jobs[${i}]`;
    const j = checkObject('', p, jobs[i]);
    const id = checkId('', `${p}.id`, j.id);
    if (ids.has(id)) fail('', `${p}.id`, 'unique among jobs', id);
    ids.add(id);
    checkPositive3('', `${p}.pflops`, j.pflops, MAX_PFLOPS);
    const h = checkInt('', `${p}.hours`, j.hours, 1, MAX_SLOTS);
    const e = checkInt('', `${p}.earliest`, j.earliest, 0, 1e9);
    const d = checkInt('', `${p}.deadline`, j.deadline, 0, 2e9);
    if (d < e + h) fail('', `${p}.deadline`, `>= earliest + hours (${e + h})`, d);
    if (j.minGreenShare !== undefined && (typeof j.minGreenShare !== 'number' || !(j.minGreenShare >= 0 && j.minGreenShare <= 1)))
      fail('', `${p}.minGreenShare`, 'a number in [0, 1]', j.minGreenShare);
    if (j.objective !== undefined && !OBJ.includes(j.objective as string)) fail('', `${p}.objective`, 'EARLIEST, GREENEST or CHEAPEST', j.objective);
    if (j.clusters !== undefined) {
      const cl = checkArray('', `${p}.clusters`, j.clusters);
      if (cl.length === 0) fail('', `${p}.clusters`, 'a non-empty array of cluster ids (omit it to allow all)', cl);
      for (let k = 0; k < cl.length; k++)
        if (typeof cl[k] !== 'string' || fleet.clusterIndex(cl[k] as string) < 0)
          fail('', `${p}.clusters[${k}]`, `a known cluster id (${fleet.clusterIds.join(', ')})`, cl[k]);
    }
  }
  return { instance: o as unknown as InstanceFile, fleet };
}

function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The CLI's core: checks the instance, solves it (online: file order, each job placed as it
 * arrives with its own objective; batch: packBatch) and returns the result file.
 * Complexity: as Fleet.place x jobs (online) or packBatch (batch).
 */
export function runInstance(instance: unknown, mode: 'online' | 'batch', batchOptions?: BatchOptions): ResultFile {
  if (mode !== 'online' && mode !== 'batch') fail('', 'mode', '"online" or "batch"', mode);
  const t0 = performance.now();
  const { instance: inst, fleet } = parseInstance(instance);
  const capacity = fleet.capacityTflopsSlots();
  const placements: Placement[] = [];
  const unplaced: { job: string; reason: RefusalReason }[] = [];
  let strategy: string | undefined;
  if (mode === 'online') {
    const buf = new PlacementBuffer();
    for (const j of inst.jobs as InstanceJob[]) {
      const obj: Objective = j.objective ?? 'EARLIEST';
      const r = fleet.placeInto(j, obj, buf);
      if (r !== null) {
        unplaced.push({ job: j.id, reason: r });
        continue;
      }
      const h = fleet.commitBuffer(buf);
      placements.push(fleet.placementOf(h, j.id));
    }
  } else {
    const res = packBatch(fleet, inst.jobs, batchOptions);
    placements.push(...res.placements);
    unplaced.push(...res.unplaced);
    strategy = res.strategy;
  }
  let vol = 0;
  let green = 0;
  let energy = 0;
  for (const p of placements) {
    vol += p.tflops * p.hours;
    green += p.greenMwh;
    energy += p.energyMwh;
  }
  const seconds = (performance.now() - t0) / 1000;
  const out: ResultFile = {
    placements: placements.map((p) => ({
      job: p.job as string,
      cluster: p.cluster,
      start: p.start,
      greenMwh: r6(p.greenMwh),
      energyMwh: r6(p.energyMwh),
      price: r6(p.price.total),
    })),
    unplaced,
    stats: {
      placed: placements.length,
      unplaced: unplaced.length,
      utilization: capacity > 0 ? r6(vol / capacity) : 0,
      greenShare: energy > 0 ? r6(green / energy) : 0,
      seconds: r6(seconds),
    },
  };
  if (strategy !== undefined) out.stats.strategy = strategy;
  return out;
}
