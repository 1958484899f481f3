import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SchedulerInputError } from '../src/errors';
import { runInstance } from '../src/instance';
import type { InstanceFile, ResultFile } from '../src/types';
import { replayResult } from './replay';

const root = join(__dirname, '..', '..', '..');
const example = join(__dirname, '..', 'examples', 'zhuhai-haizhu.json');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const cli = join(__dirname, '..', 'src', 'cli.ts');

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(tsx, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

jest.setTimeout(60_000);

describe('CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pflex-cli-'));
  const write = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };

  it('solves the example in both modes; every job appears once and batch packs at least as much', () => {
    const online = run(example);
    expect(online.code).toBe(0);
    const batch = run(example, '--mode', 'batch');
    expect(batch.code).toBe(0);
    const inst = JSON.parse(readFileSync(example, 'utf8')) as { jobs: { id: string; pflops: number; hours: number }[] };
    for (const out of [online.out, batch.out]) {
      const res = JSON.parse(out) as ResultFile;
      const ids = [...res.placements.map((p) => p.job), ...res.unplaced.map((u) => u.job)].sort();
      expect(ids).toEqual(inst.jobs.map((j) => j.id).sort());
      expect(res.stats.placed).toBe(res.placements.length);
    }
    // both printed results replay exactly in the order listed (batch lists in commit order)
    for (const out of [online.out, batch.out])
      expect(replayResult(inst as unknown as InstanceFile, JSON.parse(out) as ResultFile)).toEqual([]);
    const vol = (out: string): number =>
      (JSON.parse(out) as ResultFile).placements.reduce((s, p) => {
        const j = inst.jobs.find((x) => x.id === p.job)!;
        return s + j.pflops * j.hours;
      }, 0);
    expect(vol(batch.out)).toBeGreaterThanOrEqual(vol(online.out));
    const res = JSON.parse(online.out) as ResultFile;
    expect(res.unplaced).toEqual(
      expect.arrayContaining([
        { job: 'too-late', reason: 'OUTSIDE_HORIZON' },
        { job: 'too-big', reason: 'NO_CAPACITY' },
        { job: 'solar-only', reason: 'GREEN_SHORTFALL' },
      ]),
    );
  });

  it('solves the grid example (a site of two clusters with a grid cap, a peak/flat/valley tariff) in both modes; both results replay', () => {
    const file = join(__dirname, '..', 'examples', 'grid-tou.json');
    const inst = JSON.parse(readFileSync(file, 'utf8')) as InstanceFile;
    const online = run(file);
    const batch = run(file, '--mode', 'batch');
    expect([online.code, batch.code]).toEqual([0, 0]);
    for (const out of [online.out, batch.out]) expect(replayResult(inst, JSON.parse(out) as ResultFile)).toEqual([]);
    const res = JSON.parse(online.out) as ResultFile;
    // CHEAPEST waits for the valley of day 2; EARLIEST takes the peak
    expect(res.placements.find((p) => p.job === 'batch-embed')).toMatchObject({ cluster: 'hengqin-b', start: 24 });
    expect(res.placements.find((p) => p.job === 'eval-sweep')).toMatchObject({ cluster: 'hengqin-b', start: 8 });
    expect(res.unplaced).toEqual(
      expect.arrayContaining([
        { job: 'evening-burst', reason: 'GRID_LIMIT' },
        { job: 'solar-only', reason: 'GREEN_SHORTFALL' },
        { job: 'too-big', reason: 'NO_CAPACITY' },
        { job: 'too-late', reason: 'OUTSIDE_HORIZON' },
      ]),
    );
    expect((JSON.parse(batch.out) as ResultFile).stats.placed).toBeGreaterThanOrEqual(res.stats.placed);
  });

  it.each([
    ['not JSON', '{"slots": 3,', /is not valid JSON/],
    [
      'a bad green window',
      JSON.stringify({
        slots: 10,
        clusters: [
          {
            id: 'a',
            capacityPflops: 1,
            kwPerPflops: 1,
            pue: 1.2,
            pricePerPflopsHour: 1,
            gridPricePerMwh: 1,
            green: [
              { start: 0, end: 3, mw: 1, pricePerMwh: 1 },
              { start: 0, end: 3, mw: 1, pricePerMwh: 1 },
              { start: 0, end: 3, mw: -1, pricePerMwh: 1 },
            ],
          },
        ],
        jobs: [],
      }),
      /clusters\[0\]\.green\[2\]\.mw must be a non-negative number/,
    ],
  ])('rejects %s with exit code 1 and a message naming the field', (_name, body, msg) => {
    const r = run(write(`f${Math.random()}.json`, body));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(msg);
  });

  // the same error path in-process (spawning costs seconds on a shared machine)
  const c = { id: 'a', capacityPflops: 1, kwPerPflops: 1, pue: 1.2, pricePerPflopsHour: 1, gridPricePerMwh: 1 };
  it.each([
    [
      'a bad job',
      {
        slots: 10,
        clusters: [c],
        jobs: [
          { id: 'j1', pflops: 1, hours: 2, earliest: 0, deadline: 5 },
          { id: 'j2', pflops: 1, hours: 2, earliest: 4, deadline: 5 },
        ],
      },
      'jobs[1].deadline must be >= earliest + hours (6), got 5',
    ],
    [
      'an unknown cluster',
      {
        slots: 10,
        clusters: [c],
        jobs: [{ id: 'j1', pflops: 1, hours: 2, earliest: 0, deadline: 5, clusters: ['b'] }],
      },
      'jobs[0].clusters[0] must be a known cluster id (a), got "b"',
    ],
    ['missing jobs', { slots: 10, clusters: [c] }, 'jobs must be an array, got undefined'],
    [
      'duplicate job ids',
      {
        slots: 10,
        clusters: [c],
        jobs: [
          { id: 'j1', pflops: 1, hours: 2, earliest: 0, deadline: 5 },
          { id: 'j1', pflops: 1, hours: 2, earliest: 0, deadline: 5 },
        ],
      },
      'jobs[1].id must be unique among jobs, got "j1"',
    ],
    ['a bad slot count', { slots: 1.5, clusters: [c], jobs: [] }, 'slots must be an integer in [1, 10000000], got 1.5'],
    [
      'an unknown site',
      { slots: 10, clusters: [{ ...c, site: 'campus' }], jobs: [] },
      'clusters[0].site must be the id of a site in sites (there are none), or null for a site of its own, got "campus"',
    ],
    [
      'a bad grid change',
      {
        slots: 10,
        sites: [
          {
            id: 's',
            gridChanges: [
              { start: 0, end: 4, mw: 1 },
              { start: 0, end: 4, mw: 1.0001 },
            ],
          },
        ],
        clusters: [c],
        jobs: [],
      },
      'sites[0].gridChanges[1].mw must be a non-negative number with at most 3 decimals, or null (no cap), got 1.0001',
    ],
    [
      // the API's rule (decimalPlaces): a tiny 4th+ decimal is not rounded away
      'a capacity with a 10th decimal',
      { slots: 10, clusters: [{ ...c, capacityPflops: 1.0000000001 }], jobs: [] },
      'clusters[0].capacityPflops must be a non-negative number with at most 3 decimals, got 1.0000000001',
    ],
    [
      // one reading of date-times for the API and the scheduler (parseDateTime)
      'a horizonStart on a day the calendar lacks',
      { horizonStart: '2027-02-29T00:00+0800', slots: 10, clusters: [c], jobs: [] },
      'horizonStart must be an ISO 8601 date-time with a zone (e.g. 2027-01-01T00:00:00Z) in the years 0001 to 9999 UTC, got "2027-02-29T00:00+0800"',
    ],
    [
      // the quick check of a valid job keeps the same rule (it let a 1e-7 remainder through)
      'a job of 1.0000000001 PFLOPS',
      { slots: 10, clusters: [c], jobs: [{ id: 'j', pflops: 1.0000000001, hours: 1, earliest: 0, deadline: 5 }] },
      'jobs[0].pflops must be a positive number with at most 3 decimals, got 1.0000000001',
    ],
    [
      'green of 1e-10 MW',
      { slots: 10, clusters: [{ ...c, green: [{ start: 0, end: 1, mw: 1e-10, pricePerMwh: 0 }] }], jobs: [] },
      'clusters[0].green[0].mw must be a non-negative number with at most 3 decimals, got 1e-10',
    ],
    [
      'a bad tariff range',
      { slots: 10, clusters: [{ ...c, gridPrices: [{ start: 0, end: 4, pricePerMwh: 100_001 }] }], jobs: [] },
      'clusters[0].gridPrices[0].pricePerMwh must be a number in [0, 100000], got 100001',
    ],
    [
      'a misspelt job field',
      {
        slots: 10,
        clusters: [c],
        jobs: [{ id: 'j', pflops: 1, hours: 1, earliest: 0, deadline: 5, minGreenshare: 0.5 }],
      },
      'jobs[0].minGreenshare must be absent: not a field of jobs[0] (did you mean minGreenShare?), got 0.5',
    ],
    [
      'a misspelt site field',
      { slots: 10, sites: [{ id: 's', gridMW: 2 }], clusters: [c], jobs: [] },
      'sites[0].gridMW must be absent: not a field of sites[0] (did you mean gridMw?), got 2',
    ],
    [
      'a misspelt field of a green window',
      { slots: 10, clusters: [{ ...c, green: [{ start: 0, end: 4, mw: 1, pricePerMWH: 1 }] }], jobs: [] },
      'clusters[0].green[0].pricePerMWH must be absent: not a field of clusters[0].green[0] (did you mean pricePerMwh?), got 1',
    ],
  ])('runInstance rejects %s naming the field path', (_name, inst, msg) => {
    expect(() => runInstance(inst, 'online')).toThrow(SchedulerInputError);
    expect(() => runInstance(inst, 'batch')).toThrow(msg);
  });

  it('takes a horizonStart written as clients of the API write a DateTime', () => {
    const inst = { horizonStart: '2028-02-29T00:00:00.000000+0800', slots: 10, clusters: [c], jobs: [] };
    expect(runInstance(inst, 'online').stats.placed).toBe(0);
  });

  it('clips green windows and capacity changes that run past the horizon instead of refusing them', () => {
    const inst = {
      slots: 48,
      clusters: [
        {
          ...c,
          green: [
            { start: 8, end: 17, mw: 0.001, pricePerMwh: 300 },
            { start: 32, end: 41, mw: 0.001, pricePerMwh: 300 },
            { start: 40, end: 50, mw: 0.001, pricePerMwh: 300 },
          ],
          capacityChanges: [{ start: 44, end: 60, capacityPflops: 0.5 }],
        },
      ],
      jobs: [
        { id: 'late', pflops: 1, hours: 4, earliest: 40, deadline: 60, minGreenShare: 0.5 },
        { id: 'end', pflops: 0.5, hours: 4, earliest: 44, deadline: 48 },
      ],
    };
    for (const mode of ['online', 'batch'] as const) {
      const res = runInstance(inst, mode);
      expect(res.placements.map((p) => [p.job, p.start, p.greenMwh])).toEqual([
        ['late', 40, 0.0042],
        ['end', 44, 0.0024],
      ]);
      expect(replayResult(inst as InstanceFile, res)).toEqual([]);
    }
    expect(() =>
      runInstance({ ...inst, clusters: [{ ...c, green: [{ start: 40, end: 40, mw: 1, pricePerMwh: 1 }] }] }, 'online'),
    ).toThrow('clusters[0].green[0].end must be > start (40), got 40');
  });

  it('ignores fields the format does not have unless they look misspelt, and says which', () => {
    const inst = {
      slots: 10,
      name: 'demo',
      clusters: [{ ...c, name: 'first', green: [{ start: 0, end: 4, mw: 1, pricePerMwh: 1, source: 'SOLAR' }] }],
      jobs: [
        { id: 'j', pflops: 1, hours: 2, earliest: 0, deadline: 5, note: 'a' },
        { id: 'k', pflops: 1, hours: 2, earliest: 0, deadline: 5, note: 'b' },
      ],
    };
    const warnings: string[] = [];
    const res = runInstance(inst, 'online', undefined, (m) => warnings.push(m));
    expect(res.placements).toHaveLength(2);
    expect(warnings).toEqual([
      'fields the format does not have were ignored: name, clusters[].name, clusters[].green[].source, jobs[].note',
    ]);
    const r = run(write('extra.json', JSON.stringify(inst)));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /^warning: .*extra\.json: fields the format does not have were ignored: name, clusters\[\]\.name/,
    );
  });

  it('a cluster with site null is a site of its own, as without the field', () => {
    const jobs = [{ id: 'j', pflops: 1, hours: 2, earliest: 0, deadline: 5 }];
    const withNull = runInstance(
      { slots: 10, sites: [{ id: 's', gridMw: 0 }], clusters: [{ ...c, site: null }], jobs },
      'online',
    );
    const without = runInstance({ slots: 10, sites: [{ id: 's', gridMw: 0 }], clusters: [c], jobs }, 'online');
    expect(withNull.placements).toEqual(without.placements);
    expect(withNull.placements).toHaveLength(1);
  });

  it('bad usage exits 2, a file it cannot read exits 1', () => {
    expect(run().code).toBe(2);
    const missing = run(join(dir, 'no-such-file.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read/);
  });

  it('bad usage exits 2', () => {
    const r = run(example, '--mode', 'fast');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--mode must be online or batch/);
    expect(run(example, '--fast').code).toBe(2);
    expect(run(example, example).err).toMatch(/unexpected argument/);
  });

  it('after -- every argument is a file (a file name may start with -); -h prints the usage', () => {
    const plain = run(example);
    const after = run('--mode', 'online', '--', example);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.out).placements).toEqual(JSON.parse(plain.out).placements);
    const dashed = run('--', '--mode');
    expect(dashed.code).toBe(1);
    expect(dashed.err).toMatch(/cannot read --mode/);
    expect(run('-h')).toMatchObject({ code: 0, out: expect.stringMatching(/^usage: schedule/) });
  });
});
