import { BookingErrorCode, BookingException } from '../../src/bookings/bookings.exception';
import { BookingsService } from '../../src/bookings/bookings.service';
import { HOUR_MS } from '../../src/common/time.utils';
import type { Principal } from '../../src/security/principal';
import { bookingKit, BookingKit, T0H } from '../support/booking-kit';
import { FakeLedger } from '../support/fake-ledger';

// BookingsService.cancel on the fake ledger: the booking's rows released exactly, its voucher
// refunded, the version raised and announced, and who may cancel what, when.

const C = 'zh-1';
const startup = (orgId: string): Principal => ({ orgId, name: orgId, role: 'STARTUP' });

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'cancelled',
    (e: unknown) => (e instanceof BookingException ? e.code : ((e as { code?: string }).code ?? String(e))),
  );
}

describe('BookingsService.cancel on the fake ledger', () => {
  let kit: BookingKit;
  let ledger: FakeLedger;
  let svc: BookingsService;
  afterEach(() => kit.close());

  beforeEach(async () => {
    ledger = new FakeLedger();
    ledger.addCluster({ id: C, capacityTflops: 100_000, ownerOrgId: 'op-1' }, T0H, T0H + 96);
    ledger.addGreen(C, T0H, T0H + 96, 200_000, 40);
    ledger.addVoucher({
      id: 'v-1',
      orgId: 'a',
      percentCovered: 50,
      cap: 1000,
      validFrom: T0H * HOUR_MS,
      validUntil: (T0H + 96) * HOUR_MS,
    });
    kit = await bookingKit({ ledger });
    // cancel needs only the ledger, the timelines (names, owners), the feed and the clock
    svc = new BookingsService(
      undefined as never,
      undefined as never,
      ledger,
      kit.timelines,
      undefined as never,
      undefined as never,
      kit.feed.asChangeFeed,
      kit.vouchers,
      undefined as never,
      undefined as never,
      kit.config,
    );
  });

  it('releases exactly what the booking took, refunds its voucher, and the timelines follow the announced change', async () => {
    const keep = await kit.book('b', kit.request({ pflops: 10, hours: 2, from: 2, to: 4 }));
    const b = await kit.book('a', kit.request({ pflops: 40, hours: 2, from: 2, to: 4 }));
    expect(ledger.voucher('v-1').spent).toBe(b.price.voucher);
    expect(ledger.hour(C, T0H + 2)).toMatchObject({ booked: 50_000, alloc: 200_000 });
    const versionBefore = ledger.clusters.get(C)!.version;
    const reloads = kit.timelines.stats.reloads;

    const out = await svc.cancel(startup('a'), b.id);
    expect([out.id, out.status, out.cancelledAt]).toEqual([b.id, 'CANCELLED', new Date(kit.clock.now)]);
    // what the other booking holds is all that is left
    expect(ledger.hour(C, T0H + 2).booked).toBe(10_000);
    expect(ledger.consistency()).toEqual([]);
    expect(ledger.voucher('v-1')).toEqual({ spent: 0, remaining: 1000 });
    expect(ledger.voucherLedger.map((l) => [l.kind, l.bookingId, l.amountCents, l.spentAfterCents])).toEqual([
      ['DRAW', b.id, b.price.voucher * 100, b.price.voucher * 100],
      ['REFUND', b.id, b.price.voucher * 100, 0],
    ]);
    expect(ledger.bookings.get(b.id)!.status).toBe('CANCELLED');
    expect(ledger.bookings.get(keep.id)!.status).toBe('CONFIRMED');
    expect(ledger.clusters.get(C)!.version).toBe(versionBefore + 1);
    const events = ledger.notifications.slice(-2).map((n) => JSON.parse(n.payload));
    expect(events[0]).toMatchObject({
      k: 'l',
      c: C,
      v: versionBefore + 1,
      d: { t: 'd', h: [T0H + 2, T0H + 3], tf: [-40_000, -40_000] },
    });
    expect(events[1]).toMatchObject({ k: 'b', b: [[b.id, 'a', C, T0H + 2, T0H + 4, 'X']], vo: ['a'] });
    await Promise.resolve();
    expect(kit.timelines.version(C)).toBe(versionBefore + 1);
    // applied from the change itself (a change that does not fit would reload the cluster instead)
    expect(kit.timelines.stats.reloads).toBe(reloads);
    // the timelines hold what the ledger holds: TFLOPS, green and grid W
    const t = kit.timelines.fleet!.timeline(C);
    const row = ledger.hour(C, T0H + 2);
    expect([t.capacityTflops[2] - t.freeTflops[2], t.greenSupplyW[2] - t.greenFreeW[2], t.gridW[2]]).toEqual([
      row.booked,
      row.alloc,
      row.grid,
    ]);
    expect(row).toMatchObject({ booked: 10_000, alloc: 120_000, grid: 0 });
    // the room is bookable again
    await expect(kit.book('c', kit.request({ pflops: 90, hours: 2, from: 2, to: 4 }))).resolves.toMatchObject({
      pflops: 90,
    });
  });

  it('once only, before the start, by the startup or the cluster’s operator; anyone else sees NOT_FOUND', async () => {
    const b = await kit.book('a', kit.request({ pflops: 10, hours: 1, from: 3, to: 4 }));
    expect(await codeOf(svc.cancel(startup('b'), b.id))).toBe(BookingErrorCode.BOOKING_NOT_FOUND);
    expect(await codeOf(svc.cancel({ orgId: 'op-2', name: 'op-2', role: 'OPERATOR' }, b.id))).toBe(
      BookingErrorCode.BOOKING_NOT_FOUND,
    );
    expect(await codeOf(svc.cancel(startup('a'), '00000000-0000-4000-8000-000000000000'))).toBe(
      BookingErrorCode.BOOKING_NOT_FOUND,
    );
    expect(await codeOf(svc.cancel(startup('a'), 'not-an-id'))).toBe(BookingErrorCode.BOOKING_NOT_FOUND);
    expect(ledger.hour(C, T0H + 3).booked).toBe(10_000);

    kit.clock.now = (T0H + 3) * HOUR_MS;
    expect(await codeOf(svc.cancel(startup('a'), b.id))).toBe(BookingErrorCode.ALREADY_STARTED);
    kit.clock.now = (T0H + 3) * HOUR_MS - 1;
    expect(await codeOf(svc.cancel({ orgId: 'op-1', name: 'op-1', role: 'OPERATOR' }, b.id))).toBe('cancelled');
    expect(await codeOf(svc.cancel(startup('a'), b.id))).toBe(BookingErrorCode.ALREADY_CANCELLED);
    expect(ledger.hour(C, T0H + 3).booked).toBe(0);
    expect(ledger.consistency()).toEqual([]);
  });

  it('retries a deadlock up to four times, then gives the error', async () => {
    const b = await kit.book('a', kit.request({ pflops: 10, hours: 1, from: 3, to: 4 }));
    ledger.failNext('writeCancel', '40P01', 4);
    expect(await codeOf(svc.cancel(startup('a'), b.id))).toBe('cancelled');
    const c = await kit.book('a', kit.request({ pflops: 10, hours: 1, from: 3, to: 4 }));
    ledger.failNext('writeCancel', '40P01', 5);
    expect(await codeOf(svc.cancel(startup('a'), c.id))).toBe('40P01');
    expect(ledger.bookings.get(c.id)!.status).toBe('CONFIRMED');
    expect(ledger.hour(C, T0H + 3).booked).toBe(10_000);
  });
});
