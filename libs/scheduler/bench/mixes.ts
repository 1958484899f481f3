/**
 * Booking-shaped mixes (bench section): warm decisions/s of the online path, and the one-shot
 * CLI's own reported seconds (a fresh process: JIT warm-up and checking included) beside the
 * plain greedy placer's, run the same way, with a check that both give the same answers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Fleet, PlacementBuffer } from '../src/fleet';
import type { InstanceFile, ResultFile } from '../src/types';
import { bookingMix, withGrid, type GridOptions } from './instances';
import type { PlainResult } from './plain-placer';

const root = join(__dirname, '..', '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The Fleet and PlacementBuffer of a copy of the library (this one, or a baseline checkout). */
export interface FleetLib {
  Fleet: {
    fromSpec(spec: {
      slots: number;
      sites?: InstanceFile['sites'];
      clusters: InstanceFile['clusters'];
    }): Pick<Fleet, 'placeInto' | 'commitBuffer'>;
  };
  PlacementBuffer: new () => PlacementBuffer;
}

const THIS_LIB: FleetLib = { Fleet, PlacementBuffer };

/** Online place + commit of every job with its own objective; decisions per CPU-second, best of `reps` runs. */
export function warmRate(
  inst: InstanceFile,
  reps: number,
  lib: FleetLib = THIS_LIB,
): { perSec: number; placed: number } {
  const buf = new lib.PlacementBuffer();
  let best = 0;
  let placed = 0;
  for (let r = 0; r < reps; r++) {
    const f = lib.Fleet.fromSpec({ slots: inst.slots, sites: inst.sites, clusters: inst.clusters });
    const jobs = inst.jobs;
    placed = 0;
    const t0 = cpuMs();
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i];
      if (f.placeInto(j, j.objective ?? 'EARLIEST', buf) === null) {
        f.commitBuffer(buf);
        placed++;
      }
    }
    const rate = (jobs.length / (cpuMs() - t0)) * 1000;
    if (rate > best) best = rate;
  }
  return { perSec: best, placed };
}

