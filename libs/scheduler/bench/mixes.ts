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
import type { InstanceFile, Objective, ResultFile } from '../src/types';
import { bookingMix } from './instances';
import type { PlainResult } from './plain-placer';

const root = join(__dirname, '..', '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Online place + commit of every job with its own objective; decisions per CPU-second, best of `reps` runs. */
export function warmRate(inst: InstanceFile, reps: number): { perSec: number; placed: number } {
  const buf = new PlacementBuffer();
  let best = 0;
  let placed = 0;
  for (let r = 0; r < reps; r++) {
    const f = Fleet.fromSpec({ slots: inst.slots, clusters: inst.clusters });
    const jobs = inst.jobs;
    placed = 0;
    const t0 = cpuMs();
    for (let i = 0; i < jobs.length; i++) {
      const j = jobs[i];
      if (f.placeInto(j, (j.objective ?? 'EARLIEST') as Objective, buf) === null) {
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
      res.placements.every((p, i) => p.job === ref.placements[i][0] && ids.get(p.cluster) === ref.placements[i][1] && p.start === ref.placements[i][2]);
  }
  return { clusters, slots, load, jobs: inst.jobs.length, placed: w.placed / inst.jobs.length, warm: w.perSec, cli, plain, same };
}

export function mixTable(rows: MixRow[], fmt: (x: number, d?: number) => string): string {
  const out = ['| clusters | slots | load | jobs | placed | warm decisions/s | CLI one-shot s | plain placer s | CLI speed-up | same answers |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows)
    out.push(
      `| ${r.clusters} | ${fmt(r.slots)} | ${r.load} | ${fmt(r.jobs)} | ${(r.placed * 100).toFixed(1)}% | ${fmt(r.warm)} | ${r.cli.toFixed(3)} | ${r.plain.toFixed(3)} | ${(r.plain / r.cli).toFixed(2)}x | ${r.same ? 'yes' : 'NO'} |`,
    );
  return out.join('\n');
}
