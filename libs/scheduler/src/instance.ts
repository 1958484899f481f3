import { packBatch, type BatchOptions } from './batch';
import { Fleet, MAX_PFLOPS, MAX_SLOTS } from './fleet';
import { PlacementBuffer } from './fleet';
import { parseDateTime } from './domain/date-time';
import { hasAtMost3Decimals, whToMwh } from './domain/units';
import type { InstanceFile, InstanceJob, Objective, RefusalReason, ResultFile } from './types';
import { checkArray, checkId, checkInt, checkObject, checkPositive3, fail } from './validate';

const OBJ = ['EARLIEST', 'GREENEST', 'CHEAPEST'];

// the fields of each object of an instance file (docs/scheduler-instance-format.md). A field that
// looks like a misspelling of one of them (`minGreenshare`, `gridMW`, `pricePerMWh`) is refused,
// since ignoring it would silently drop a constraint; any other is ignored and reported
const FIELDS = {
  instance: ['horizonStart', 'slots', 'sites', 'clusters', 'jobs'],
  site: ['id', 'gridMw', 'gridChanges'],
  gridChange: ['start', 'end', 'mw'],
  cluster: [
    'id',
    'site',
    'capacityPflops',
    'capacityChanges',
    'kwPerPflops',
    'pue',
    'pricePerPflopsHour',
    'gridPricePerMwh',
    'gridPrices',
    'green',
  ],
  capacityChange: ['start', 'end', 'capacityPflops'],
  green: ['start', 'end', 'mw', 'pricePerMwh'],
  gridPrice: ['start', 'end', 'pricePerMwh'],
  job: ['id', 'pflops', 'hours', 'earliest', 'deadline', 'clusters', 'minGreenShare', 'objective'],
};
const JOB_FIELDS = new Set(FIELDS.job);

/** Edit distance (insert, delete, replace, swap two neighbours) of two strings, case ignored. */
function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}

// verdicts per field set and unknown name: a file whose 50,000 jobs carry a `note` pays once
const verdicts = new WeakMap<readonly string[], Map<string, string | undefined>>();

/** The field of `known` that `k` is a misspelling of (one edit for names of up to 4 letters, two for longer), if any. */
function misspelt(k: string, known: readonly string[]): string | undefined {
  let m = verdicts.get(known);
  if (!m) verdicts.set(known, (m = new Map<string, string | undefined>()));
  if (!m.has(k))
    m.set(
      k,
      known.find((x) => editDistance(k, x) <= (x.length <= 4 ? 1 : 2)),
    );
  return m.get(k);
}

/**
 * Checks the fields of `o` (at `path`) against `known`: refuses a misspelt one, naming the field it
 * resembles; notes any other in `ignored` as a path pattern (`jobs[].note`).
 */
function checkFieldsOf(path: string, o: unknown, known: readonly string[], ignored: Set<string>): void {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return;
  for (const k of Object.keys(o)) {
    if (known.includes(k)) continue;
    const like = misspelt(k, known);
    if (like !== undefined)
      fail(
        '',
        path ? `${path}.${k}` : k,
        `absent: not a field of ${path || 'the instance'} (did you mean ${like}?)`,
        (o as Record<string, unknown>)[k],
      );
    ignored.add((path ? `${path.replace(/\[\d+\]/g, '[]')}.` : '') + k);
  }
}

/** Checks the fields of every object of the instance but the jobs (checked as they are read). */
function checkFields(o: Record<string, unknown>, ignored: Set<string>): void {
  checkFieldsOf('', o, FIELDS.instance, ignored);
  const each = (
    path: string,
    a: unknown,
    known: readonly string[],
    inner?: (p: string, x: Record<string, unknown>) => void,
  ) => {
    if (!Array.isArray(a)) return;
    a.forEach((x, i) => {
      checkFieldsOf(`${path}[${i}]`, x, known, ignored);
      if (inner && typeof x === 'object' && x !== null) inner(`${path}[${i}]`, x as Record<string, unknown>);
    });
  };
  each('sites', o.sites, FIELDS.site, (p, x) => each(`${p}.gridChanges`, x.gridChanges, FIELDS.gridChange));
  each('clusters', o.clusters, FIELDS.cluster, (p, x) => {
    each(`${p}.capacityChanges`, x.capacityChanges, FIELDS.capacityChange);
    each(`${p}.green`, x.green, FIELDS.green);
    each(`${p}.gridPrices`, x.gridPrices, FIELDS.gridPrice);
  });
}

