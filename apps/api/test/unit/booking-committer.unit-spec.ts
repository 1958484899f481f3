import { BookingErrorCode, BookingException } from '../../src/bookings/bookings.exception';
import { HOUR_MS } from '../../src/common/time.utils';
import { QuotaErrorCode, QuotaException } from '../../src/quotas/quotas.exception';
import { bookingKit, BookingKit, T0H } from '../support/booking-kit';
import { FakeLedger } from '../support/fake-ledger';

// zh-1: 100 PFLOPS, 10 kW per PFLOPS at PUE 1.2 (12 kW per PFLOPS drawn), 2 per PFLOPS-hour, grid 600 per MWh.
// A 40 PFLOPS booking draws 480,000 W; for 2 hours on grid it costs 160 compute + 576 grid = 736.
const C = 'zh-1';
const at = (h: number) => new Date((T0H + h) * HOUR_MS);

/** The error a rejected booking carries: its code and message. */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e = await p.then(
    () => {
      throw new Error('expected a refusal, the booking was made');
    },
    (err: unknown) => err,
  );
  if (e instanceof BookingException || e instanceof QuotaException) return { code: e.code, message: e.message };
  throw e;
}

describe('BookingCommitter on the fake ledger (group commit, refusals, idempotency, vouchers, rules, races)', () => {
  let kit: BookingKit;
  let ledger: FakeLedger;
  afterEach(() => kit?.close());

  async function boot(setup: (l: FakeLedger) => void = () => undefined): Promise<BookingKit> {
    ledger = new FakeLedger();
    ledger.addCluster({ id: C, capacityTflops: 100_000 }, T0H, T0H + 24 * 4);
    setup(ledger);
    kit = await bookingKit({ ledger });
    return kit;
  }

  describe('placement and the write', () => {
    it('places on the earliest free hours and writes the booking, its ledger rows, the version and the notification', async () => {
      await boot();
      const b = await kit.book('startup-a', kit.request({ pflops: 40, hours: 2, from: 1, to: 10 }), { key: 'k1' });
      expect([b.startsAt, b.endsAt]).toEqual([at(1), at(3)]);
      expect(b.price).toEqual({
        compute: 160,
        greenEnergy: 0,
        gridEnergy: 576,
        total: 736,
        voucher: 0,
        totalAfterVoucher: 736,
      });
      expect([b.powerMw, b.greenShare, b.clusterName]).toEqual([0.48, 0, C]);
      // the ledger: exactly the two hours, booked TFLOPS and grid W; the hours around untouched
      expect(ledger.hour(C, T0H + 1)).toMatchObject({ booked: 40_000, alloc: 0, grid: 480_000 });
      expect(ledger.hour(C, T0H + 2)).toMatchObject({ booked: 40_000, alloc: 0, grid: 480_000 });
      expect([ledger.hour(C, T0H).booked, ledger.hour(C, T0H + 3).booked]).toEqual([0, 0]);
      const rows = ledger.confirmed();
      expect(rows.map((r) => [r.id, r.org_id, r.idempotency_key, r.tflops, r.hours, r.price_total])).toEqual([
        [b.id, 'startup-a', 'k1', 40_000, 2, 736],
      ]);
      // one version raised, the process's timelines at it, the change announced with it
      expect(ledger.clusters.get(C)!.version).toBe(1);
      expect(kit.timelines.version(C)).toBe(1);
      const sent = ledger.notifications.map((n) => JSON.parse(n.payload));
      expect(sent.find((m) => m.k === 'l')).toMatchObject({
        c: C,
        v: 1,
        pre: 1,
        d: { t: 'd', h: [T0H + 1, T0H + 2], tf: [40_000, 40_000], g: [0, 0], gw: [480_000, 480_000] },
      });
      expect(sent.find((m) => m.k === 'b')).toMatchObject({ b: [[b.id, 'startup-a', C, T0H + 1, T0H + 3, 'C']] });
      expect(kit.timelines.fleet!.bookedTflops(C, 1)).toBe(40_000);
      expect(ledger.consistency()).toEqual([]);
    });

    it('commits concurrent calls as one group in arrival order; a member refused does not fail the others', async () => {
      await boot();
      const v = kit.request({ pflops: 40, hours: 1, from: 1, to: 2 });
      const out = await Promise.allSettled([kit.book('a', v), kit.book('b', v), kit.book('c', v)]);
      expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect(await refusal(Promise.reject((out[2] as PromiseRejectedResult).reason as Error))).toEqual({
        code: BookingErrorCode.NO_CAPACITY,
        message: `no 1 h run with 40 PFLOPS free between ${at(1).toISOString()} and ${at(2).toISOString()} on cluster ${C}`,
      });
      expect(kit.committer.stats).toMatchObject({ groups: 1, members: 3, attempts: 1 });
      expect(ledger.stats.commits).toBe(1);
      expect(ledger.hour(C, T0H + 1).booked).toBe(80_000);
      expect(ledger.confirmed().map((r) => r.org_id)).toEqual(['a', 'b']);
    });

    it('each member of a group sees the ones before it: the next ones move to the next free hours', async () => {
      await boot();
      const v = kit.request({ pflops: 60, hours: 1, from: 1, to: 4 });
      const got = await Promise.all([kit.book('a', v), kit.book('b', v), kit.book('c', v)]);
      expect(got.map((b) => b.startsAt)).toEqual([at(1), at(2), at(3)]);
      expect(kit.committer.stats.groups).toBe(1);
      expect([1, 2, 3].map((h) => ledger.hour(C, T0H + h).booked)).toEqual([60_000, 60_000, 60_000]);
    });

    it('allocates green power and refuses what the green left cannot reach (GREEN_SHORTFALL)', async () => {
      await boot((l) => l.addGreen(C, T0H, T0H + 24, 300_000, 40));
      const green = kit.request({ pflops: 20, hours: 1, from: 1, to: 2, minGreenShare: 1 });
      const b = await kit.book('a', green);
      // 20 PFLOPS draw 240,000 W, all green: 0.24 MWh at 40 = 9.60
      expect([b.greenShare, b.greenMwh, b.gridMwh, b.price.greenEnergy, b.price.gridEnergy, b.price.total]).toEqual([
        1, 0.24, 0, 9.6, 0, 49.6,
      ]);
      expect(ledger.hour(C, T0H + 1)).toMatchObject({ booked: 20_000, alloc: 240_000, supply: 300_000, grid: 0 });
      const short = await refusal(kit.book('b', green));
      expect(short.code).toBe(BookingErrorCode.GREEN_SHORTFALL);
      expect(short.message).toContain('not enough free green power to reach minGreenShare 1');
      // without the green condition it fits, taking the 60,000 W of green left
      const mixed = await kit.book('b', kit.request({ pflops: 20, hours: 1, from: 1, to: 2 }));
      expect(mixed.greenMwh).toBe(0.06);
      expect(ledger.hour(C, T0H + 1)).toMatchObject({ alloc: 300_000, grid: 180_000 });
      expect(ledger.consistency()).toEqual([]);
    });

    it("refuses a run that would draw more grid than the site reserved (GRID_LIMIT) and counts the site's grid", async () => {
      ledger = new FakeLedger();
      ledger.addCluster({ id: C, capacityTflops: 100_000, siteId: 'site-1' }, T0H, T0H + 96);
      ledger.setSiteCap('site-1', T0H, T0H + 96, 500_000);
      kit = await bookingKit({ ledger });
      const over = await refusal(kit.book('a', kit.request({ pflops: 50, hours: 1, from: 1, to: 3 })));
      expect(over.code).toBe(BookingErrorCode.GRID_LIMIT);
      const ok = await kit.book('a', kit.request({ pflops: 40, hours: 1, from: 1, to: 3 }));
      expect(ok.startsAt).toEqual(at(1));
      expect(ledger.siteHours.get('site-1')!.get(T0H + 1)).toEqual({ cap: 500_000, used: 480_000 });
      expect(ledger.consistency()).toEqual([]);
    });
  });

  describe('idempotency keys', () => {
    it('the same key and request replays the booking without writing it again', async () => {
      await boot();
      const v = kit.request({ pflops: 10, hours: 1, from: 1, to: 5 });
      const first = await kit.book('a', v, { key: 'same' });
      const again = await kit.book('a', v, { key: 'same' });
      expect(again.id).toBe(first.id);
      expect(again.startsAt).toEqual(first.startsAt);
      expect(again.price.total).toBe(first.price.total);
      expect(ledger.confirmed()).toHaveLength(1);
      expect(ledger.statements.filter((s) => s === 'writeGroup')).toHaveLength(1);
      expect(ledger.hour(C, T0H + 1).booked).toBe(10_000);
    });

    it('the same key with another request is refused, naming the booking it made', async () => {
      await boot();
      const first = await kit.book('a', kit.request({ pflops: 10, hours: 1, from: 1, to: 5 }), { key: 'k' });
      const reused = await refusal(kit.book('a', kit.request({ pflops: 11, hours: 1, from: 1, to: 5 }), { key: 'k' }));
      expect(reused).toEqual({
        code: BookingErrorCode.IDEMPOTENCY_KEY_REUSED,
        message: `idempotencyKey was already used for a different request (booking ${first.id})`,
      });
      expect(ledger.confirmed()).toHaveLength(1);
    });

    it('two calls with one key at once make one booking; keys are per organization', async () => {
      await boot();
      const v = kit.request({ pflops: 10, hours: 1, from: 1, to: 5 });
      const [x, y, other] = await Promise.all([
        kit.book('a', v, { key: 'k' }),
        kit.book('a', v, { key: 'k' }),
        kit.book('b', v, { key: 'k' }),
      ]);
      expect(y.id).toBe(x.id);
      expect(other.id).not.toBe(x.id);
      expect(
        ledger
          .confirmed()
          .map((r) => [r.org_id, r.idempotency_key])
          .sort(),
      ).toEqual([
        ['a', 'k'],
        ['b', 'k'],
      ]);
      expect(ledger.hour(C, T0H + 1).booked).toBe(20_000);
    });

    it('a key another process inserted meanwhile (unique violation) is retried and replayed', async () => {
      await boot();
      const v = kit.request({ pflops: 10, hours: 1, from: 1, to: 5 });
      const fingerprint = 'fp-1';
      let theirs = '';
      ledger.before('writeGroup', () => {
        theirs = ledger.elsewhere({
          orgId: 'a',
          cluster: C,
          startH: T0H + 3,
          hours: 1,
          tflops: 10_000,
          key: 'k',
          fingerprint,
        });
      });
      const b = await kit.book('a', v, { key: 'k', fingerprint });
      expect(b.id).toBe(theirs);
      expect(b.startsAt).toEqual(at(3));
      expect(ledger.stats.rollbacks).toBe(1);
      expect(ledger.confirmed()).toHaveLength(1);
      expect(ledger.hour(C, T0H + 1).booked).toBe(0);
      expect(ledger.consistency()).toEqual([]);
    });
  });

  describe('vouchers', () => {
    it('covers percentCovered of the total, draws the voucher and writes its ledger row', async () => {
      const validFrom = T0H * HOUR_MS;
      await boot((l) =>
        l.addVoucher({
          id: 'v-1',
          orgId: 'a',
          percentCovered: 50,
          cap: 500,
          validFrom,
          validUntil: validFrom + 30 * 24 * HOUR_MS,
        }),
      );
      const b = await kit.book('a', kit.request({ pflops: 40, hours: 2, from: 1, to: 10 }));
      expect([b.voucherId, b.price.total, b.price.voucher, b.price.totalAfterVoucher]).toEqual(['v-1', 736, 368, 368]);
      expect(ledger.voucher('v-1')).toEqual({ spent: 368, remaining: 132 });
      expect(ledger.voucherLedger).toEqual([
        { voucherId: 'v-1', bookingId: b.id, kind: 'DRAW', amountCents: 36_800, spentAfterCents: 36_800 },
      ]);
      expect(ledger.bookings.get(b.id)!.voucher_amount).toBe('368.00');
    });

    it('members of one group draw in order: the second gets what the first left, the third nothing', async () => {
      const validFrom = T0H * HOUR_MS;
      await boot((l) =>
        l.addVoucher({
          id: 'v-1',
          orgId: 'a',
          percentCovered: 50,
          cap: 500,
          validFrom,
          validUntil: validFrom + 30 * 24 * HOUR_MS,
        }),
      );
      const v = kit.request({ pflops: 40, hours: 2, from: 1, to: 20 });
      const got = await Promise.all([kit.book('a', v), kit.book('a', v), kit.book('a', v)]);
      expect(got.map((b) => b.price.voucher)).toEqual([368, 132, 0]);
      expect(got.map((b) => b.voucherId)).toEqual(['v-1', 'v-1', null]);
      expect(kit.committer.stats.groups).toBe(1);
      expect(ledger.voucher('v-1')).toEqual({ spent: 500, remaining: 0 });
      expect(ledger.voucherLedger.map((l) => [l.amountCents, l.spentAfterCents])).toEqual([
        [36_800, 36_800],
        [13_200, 50_000],
      ]);
      expect(ledger.consistency()).toEqual([]);
    });

    it('draws the voucher expiring first, and only vouchers valid for the whole run', async () => {
      const from = T0H * HOUR_MS;
      await boot((l) => {
        l.addVoucher({
          id: 'late',
          orgId: 'a',
          percentCovered: 10,
          cap: 100,
          validFrom: from,
          validUntil: from + 40 * 24 * HOUR_MS,
        });
        l.addVoucher({
          id: 'soon',
          orgId: 'a',
          percentCovered: 20,
          cap: 100,
          validFrom: from,
          validUntil: from + 20 * 24 * HOUR_MS,
        });
        // expires first but ends inside the run
        l.addVoucher({
          id: 'ends-early',
          orgId: 'a',
          percentCovered: 90,
          cap: 100,
          validFrom: from,
          validUntil: from + 2 * HOUR_MS,
        });
      });
      const b = await kit.book('a', kit.request({ pflops: 40, hours: 2, from: 1, to: 10 }));
      // 20% of 736 = 147.20
      expect([b.voucherId, b.price.voucher]).toEqual(['soon', 100]);
      expect(ledger.voucher('soon').remaining).toBe(0);
      expect([ledger.voucher('late').spent, ledger.voucher('ends-early').spent]).toEqual([0, 0]);
    });
  });

  describe('access rules (checked under the group lock)', () => {
    it('7-day PFLOPS-hours: counts confirmed bookings and earlier members of the group; the limit itself is allowed', async () => {
      await boot((l) => l.setRules('a', { maxPflopsHoursPer7Days: 100 }));
      ledger.elsewhere({ orgId: 'a', cluster: C, startH: T0H + 5, hours: 1, tflops: 40_000 });
      await kit.timelines.refresh([C]);
      const v30x1 = kit.request({ pflops: 30, hours: 1, from: 1, to: 3 });
      // 40 + 30 + 30 = 100 (allowed), a third 30 would make 130
      const out = await Promise.allSettled([kit.book('a', v30x1), kit.book('a', v30x1), kit.book('a', v30x1)]);
      expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      const e = (out[2] as PromiseRejectedResult).reason as QuotaException;
      expect(e.code).toBe(QuotaErrorCode.QUOTA_EXCEEDED);
      expect(e.details).toMatchObject({ limit: 'PFLOPS_HOURS_PER_7_DAYS', over: 30 });
      // another startup is not bound by a's rule
      await expect(kit.book('b', v30x1)).resolves.toMatchObject({ pflops: 30 });
    });

    it('cluster share: refuses what only the share blocks, and places what fits within it', async () => {
      await boot((l) => l.setRules('a', { maxClusterShare: 0.5 }));
      const over = await refusal(kit.book('a', kit.request({ pflops: 60, hours: 1, from: 1, to: 2 })));
      expect(over.code).toBe(QuotaErrorCode.QUOTA_EXCEEDED);
      expect(over.message).toContain('at most 50% of any one cluster per hour');
      const half = await kit.book('a', kit.request({ pflops: 50, hours: 1, from: 1, to: 3 }));
      expect(half.startsAt).toEqual(at(1));
      // a's next 10 PFLOPS cannot share hour 1 with its 50; it moves to hour 2
      const next = await kit.book('a', kit.request({ pflops: 10, hours: 1, from: 1, to: 3 }));
      expect(next.startsAt).toEqual(at(2));
      expect(ledger.hour(C, T0H + 1).booked).toBe(50_000);
    });
  });

  describe('races and failures (the ledger is the safety net)', () => {
    it('a commit by another process between lock and write: the CHECK refuses, the group catches up and lands elsewhere', async () => {
      await boot();
      ledger.before('writeGroup', () =>
        ledger.elsewhere({ orgId: 'z', cluster: C, startH: T0H + 1, hours: 1, tflops: 70_000 }),
      );
      const b = await kit.book('a', kit.request({ pflops: 50, hours: 1, from: 1, to: 3 }));
      expect(b.startsAt).toEqual(at(2));
      expect(ledger.stats.rollbacks).toBe(1);
      expect(kit.committer.stats.attempts).toBe(2);
      expect([ledger.hour(C, T0H + 1).booked, ledger.hour(C, T0H + 2).booked]).toEqual([70_000, 50_000]);
      expect(kit.timelines.fleet!.bookedTflops(C, 1)).toBe(70_000);
      expect(kit.timelines.version(C)).toBe(2);
      expect(ledger.consistency()).toEqual([]);
    });

    it('a lost change message: the versions show the timelines behind, the cluster is reloaded before placing', async () => {
      await boot();
      ledger.elsewhere({ orgId: 'z', cluster: C, startH: T0H + 1, hours: 1, tflops: 70_000, notify: false });
      const b = await kit.book('a', kit.request({ pflops: 50, hours: 1, from: 1, to: 3 }));
      expect(b.startsAt).toEqual(at(2));
      expect(kit.committer.stats.reloads).toBe(1);
      expect(ledger.stats.rollbacks).toBe(0);
      expect(kit.timelines.version(C)).toBe(2);
    });

    it('gives up after repeated deadlocks with NO_CAPACITY, leaving the ledger and the timelines as they were', async () => {
      await boot();
      ledger.failNext('writeGroup', '40P01', 8);
      const e = await refusal(kit.book('a', kit.request({ pflops: 10, hours: 1, from: 1, to: 3 })));
      expect(e).toEqual({
        code: BookingErrorCode.NO_CAPACITY,
        message: 'the capacity was taken by concurrent bookings; try again',
      });
      expect(kit.committer.stats.attempts).toBe(8);
      expect(ledger.confirmed()).toEqual([]);
      expect(ledger.hour(C, T0H + 1).booked).toBe(0);
      expect(kit.timelines.fleet!.bookedTflops(C, 1)).toBe(0);
    });

    it('a deadlock less than the limit is retried and commits', async () => {
      await boot();
      ledger.failNext('writeGroup', '40P01', 2);
      const b = await kit.book('a', kit.request({ pflops: 10, hours: 1, from: 1, to: 3 }));
      expect(b.startsAt).toEqual(at(1));
      expect(kit.committer.stats.attempts).toBe(3);
      expect(ledger.confirmed()).toHaveLength(1);
    });

    it('an error that is not a lost race fails the whole group at once, nothing written', async () => {
      await boot();
      ledger.failNext('lockGroup', 'XX000');
      const v = kit.request({ pflops: 10, hours: 1, from: 1, to: 3 });
      const out = await Promise.allSettled([kit.book('a', v), kit.book('b', v)]);
      expect(out.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'ok'))).toEqual([
        'XX000',
        'XX000',
      ]);
      expect(kit.committer.stats.attempts).toBe(1);
      expect(ledger.confirmed()).toEqual([]);
      expect(kit.timelines.fleet!.bookedTflops(C, 1)).toBe(0);
      // the next group is not held up
      await expect(kit.book('a', v)).resolves.toMatchObject({ startsAt: at(1) });
    });
  });
});
