import { runInstance } from '../src/instance';

// Minimal instances from a black-box review against docs/scheduler-instance-format.md, with the
// answer the document gives (worked out by hand in each comment).
describe('cases from a black-box review of the format document', () => {
  it('GREENEST never places a job with a minGreenShare where it gets less green (a 0 W cluster first in the list)', () => {
    // c0 draws 0 W (0.1 PFLOPS x 0.001 kW/PFLOPS rounds to 0 W): its requirement is 0 Wh, and its
    // only start is 2; c1 draws 100 W and has no green, so minGreenShare 1 rules every start out
    const inst = {
      slots: 3,
      clusters: [
        {
          id: 'c0',
          capacityPflops: 10,
          kwPerPflops: 0.001,
          pue: 1,
          pricePerPflopsHour: 0,
          gridPricePerMwh: 0,
          capacityChanges: [{ start: 0, end: 2, capacityPflops: 0 }],
        },
        { id: 'c1', capacityPflops: 10, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 0, gridPricePerMwh: 0 },
      ],
      jobs: [{ id: 'j', pflops: 0.1, hours: 1, earliest: 0, deadline: 3, objective: 'GREENEST', minGreenShare: 1 }],
    };
    for (const mode of ['online', 'batch'] as const) {
      const r = runInstance(inst, mode);
      expect(r.placements.map((p) => [p.job, p.cluster, p.start])).toEqual([['j', 'c0', 2]]);
    }
  });

  it('CHEAPEST meets the candidates cluster by cluster in list order, as the tie rule is defined', () => {
    // totals: A@0 = A@1 = 1,000,100.0015, B@0 = 1,000,100.0008, B@1 = 1,000,100 (eps ~ 0.001):
    // A@0 is the best; A@1 and B@0 tie but do not start earlier; B@1 < best - eps replaces it
    const inst = {
      slots: 2,
      clusters: [
        { id: 'A', capacityPflops: 10, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 500050, gridPricePerMwh: 0.75 },
        {
          id: 'B',
          capacityPflops: 10,
          kwPerPflops: 1,
          pue: 1,
          pricePerPflopsHour: 500050,
          gridPricePerMwh: 0,
          gridPrices: [{ start: 0, end: 1, pricePerMwh: 0.4 }],
        },
      ],
      jobs: [{ id: 'j', pflops: 2, hours: 1, earliest: 0, deadline: 2, objective: 'CHEAPEST' }],
    };
    for (const mode of ['online', 'batch'] as const) {
      const r = runInstance(inst, mode);
      expect(r.placements.map((p) => [p.job, p.cluster, p.start, p.price])).toEqual([['j', 'B', 1, 1000100]]);
    }
  });
});

describe('horizonStart: an ISO 8601 date-time with a zone, on a real day', () => {
  const inst = (horizonStart: string) => ({
    horizonStart,
    slots: 2,
    clusters: [{ id: 'c', capacityPflops: 1, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 0, gridPricePerMwh: 0 }],
    jobs: [],
  });
  it.each([
    '2027-01-01T00:00:00Z',
    '2027-01-01T08:00Z',
    '2027-02-28T23:59:59.5+08:00',
    '2028-02-29T00:00:00-05:30',
    '0001-01-01T00:00:00Z',
    '9999-12-31T23:00:00+05:00',
  ])('accepts %s', (h) => expect(runInstance(inst(h), 'online').stats.placed).toBe(0));
  it.each([
    '2027-01-01',
    '2027-01-01T00:00:00',
    '2027-02-30T00:00:00Z',
    '2027-13-01T00:00:00Z',
    '2027-02-29T00:00:00Z',
    // outside the years 0001 to 9999 UTC, as the API's DateTime refuses them (an offset can carry a date there)
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:00:00-05:00',
  ])('refuses %s, naming the field', (h) =>
    expect(() => runInstance(inst(h), 'online')).toThrow(/^horizonStart must be an ISO 8601 date-time/),
  );

  it('ids of at most 200 characters count code points: 200 emoji are an id, 201 are not', () => {
    const e = '\u{1F600}';
    const inst = (job: string, cluster: string) => ({
      slots: 4,
      clusters: [
        { id: cluster, capacityPflops: 10, kwPerPflops: 1, pue: 1, pricePerPflopsHour: 1, gridPricePerMwh: 1 },
      ],
      jobs: [{ id: job, pflops: 1, hours: 1, earliest: 0, deadline: 4 }],
    });
    const r = runInstance(inst(e.repeat(200), e.repeat(200)), 'online');
    expect(r.placements.map((p) => [p.job, p.cluster, p.start])).toEqual([[e.repeat(200), e.repeat(200), 0]]);
    expect(() => runInstance(inst(e.repeat(201), 'c'), 'online')).toThrow(
      /^jobs\[0\]\.id must be a non-empty string \(at most 200 characters\)/,
    );
    expect(() => runInstance(inst('j', e.repeat(201)), 'online')).toThrow(
      /^clusters\[0\]\.id must be a non-empty string \(at most 200 characters\)/,
    );
  });
});