/**
 * Checks an instance (parsed JSON) and builds its fleet. Errors are SchedulerInputError with
 * the field path, e.g. `clusters[0].green[2].mw must be ...` or `jobs[3].deadline must be ...`.
 * Complexity: O(clusters x slots + jobs x clusters listed).
 */
export function parseInstance(raw: unknown): { instance: InstanceFile; fleet: Fleet; ignored: string[] } {
  const o = checkObject('', 'instance', raw);
  if (o.horizonStart !== undefined && !isDateTime(o.horizonStart))
    fail(
      '',
      'horizonStart',
      'an ISO 8601 date-time with a zone (e.g. 2027-01-01T00:00:00Z) in the years 0001 to 9999 UTC',
      o.horizonStart,
    );
  checkInt('', 'slots', o.slots, 1, MAX_SLOTS);
  const ignored = new Set<string>();
  checkFields(o, ignored);
  const fleet = Fleet.fromSpec({
    slots: o.slots as number,
    sites: o.sites as InstanceFile['sites'],
    clusters: o.clusters as InstanceFile['clusters'],
  });
  const jobs = checkArray('', 'jobs', o.jobs);
  const ids = new Set<string>();
  // one shape for every job (JSON objects with other key sets would make the placer's property
  // reads polymorphic); field paths are built only when a check fails
  const norm = new Array<InstanceJob>(jobs.length);
  for (let i = 0; i < jobs.length; i++) {
    const j = jobs[i] as Record<string, unknown>;
    if (typeof j !== 'object' || j === null || Array.isArray(j)) checkJob(j, i, ids, fleet);
    // each field read once (the parsed objects have as many shapes as key orders: slow reads)
    const { id, pflops, hours, earliest, deadline, minGreenShare, objective, clusters } = j;
    const job = {
      id: id as string,
      pflops: pflops as number,
      hours: hours as number,
      earliest: earliest as number,
      deadline: deadline as number,
      clusters: clusters as string[] | undefined,
      minGreenShare: minGreenShare as number | undefined,
      objective: objective as Objective | undefined,
    };
    if (!quickJobOk(job, fleet) || ids.has(job.id)) checkJob(j, i, ids, fleet);
    for (const k in j) if (!JOB_FIELDS.has(k)) checkFieldsOf(`jobs[${i}]`, j, FIELDS.job, ignored);
    ids.add(job.id);
    norm[i] = job;
  }
  return { instance: { ...(o as unknown as InstanceFile), jobs: norm }, fleet, ignored: [...ignored] };
}

/** A date-time with a zone, as the API reads one (parseDateTime). */
function isDateTime(v: unknown): boolean {
  return typeof parseDateTime(v) === 'number';
}

/** The common case of a valid job (its fields as read, in one shape), without building any field path. */
function quickJobOk(j: InstanceJob, fleet: Fleet): boolean {
  const { id, pflops, hours, earliest, deadline, minGreenShare, objective, clusters } = j as {
    [K in keyof InstanceJob]: unknown;
  };
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) return false;
  if (
    typeof pflops !== 'number' ||
    !(pflops > 0) ||
    pflops > MAX_PFLOPS ||
    !hasAtMost3Decimals(pflops) ||
    Math.round(pflops * 1000) < 1
  )
    return false;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 1 || hours > MAX_SLOTS) return false;
  if (typeof earliest !== 'number' || !Number.isInteger(earliest) || earliest < 0 || earliest > 1e9) return false;
  if (
    typeof deadline !== 'number' ||
    !Number.isInteger(deadline) ||
    deadline < 0 ||
    deadline > 2e9 ||
    deadline < earliest + hours
  )
    return false;
  if (minGreenShare !== undefined && (typeof minGreenShare !== 'number' || !(minGreenShare >= 0 && minGreenShare <= 1)))
    return false;
  if (objective !== undefined && objective !== 'EARLIEST' && objective !== 'GREENEST' && objective !== 'CHEAPEST')
    return false;
  if (clusters !== undefined) {
    if (!Array.isArray(clusters) || clusters.length === 0) return false;
    const list: unknown[] = clusters;
    for (let k = 0; k < list.length; k++) {
      const c = list[k];
      if (typeof c !== 'string' || fleet.clusterIndex(c) < 0) return false;
    }
  }
  return true;
}