function spawnJson<T>(args: string[]): T {
  const r = spawnSync(tsx, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface MixRow {
  clusters: number;
  slots: number;
  load: number;
  jobs: number;
  placed: number;
  warm: number;
  cli: number;
  plain: number;
  same: boolean;
}

export function mixRow(clusters: number, slots: number, load: number, seed: number, oneShotRuns: number): MixRow {
  const inst = bookingMix({ clusters, slots, load, seed });
  // enough runs that the warm rate is measured on compiled code even for a few hundred jobs
  const w = warmRate(inst, 3 + Math.min(200, Math.ceil(60_000 / inst.jobs.length)));
  const dir = mkdtempSync(join(tmpdir(), 'pflex-mix-'));
  const file = join(dir, 'instance.json');
  writeFileSync(file, JSON.stringify(inst));
  // best of a few fresh processes each: the machine is shared
  let cli = Infinity;
  let plain = Infinity;
  let same = true;
  for (let k = 0; k < oneShotRuns; k++) {
    const res = spawnJson<ResultFile>([join(root, 'libs/scheduler/src/cli.ts'), file]);
    const ref = spawnJson<PlainResult>([join(root, 'libs/scheduler/bench/plain-placer.ts'), file]);
    cli = Math.min(cli, res.stats.seconds);
    plain = Math.min(plain, ref.seconds);
    const ids = new Map(inst.clusters.map((c, i) => [c.id, i]));
    same =
      same &&
      res.placements.length === ref.placements.length &&
      res.placements.every(
        (p, i) =>
          p.job === ref.placements[i][0] &&
          ids.get(p.cluster) === ref.placements[i][1] &&
          p.start === ref.placements[i][2],
      );
  }
  return {
    clusters,
    slots,
    load,
    jobs: inst.jobs.length,
    placed: w.placed / inst.jobs.length,
    warm: w.perSec,
    cli,
    plain,
    same,
  };
}

export function mixTable(rows: MixRow[], fmt: (x: number, d?: number) => string): string {
  const out = [
    '| clusters | slots | load | jobs | placed | warm decisions/s | CLI one-shot s | plain placer s | CLI speed-up | same answers |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows)
    out.push(
      `| ${r.clusters} | ${fmt(r.slots)} | ${r.load} | ${fmt(r.jobs)} | ${(r.placed * 100).toFixed(1)}% | ${fmt(r.warm)} | ${r.cli.toFixed(3)} | ${r.plain.toFixed(3)} | ${(r.plain / r.cli).toFixed(2)}x | ${r.same ? 'yes' : 'NO'} |`,
    );
  return out.join('\n');
}

export interface GridRateRow {
  clusters: number;
  slots: number;
  load: number;
  jobs: number;
  /** decisions/s of a baseline checkout on the mix without sites (when given) */
  baseline?: number;
  /** this library: without sites, with caps and tariffs (withGrid), caps only, tariffs only */
  none: number;
  both: number;
  caps: number;
  tariffs: number;
  placedNone: number;
  placedBoth: number;
}

/**
 * Warm decisions/s on one booking mix without and with grid caps and tariffs (bench/instances.ts
 * withGrid: sites of 3 clusters reserving 70 % of their full draw, 45 % in the evening peak, and a
 * valley/peak tariff), the variants interleaved in `rounds` rounds, best of each, so that they see
 * the same machine; `baseline` is another checkout of the library run on the mix without sites;
 * `grid` other caps than withGrid's defaults.
 */
export function gridRateRow(
  clusters: number,
  slots: number,
  load: number,
  seed: number,
  rounds: number,
  baseline?: FleetLib,
  grid?: GridOptions,
): GridRateRow {
  const inst = bookingMix({ clusters, slots, load, seed });
  const both = withGrid(inst, grid);
  const caps: InstanceFile = { ...both, clusters: both.clusters.map(({ gridPrices: _p, ...c }) => c) };
  const tariffs: InstanceFile = { ...both, sites: (both.sites ?? []).map((x) => ({ id: x.id })) };
  const reps = 3 + Math.min(60, Math.ceil(60_000 / inst.jobs.length));
  const best = { baseline: 0, none: 0, both: 0, caps: 0, tariffs: 0 };
  let placedNone = 0;
  let placedBoth = 0;
  for (let k = 0; k < rounds; k++) {
    if (baseline)
      best.baseline = Math.max(best.baseline, warmRate({ ...inst, sites: undefined }, reps, baseline).perSec);
    const n = warmRate(inst, reps);
    const b = warmRate(both, reps);
    best.none = Math.max(best.none, n.perSec);
    best.both = Math.max(best.both, b.perSec);
    best.caps = Math.max(best.caps, warmRate(caps, reps).perSec);
    best.tariffs = Math.max(best.tariffs, warmRate(tariffs, reps).perSec);
    placedNone = n.placed / inst.jobs.length;
    placedBoth = b.placed / inst.jobs.length;
  }
  return {
    clusters,
    slots,
    load,
    jobs: inst.jobs.length,
    ...best,
    baseline: baseline ? best.baseline : undefined,
    placedNone,
    placedBoth,
  };
}

export function gridRateTable(rows: GridRateRow[], fmt: (x: number, d?: number) => string): string {
  const base = rows.some((r) => r.baseline !== undefined);
  const out = [
    `| clusters | slots | load | jobs |${base ? ' baseline (no sites) |' : ''} no sites | caps + tariffs | ratio |${base ? ' ratio to baseline |' : ''} caps only | tariffs only | placed (no sites / caps + tariffs) |`,
    `|---|---|---|---|${base ? '---|' : ''}---|---|---|${base ? '---|' : ''}---|---|---|`,
  ];
  for (const r of rows)
    out.push(
      `| ${r.clusters} | ${fmt(r.slots)} | ${r.load} | ${fmt(r.jobs)} |${base ? ` ${fmt(r.baseline ?? 0)} |` : ''} ${fmt(r.none)} | ${fmt(r.both)} | ${(r.both / r.none).toFixed(2)} |${base ? ` ${(r.both / (r.baseline ?? 1)).toFixed(2)} (no sites: ${(r.none / (r.baseline ?? 1)).toFixed(2)}) |` : ''} ${fmt(r.caps)} (${(r.caps / r.none).toFixed(2)}) | ${fmt(r.tariffs)} (${(r.tariffs / r.none).toFixed(2)}) | ${(r.placedNone * 100).toFixed(1)}% / ${(r.placedBoth * 100).toFixed(1)}% |`,
    );
  return out.join('\n');
}
