import type { Placement } from '@pflex/scheduler';
import { chooseCover, CoverRequest, coverRequestOf, VoucherCandidate } from './vouchers.service';

// The voucher rule (one home for quotes, group commits and round clearings): which voucher a
// booking draws and how much, to the cent.

const H = 3_600_000;
const T = Date.UTC(2030, 0, 1);

function voucher(id: string, over: Partial<VoucherCandidate> = {}): VoucherCandidate {
  return {
    id,
    percent_covered: 50,
    remaining: '1000.00',
    valid_from: new Date(T).toISOString(),
    valid_until: new Date(T + 30 * 24 * H).toISOString(),
    created_at: new Date(T - H).toISOString(),
    cluster_ids: null,
    min_green_share: null,
    ...over,
  };
}

/** A 2-hour run on c-1 from T + 1 h drawing 100 kW, 80 kWh of it green, priced 200.00. */
function run(over: Partial<CoverRequest> = {}): CoverRequest {
  return {
    clusterId: 'c-1',
    startsAt: T + H,
    endsAt: T + 3 * H,
    greenWh: 80_000,
    drawW: 100_000,
    hours: 2,
    priceTotal: 200,
    ...over,
  };
}

const left = (c: VoucherCandidate) => Math.round(Number(c.remaining) * 100);

describe('chooseCover: the first voucher that applies, percentCovered rounded down to the cent, at most what is left', () => {
  it('takes the one expiring first, then the oldest, then the lowest id, whatever the order given, not the one that covers most', () => {
    const first = voucher('z-first', { percent_covered: 10, valid_until: new Date(T + 10 * 24 * H).toISOString() });
    const bigger = voucher('a-bigger', { percent_covered: 90 });
    expect(chooseCover([first, bigger], run(), left)).toEqual({ voucherId: 'z-first', amount: 20 });
    expect(chooseCover([bigger, first], run(), left)).toEqual({ voucherId: 'z-first', amount: 20 });
    const older = voucher('z-older', { created_at: new Date(T - 2 * H).toISOString() });
    expect(chooseCover([bigger, older], run(), left)?.voucherId).toBe('z-older');
    expect(chooseCover([voucher('b'), voucher('a')], run(), left)?.voucherId).toBe('a');
  });

  it('needs the validity to hold the whole run: both ends inclusive', () => {
    const from = (ms: number) => voucher('v', { valid_from: new Date(ms).toISOString() });
    const until = (ms: number) => voucher('v', { valid_until: new Date(ms).toISOString() });
    expect(chooseCover([from(T + H)], run(), left)?.voucherId).toBe('v');
    expect(chooseCover([from(T + H + 1)], run(), left)).toBeNull();
    expect(chooseCover([until(T + 3 * H)], run(), left)?.voucherId).toBe('v');
    expect(chooseCover([until(T + 3 * H - 1)], run(), left)).toBeNull();
    // Date objects (TypeORM rows) and strings (JSON rows) alike
    expect(
      chooseCover([voucher('d', { valid_from: new Date(T), valid_until: new Date(T + 3 * H) })], run(), left)
        ?.voucherId,
    ).toBe('d');
  });

  it('skips a voucher for other clusters and one whose green condition the run misses, for the next', () => {
    const cands = [
      voucher('other', { cluster_ids: ['c-2'] }),
      voucher('green90', { min_green_share: 0.9 }),
      voucher('mine', { cluster_ids: ['c-2', 'c-1'], percent_covered: 25 }),
    ];
    expect(chooseCover(cands, run(), left)).toEqual({ voucherId: 'mine', amount: 50 });
  });

  it('green condition: exactly the share is enough, one Wh less is not', () => {
    const g = [voucher('g', { min_green_share: 0.4 })];
    // 0.4 x 100 kW x 2 h = 80,000 Wh
    expect(chooseCover(g, run({ greenWh: 80_000 }), left)?.voucherId).toBe('g');
    expect(chooseCover(g, run({ greenWh: 79_999 }), left)).toBeNull();
    expect(chooseCover([voucher('zero', { min_green_share: 0 })], run({ greenWh: 0 }), left)?.voucherId).toBe('zero');
  });

  it('rounds the share down to the cent', () => {
    expect(chooseCover([voucher('v', { percent_covered: 33.33 })], run({ priceTotal: 10.01 }), left)).toEqual({
      voucherId: 'v',
      amount: 3.33,
    });
    expect(chooseCover([voucher('v', { percent_covered: 99.99 })], run({ priceTotal: 99.99 }), left)).toEqual({
      voucherId: 'v',
      amount: 99.98,
    });
    expect(chooseCover([voucher('v', { percent_covered: 100 })], run({ priceTotal: 0.29 }), left)).toEqual({
      voucherId: 'v',
      amount: 0.29,
    });
  });

  it('covers what is left when that is less, and passes over a voucher that would cover nothing', () => {
    expect(chooseCover([voucher('v', { remaining: '1.50' })], run(), left)).toEqual({ voucherId: 'v', amount: 1.5 });
    // 99.99% of 0.01 is 0.0099: nothing, so the next voucher
    const tiny = [voucher('nothing', { percent_covered: 99.99 }), voucher('next', { percent_covered: 100 })];
    expect(chooseCover(tiny, run({ priceTotal: 0.01 }), left)).toEqual({ voucherId: 'next', amount: 0.01 });
    expect(chooseCover([voucher('spent', { remaining: '0.00' }), voucher('next')], run(), left)?.voucherId).toBe(
      'next',
    );
    expect(chooseCover([voucher('v')], run({ priceTotal: 0 }), left)).toBeNull();
    expect(chooseCover([], run(), left)).toBeNull();
  });

  it('asks `leftCents`, not the row, for the money left (a group commit lowers it as members draw)', () => {
    const v = voucher('v', { remaining: '1000.00' });
    const drawn = new Map([['v', 1234]]);
    expect(chooseCover([v], run(), (c) => drawn.get(c.id)!)).toEqual({ voucherId: 'v', amount: 12.34 });
  });
});

describe('coverRequestOf: the part of a placement a voucher looks at', () => {
  it('sums the green Wh, spans the run, and prices it as clients read it (rounded parts, their sum)', () => {
    const pl = {
      cluster: 'c-9',
      hours: 3,
      drawW: 50_000,
      greenW: Int32Array.from([50_000, 20_000, 0]),
      price: { compute: 0.005, greenEnergy: 0.005, gridEnergy: 1.114, total: 1.124 },
    } as Placement;
    expect(coverRequestOf(pl, T)).toEqual({
      clusterId: 'c-9',
      startsAt: T,
      endsAt: T + 3 * H,
      greenWh: 70_000,
      drawW: 50_000,
      hours: 3,
      priceTotal: 1.13,
    });
  });
});
