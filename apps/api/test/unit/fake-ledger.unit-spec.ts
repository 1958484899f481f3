import { PG_ERROR, pgErrorCode } from '@pflex/persistence';
import type { GroupInsert, LedgerDeltas, VoucherDraws } from '../../src/ledger/ledger.repository';
import { FakeLedger } from '../support/fake-ledger';

// The fake must refuse what the database's constraints refuse, or unit tests on it would pass
// where production fails. Each rule: the statement is refused with the database's SQLSTATE and
// nothing of it is applied.

const H = 1000;
const C = 'c-1';

function group(over: Partial<GroupInsert> = {}): GroupInsert {
  return {
    id: ['b-1'],
    org: ['a'],
    cluster: [C],
    startH: [H],
    hours: [1],
    tflops: [60_000],
    drawW: [720_000],
    greenFlat: [0],
    greenOff: [0],
    gridPriceFlat: [600],
    objective: ['EARLIEST'],
    minGreenShare: [null],
    greenMwh: [0],
    gridMwh: [0.72],
    greenShare: [0],
    priceCompute: [120],
    priceGreen: [0],
    greenPrice: [null],
    priceGrid: [432],
    priceTotal: [552],
    voucherId: [null],
    voucherAmount: ['0.00'],
    key: ['k-1'],
    fingerprint: ['fp'],
    ...over,
  };
}

const deltas = (tflops: number, greenW = 0, gridW = 720_000, hour = H): LedgerDeltas => ({
  cluster: [C],
  hour: [hour],
  tflops: [tflops],
  greenW: [greenW],
  gridW: [gridW],
});
const noDraws: VoucherDraws = {
  voucher: [],
  amount: [],
  ledgerVoucher: [],
  ledgerBooking: [],
  ledgerAmount: [],
  ledgerSpentAfter: [],
};

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  return p.then(
    () => 'committed',
    (e: unknown) => pgErrorCode(e) ?? (e as Error).message,
  );
}

