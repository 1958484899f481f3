// The bench's grid section (bench.ts; `--grid-only` runs it alone): decisions/s with and without
// grid caps and tariffs on the booking mixes (`--baseline <src>`: also another checkout's, on the
// mixes without sites), the cost by how hard caps bind, and the batch gap to the MIP behind a cap
// (`--mip-seconds N`: HiGHS's time limit per instance).
import { join, resolve } from 'node:path';
import { gapRow, gapTable, type GapRow } from './mip';
import { gridRateRow, gridRateTable, type FleetLib } from './mixes';
import { smallGridInstance } from './instances';

/** Grid caps and tariffs: decisions/s with and without them on the booking mixes, and the batch gap to the MIP with caps. */
export async function gridSection(quick: boolean, fmt: (x: number, d?: number) => string): Promise<void> {
  const bi = process.argv.indexOf('--baseline');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const baseline = bi > 0 ? (require(join(resolve(process.argv[bi + 1]), 'fleet')) as FleetLib) : undefined;
  console.log('\n## Grid caps and tariffs\n');
  console.log(
    'Warm decisions/s (place + commit, each job with its own objective, per CPU-second, best of ' +
      (quick ? 2 : 3) +
      ' interleaved rounds) on the booking mixes without sites, and on the same mixes behind grid connections (bench/instances.ts withGrid: sites of 3 clusters reserving 70 % of their draw at full capacity, 45 % in the evening peak [17, 21) of every day; a valley/peak tariff at 0.5x / 1.6x the flat price in [0, 6) / [8, 20)). ' +
      (baseline ? `Baseline: ${process.argv[bi + 1]}, run on the mixes without sites.` : '') +
      '\n',
  );
  const cfg: [number, number, number][] = quick
    ? [
        [1, 720, 1.15],
        [10, 720, 1.15],
        [10, 8760, 1.15],
      ]
    : [1, 3, 10].flatMap((c) => [720, 8760].flatMap((s) => [1.0, 1.3].map((l): [number, number, number] => [c, s, l])));
  const rows = cfg.map(([c, s, l]) =>
    gridRateRow(c, s, l, 100 + c * 10 + s + Math.round(l * 10), quick ? 2 : 3, baseline),
  );
  console.log(gridRateTable(rows, fmt));
  const ratios = rows.map((r) => r.both / (r.baseline ?? r.none));
  console.log(
    `\ncaps + tariffs / ${baseline ? 'baseline' : 'no sites'}: min ${Math.min(...ratios).toFixed(2)}, median ${ratios.sort((a, b) => a - b)[ratios.length >> 1].toFixed(2)} (target >= 0.80)`,
  );
  if (baseline) {
    const r0 = rows.map((r) => r.none / (r.baseline as number));
    console.log(
      `no sites / baseline: min ${Math.min(...r0).toFixed(2)}, median ${r0.sort((a, b) => a - b)[r0.length >> 1].toFixed(2)} (target: no slowdown)`,
    );
  }
  // how the cost grows with how hard the caps bind (the share of requests the grid turns away)
  const tight: [number, number][] = quick
    ? [
        [1, 0.8],
        [0.7, 0.45],
      ]
    : [
        [1, 0.8],
        [0.85, 0.6],
        [0.7, 0.45],
        [0.55, 0.35],
      ];
  console.log(
    '\n### By how hard the caps bind (10 clusters, 8,760 slots, load 1.0; reserved share of full draw / share in the evening peak)\n',
  );
  console.log('| caps | no sites | caps + tariffs | ratio | caps only | placed (no sites / caps + tariffs) |');
  console.log('|---|---|---|---|---|---|');
  for (const [capShare, eveningShare] of tight) {
    const r = gridRateRow(10, 8760, 1.0, 100 + 100 + 8760 + 10, quick ? 2 : 3, undefined, { capShare, eveningShare });
    console.log(
      `| ${capShare} / ${eveningShare} | ${fmt(r.none)} | ${fmt(r.both)} | ${(r.both / r.none).toFixed(2)} | ${fmt(r.caps)} (${(r.caps / r.none).toFixed(2)}) | ${(r.placedNone * 100).toFixed(1)}% / ${(r.placedBoth * 100).toFixed(1)}% |`,
    );
  }
  const count = quick ? 5 : 30;
  // --mip-seconds N: a longer HiGHS limit proves more of the optima (60 s proves 25 of 30)
  const mi = process.argv.indexOf('--mip-seconds');
  const limit = mi > 0 ? Number(process.argv[mi + 1]) : quick ? 0.4 : 3;
  console.log(
    `\n### Batch vs MIP optimum behind a grid cap (${count} small seeded instances, all clusters on one site reserving 55 % of their full draw, 35 % in the evening; HiGHS time limit ${limit} s, warm start from batch)\n`,
  );
  const gr: GapRow[] = [];
  for (let seed = 1; seed <= count; seed++) gr.push(await gapRow(seed, smallGridInstance(seed), limit));
  console.log('```');
  console.log(gapTable(gr));
  console.log('```');
}
