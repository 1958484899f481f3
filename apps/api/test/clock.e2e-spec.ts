// Time passing in a process that stays up: its own clock (config.now) moved forward, the hourly
// upkeep (TimelinesService.tick) run by hand. Regressions of what a review of long-running
// processes found.
import { DataSource } from 'typeorm';
import { LedgerRepository } from '../src/ledger/ledger.repository';
import { LedgerService } from '../src/ledger/ledger.service';
import { TimelinesService } from '../src/ledger/timelines.service';
import { bootTestApp, HOUR, TestApp } from './support/helpers';

const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id startsAt } }`;
const HORIZON_DAYS = 5;
const iso = (ms: number) => new Date(ms).toISOString();
const settle = () => new Promise<void>((r) => setTimeout(r, 300));

describe('a process that stays up while time passes', () => {
  const H0 = Math.floor(Date.now() / HOUR) * HOUR;
  const clock = { now: H0 + 10 * 60_000 };
  let t: TestApp;
  let tl: TimelinesService;
  let op: { key: string };
  let st: { id: string; key: string };
  let cluster: string;
  const tick = async () => {
    await (tl as unknown as { tick(): Promise<void> }).tick();
    await settle();
  };
  /** hours of [from, to) where the in-memory timelines differ from the ledger rows (capacity, booked) */
  const diffs = async (from: number, to: number): Promise<string[]> => {
    const rows = await t.running.app.get(LedgerRepository).hours(cluster, from, to);
    const db = new Map(rows.map((r) => [new Date(r.hour).getTime(), [r.capacity_tflops, r.booked_tflops]]));
    const line = tl.fleet!.timeline(cluster);
    const out: string[] = [];
    for (let h = from; h < to; h += HOUR) {
      const k = h / HOUR - tl.base;
      const mem = [line.capacityTflops[k], line.capacityTflops[k] - line.freeTflops[k]];
      const want = db.get(h) ?? [0, 0];
      if (mem[0] !== want[0] || mem[1] !== want[1])
        out.push(`${iso(h)} memory ${mem.join('/')} ledger ${want.join('/')}`);
    }
    return out;
  };

  beforeAll(async () => {
    t = await bootTestApp({ config: { now: () => clock.now, roundTickMs: 0, horizonDays: HORIZON_DAYS } });
    tl = t.running.app.get(TimelinesService);
    op = await t.createOrg('OPERATOR');
    st = await t.createOrg('STARTUP');
    cluster = await t.registerCluster(op.key, { capacityPflops: 100 });
  }, 90_000);
  afterAll(() => t?.close());

  it('a booking checked before the hour turns and placed after it starts in the hour now current', async () => {
    const H1 = H0 + 5 * HOUR;
    clock.now = H1 + HOUR - 50; // 50 ms before the turn
    let release!: () => void;
    const held = tl.exclusive(() => new Promise<void>((r) => (release = r))); // a group commit in flight
    const r = { pflops: 10, hours: 1, earliestStart: iso(H1), deadline: iso(H1 + 3 * HOUR), clusterIds: [cluster] };
    const pending = t.gql(BOOK, { r, k: 'straddle' }, st.key);
    await new Promise((res) => setTimeout(res, 200)); // checked, now queued behind the section
    clock.now = H1 + HOUR + 20; // the hour has turned
    release();
    await held;
    const got = await pending;
    expect(got.errors).toBeUndefined();
    expect(got.data.bookCompute.startsAt).toBe(iso(H1 + HOUR));
  }, 60_000);

  it("a voucher's validity is judged by the process's clock, as everything else", async () => {
    const ISSUE = `mutation($i: IssueVoucherInput!) { issueVoucher(input: $i) { id } }`;
    const i = { organizationId: st.id, percentCovered: 50, cap: 10, validFrom: iso(H0 + 20 * HOUR) };
    clock.now = H0 + 48 * HOUR;
    // still ahead of the wall clock, already over by the process's
    expect(await t.code(ISSUE, { i: { ...i, validUntil: iso(H0 + 30 * HOUR) } })).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.validUntil',
    });
    clock.now = H0 + 10 * 60_000 + 6 * HOUR;
  });

  it('after days without upkeep (a suspended process), one tick leaves the timelines equal to the ledger', async () => {
    // 49 h later, the tick's ledger extension racing a group commit
    clock.now = H0 + 49 * HOUR + 5 * 60_000;
    let release!: () => void;
    const held = tl.exclusive(() => new Promise<void>((r) => (release = r)));
    const ticking = (tl as unknown as { tick(): Promise<void> }).tick();
    await new Promise((r) => setTimeout(r, 500));
    release();
    await held;
    await ticking;
    await settle();
    let now = H0 + 49 * HOUR;
    expect(tl.base).toBe(now / HOUR);
    expect(await diffs(now, now + (HORIZON_DAYS + 1) * 24 * HOUR)).toEqual([]);
    // 8 days more with one tick
    now += 8 * 24 * HOUR;
    clock.now = now + 5 * 60_000;
    await tick();
    expect(tl.base).toBe(now / HOUR);
    const end = now + HORIZON_DAYS * 24 * HOUR;
    expect(await diffs(now, end + 24 * HOUR)).toEqual([]);
    // rows missing over days are made again in statements of a bounded size (one day each here),
    // announced as one contiguous run per cluster
    const ds = t.running.app.get(DataSource);
    await ds.query(`DELETE FROM cluster_hours WHERE hour >= $1`, [new Date(end - 3 * 24 * HOUR)]);
    expect(await t.running.app.get(LedgerService).materialise(10)).toBe(4 * 24);
    await settle();
    expect(await diffs(now, end + 24 * HOUR)).toEqual([]);
    // the last bookable hour books
    const r = { pflops: 1, hours: 1, earliestStart: iso(end - HOUR), deadline: iso(end), clusterIds: [cluster] };
    expect((await t.ok(BOOK, { r, k: 'last-hour' }, st.key)).bookCompute.startsAt).toBe(iso(end - HOUR));
  }, 90_000);
});