describe('FakeLedger enforces the ledger constraints', () => {
  let l: FakeLedger;
  const write = (b: GroupInsert, d: LedgerDeltas, v = noDraws) =>
    l.transaction((s) => l.writeGroup(s, b, d, [], v, 'ch', [], 0));

  beforeEach(() => {
    l = new FakeLedger();
    l.addCluster({ id: C, capacityTflops: 100_000 }, H, H + 4);
    l.addGreen(C, H, H + 4, 500_000, 40);
  });

  it('booked <= capacity per cluster-hour: a write over it changes nothing', async () => {
    expect(await codeOf(write(group(), deltas(60_000)))).toBe('committed');
    expect(await codeOf(write(group({ id: ['b-2'], key: ['k-2'] }), deltas(40_001)))).toBe(PG_ERROR.CHECK_VIOLATION);
    expect(l.hour(C, H).booked).toBe(60_000);
    expect(l.bookings.size).toBe(1);
    expect(l.clusters.get(C)!.version).toBe(1);
    expect(await codeOf(write(group({ id: ['b-3'], key: ['k-3'] }), deltas(40_000)))).toBe('committed');
    expect(l.hour(C, H).booked).toBe(100_000);
  });

  it('0 <= green alloc <= supply, grid W >= 0', async () => {
    expect(await codeOf(write(group({ greenFlat: [500_001] }), deltas(10_000, 500_001, 0)))).toBe(
      PG_ERROR.CHECK_VIOLATION,
    );
    expect(await codeOf(write(group(), deltas(10_000, 0, -1)))).toBe(PG_ERROR.CHECK_VIOLATION);
    expect(l.hour(C, H)).toMatchObject({ booked: 0, alloc: 0, grid: 0 });
    expect(() => l.addGreen(C, H, H + 1, -500_001, 40)).toThrow(/cluster_hours_green_check/);
  });

  it('grid used <= reserved capacity per site-hour', async () => {
    l.addCluster({ id: 'c-2', capacityTflops: 100_000, siteId: 's-1' }, H, H + 4);
    l.setSiteCap('s-1', H, H + 4, 700_000);
    const d: LedgerDeltas = { cluster: ['c-2'], hour: [H], tflops: [60_000], greenW: [0], gridW: [720_000] };
    expect(await codeOf(write(group({ cluster: ['c-2'] }), d))).toBe(PG_ERROR.CHECK_VIOLATION);
    l.setSiteCap('s-1', H, H + 4, 720_000);
    expect(await codeOf(write(group({ cluster: ['c-2'] }), d))).toBe('committed');
    expect(() => l.setSiteCap('s-1', H, H + 1, 719_999)).toThrow(/site_hours_grid_check/);
  });

  it('unique (organization, idempotency key), within a group and against the table', async () => {
    const two = group({
      id: ['b-1', 'b-2'],
      org: ['a', 'a'],
      key: ['k', 'k'],
      cluster: [C, C],
      startH: [H, H + 1],
      hours: [1, 1],
      tflops: [1, 1],
      greenOff: [0, 1],
      greenFlat: [0, 0],
    });
    const d2: LedgerDeltas = { cluster: [C, C], hour: [H, H + 1], tflops: [1, 1], greenW: [0, 0], gridW: [0, 0] };
    expect(await codeOf(write({ ...two, ...spread(two, 2) }, d2))).toBe(PG_ERROR.UNIQUE_VIOLATION);
    expect(await codeOf(write(group({ key: ['k'] }), deltas(1, 0, 0)))).toBe('committed');
    expect(await codeOf(write(group({ id: ['b-9'], key: ['k'] }), deltas(1, 0, 0)))).toBe(PG_ERROR.UNIQUE_VIOLATION);
    expect(await codeOf(write(group({ id: ['b-9'], org: ['b'], key: ['k'] }), deltas(1, 0, 0)))).toBe('committed');
  });

  it('voucher spent <= cap, and a booking never gets more voucher money than its total', async () => {
    l.addVoucher({
      id: 'v',
      orgId: 'a',
      percentCovered: 100,
      cap: 100,
      validFrom: 0,
      validUntil: (H + 10) * 3_600_000,
    });
    const draw = (amount: string, after: string): VoucherDraws => ({
      voucher: ['v'],
      amount: [amount],
      ledgerVoucher: ['v'],
      ledgerBooking: ['b-1'],
      ledgerAmount: [amount],
      ledgerSpentAfter: [after],
    });
    const withVoucher = (amount: string) => group({ voucherId: ['v'], voucherAmount: [amount] });
    expect(await codeOf(write(withVoucher('100.01'), deltas(1, 0, 0), draw('100.01', '100.01')))).toBe(
      PG_ERROR.CHECK_VIOLATION,
    );
    expect(await codeOf(write(group({ voucherId: ['v'], voucherAmount: ['552.01'] }), deltas(1, 0, 0), noDraws))).toBe(
      PG_ERROR.CHECK_VIOLATION,
    );
    expect(await codeOf(write(group({ voucherAmount: ['1.00'] }), deltas(1, 0, 0), noDraws))).toBe(
      PG_ERROR.CHECK_VIOLATION,
    );
    expect(l.voucher('v')).toEqual({ spent: 0, remaining: 100 });
    expect(await codeOf(write(withVoucher('100.00'), deltas(60_000), draw('100.00', '100.00')))).toBe('committed');
    expect(l.voucher('v')).toEqual({ spent: 100, remaining: 0 });
    expect(l.consistency()).toEqual([]);
  });

  it('consistency() reports ledger rows that do not hold their bookings (what no CHECK sees)', async () => {
    expect(await codeOf(write(group(), deltas(59_000)))).toBe('committed');
    expect(l.consistency()).toEqual([`${C} hour ${H}: booked 59000 green 0 grid 720000, bookings hold 60000 0 720000`]);
  });

  it('a missing ledger row fails the write as the repository does', async () => {
    expect(await codeOf(write(group(), deltas(1, 0, 0, H + 10)))).toBe(
      'group write incomplete: 1/1 bookings, 0/1 ledger rows',
    );
    expect(l.bookings.size).toBe(0);
  });

  it('rolls back every statement of a transaction whose function throws', async () => {
    const out = l.transaction(async (s) => {
      await l.writeGroup(s, group(), deltas(60_000), [C], noDraws, 'ch', ['{"k":"l","v":-1,"c":"c-1"}'], 0);
      throw new Error('after the write');
    });
    await expect(out).rejects.toThrow('after the write');
    expect(l.hour(C, H).booked).toBe(0);
    expect(l.bookings.size).toBe(0);
    expect(l.clusters.get(C)!.version).toBe(0);
    expect(l.notifications).toEqual([]);
    expect(l.stats).toEqual({ commits: 0, rollbacks: 1 });
  });

  it('statements need the open transaction; payloads get the raised version and arrive after COMMIT', async () => {
    await expect(l.lockGroup(null as never, [C], [], [], [], H)).rejects.toThrow(/needs the transaction's session/);
    let leaked: unknown;
    await l.transaction(async (s) => {
      leaked = s;
    });
    await expect(l.usage(leaked as never, ['a'], H, H + 1)).rejects.toThrow(/not the open transaction's/);
    const got: string[] = [];
    l.listen((_, p) => got.push(p));
    await l.transaction(async (s) => {
      await l.writeGroup(
        s,
        group(),
        deltas(60_000),
        [C, null],
        noDraws,
        'ch',
        ['{"k":"l","v":-1,"c":"c-1"}', '{"k":"b","v":-1,}'],
        0,
      );
      expect(got).toEqual([]);
    });
    await Promise.resolve();
    expect(got).toEqual(['{"k":"l","v":1,"c":"c-1"}', '{"k":"b","v":-1,}']);
  });
});

/** Column arrays of an n-booking insert with the rest of the columns repeated. */
function spread(b: GroupInsert, n: number): Partial<GroupInsert> {
  const rep = <T>(a: T[]) => Array.from({ length: n }, () => a[0]);
  return {
    drawW: rep(b.drawW),
    objective: rep(b.objective),
    minGreenShare: rep(b.minGreenShare),
    greenMwh: rep(b.greenMwh),
    gridMwh: rep(b.gridMwh),
    greenShare: rep(b.greenShare),
    priceCompute: rep(b.priceCompute),
    priceGreen: rep(b.priceGreen),
    priceGrid: rep(b.priceGrid),
    priceTotal: rep(b.priceTotal),
    voucherId: rep(b.voucherId),
    voucherAmount: rep(b.voucherAmount),
    fingerprint: rep(b.fingerprint),
  };
}