/** Checks one job field by field and throws naming the first bad field. */
function checkJob(raw: unknown, i: number, ids: Set<string>, fleet: Fleet): void {
  const p = `jobs[${i}]`;
  const j = checkObject('', p, raw);
  const id = checkId('', `${p}.id`, j.id);
  if (ids.has(id)) fail('', `${p}.id`, 'unique among jobs', id);
  checkPositive3('', `${p}.pflops`, j.pflops, MAX_PFLOPS);
  const h = checkInt('', `${p}.hours`, j.hours, 1, MAX_SLOTS);
  const e = checkInt('', `${p}.earliest`, j.earliest, 0, 1e9);
  const d = checkInt('', `${p}.deadline`, j.deadline, 0, 2e9);
  if (d < e + h) fail('', `${p}.deadline`, `>= earliest + hours (${e + h})`, d);
  if (
    j.minGreenShare !== undefined &&
    (typeof j.minGreenShare !== 'number' || !(j.minGreenShare >= 0 && j.minGreenShare <= 1))
  )
    fail('', `${p}.minGreenShare`, 'a number in [0, 1]', j.minGreenShare);
  if (j.objective !== undefined && !OBJ.includes(j.objective as string))
    fail('', `${p}.objective`, 'EARLIEST, GREENEST or CHEAPEST', j.objective);
  if (j.clusters !== undefined) {
    const cl = checkArray('', `${p}.clusters`, j.clusters);
    if (cl.length === 0) fail('', `${p}.clusters`, 'a non-empty array of cluster ids (omit it to allow all)', cl);
    for (let k = 0; k < cl.length; k++)
      if (typeof cl[k] !== 'string' || fleet.clusterIndex(cl[k] as string) < 0)
        fail('', `${p}.clusters[${k}]`, `a known cluster id (${fleet.clusterIds.join(', ')})`, cl[k]);
  }
}

function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The CLI's core: checks the instance, solves it (online: file order, each job placed as it
 * arrives with its own objective; batch: packBatch) and returns the result file.
 * Complexity: as Fleet.place x jobs (online) or packBatch (batch).
 */
export function runInstance(
  instance: unknown,
  mode: 'online' | 'batch',
  batchOptions?: BatchOptions,
  /** told of the fields the format does not have, which were ignored */
  warn?: (message: string) => void,
): ResultFile {
  if (mode !== 'online' && mode !== 'batch') fail('', 'mode', '"online" or "batch"', mode);
  const t0 = performance.now();
  const { instance: inst, fleet, ignored } = parseInstance(instance);
  if (ignored.length > 0 && warn) warn(`fields the format does not have were ignored: ${ignored.join(', ')}`);
  const capacity = fleet.capacityTflopsSlots();
  const unplaced: { job: string; reason: RefusalReason }[] = [];
  let strategy: string | undefined;
  const rows: ResultFile['placements'] = [];
  let vol = 0;
  let green = 0;
  let energy = 0;
  if (mode === 'online') {
    // the result rows come straight from the placement buffer (the same figures placementOf
    // would give): no Placement objects or per-slot copies
    const buf = new PlacementBuffer();
    const cids = fleet.clusterIds;
    const jobs = inst.jobs;
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i];
      const r = fleet.placeInto(j, j.objective ?? 'EARLIEST', buf);
      if (r !== null) {
        unplaced.push({ job: j.id, reason: r });
        continue;
      }
      fleet.commitBuffer(buf);
      const energyWh = buf.drawW * buf.hours;
      rows.push({
        job: j.id,
        cluster: cids[buf.clusterIndex],
        start: buf.start,
        greenMwh: r6(whToMwh(buf.greenWh)),
        energyMwh: r6(whToMwh(energyWh)),
        price: r6(buf.priceCompute + buf.priceGreen + buf.priceGrid),
      });
      vol += buf.tflops * buf.hours;
      green += whToMwh(buf.greenWh);
      energy += whToMwh(energyWh);
    }
  } else {
    const res = packBatch(fleet, inst.jobs, batchOptions);
    for (const p of res.placements) {
      rows.push({
        job: p.job as string,
        cluster: p.cluster,
        start: p.start,
        greenMwh: r6(p.greenMwh),
        energyMwh: r6(p.energyMwh),
        price: r6(p.price.total),
      });
      vol += p.tflops * p.hours;
      green += p.greenMwh;
      energy += p.energyMwh;
    }
    unplaced.push(...res.unplaced);
    strategy = res.strategy;
  }
  const seconds = (performance.now() - t0) / 1000;
  const out: ResultFile = {
    placements: rows,
    unplaced,
    stats: {
      placed: rows.length,
      unplaced: unplaced.length,
      utilization: capacity > 0 ? r6(vol / capacity) : 0,
      greenShare: energy > 0 ? r6(green / energy) : 0,
      seconds: r6(seconds),
    },
  };
  if (strategy !== undefined) out.stats.strategy = strategy;
  return out;
}
