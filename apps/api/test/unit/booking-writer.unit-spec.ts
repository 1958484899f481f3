import type { Placement } from '@pflex/scheduler';
import { BookingWriter, Landed } from '../../src/bookings/booking-writer';
import { storedFromRow } from '../../src/bookings/utils/booking-models';
import { HOUR_MS } from '../../src/common/time.utils';
import type { AppConfig } from '../../src/config';
import type { GroupInsert, LedgerDeltas, VoucherDraws } from '../../src/ledger/ledger.repository';
import { T0H } from '../support/booking-kit';
import { FakeFeed } from '../support/fake-feed';
import { FakeLedger } from '../support/fake-ledger';
import { VouchersService } from '../../src/vouchers/vouchers.service';

// The one write path of new bookings, on its own: what it sends to the ledger (set-based columns,
// summed per-(cluster, hour) deltas, voucher draws, notifications) for placements made by hand.

const NOW = T0H * HOUR_MS;
const config = { now: () => NOW } as AppConfig;

/** A placement of `tflops` from epoch hour T0H + `start`, drawing `drawW` with `greenW` per hour. */
function placement(
  cluster: string,
  tflops: number,
  drawW: number,
  greenW: number[],
  price = { compute: 10, greenEnergy: 0, gridEnergy: 5 },
): Placement {
  const hours = greenW.length;
  const green = greenW.reduce((a, g) => a + g, 0);
  return {
    cluster,
    clusterIndex: 0,
    start: 0,
    end: hours,
    hours,
    pflops: tflops / 1000,
    tflops,
    drawW,
    greenW: Int32Array.from(greenW),
    gridW: Float64Array.from(greenW, (g) => drawW - g),
    gridPricePerMwh: Float64Array.from(greenW, (_, i) => 600 + i),
    greenMwh: green / 1e6,
    gridMwh: (drawW * hours - green) / 1e6,
    energyMwh: (drawW * hours) / 1e6,
    greenShare: green / (drawW * hours),
    price: { ...price, total: price.compute + price.greenEnergy + price.gridEnergy },
  };
}

let seq = 0;
function landed(orgId: string, startH: number, pl: Placement, extra: Partial<Landed> = {}): Landed {
  seq++;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    orgId,
    key: `k-${seq}`,
    fingerprint: `fp-${seq}`,
    objective: 'EARLIEST',
    minGreenShare: null,
    landing: { pl, slot: startH - T0H, startH, cover: null },
    ...extra,
  };
}

describe('BookingWriter', () => {
  let ledger: FakeLedger;
  let feed: FakeFeed;
  let writer: BookingWriter;
  let sent: {
    b: GroupInsert;
    d: LedgerDeltas;
    payloadClusters: (string | null)[];
    v: VoucherDraws;
    payloads: string[];
  }[];

  beforeEach(() => {
    ledger = new FakeLedger();
    ledger.addCluster({ id: 'A', capacityTflops: 100_000 }, T0H, T0H + 48);
    ledger.addCluster({ id: 'B', capacityTflops: 100_000 }, T0H, T0H + 48);
    ledger.addGreen('A', T0H, T0H + 48, 1_000_000, 40);
    feed = new FakeFeed();
    writer = new BookingWriter(
      ledger,
      feed.asChangeFeed,
      config,
      new VouchersService(undefined as never, feed.asChangeFeed, config),
    );
    sent = [];
    const write = ledger.writeGroup.bind(ledger);
    jest.spyOn(ledger, 'writeGroup').mockImplementation((s, b, d, payloadClusters, v, channel, payloads, nowMs) => {
      sent.push({ b, d, payloadClusters, v, payloads });
      return write(s, b, d, payloadClusters, v, channel, payloads, nowMs);
    });
  });

  /** covers + write in one transaction, with the vouchers the group lock returns. */
  const commit = (group: Landed[], beforeCommit?: () => Promise<void>) =>
    ledger.transaction(async (s, tx) => {
      const locks = await ledger.lockGroup(s, [], [...new Set(group.map((m) => m.orgId))], [], [], T0H);
      writer.covers(group, locks.vouchers);
      return writer.write(s, tx, group, locks.vouchers, beforeCommit);
    });

  it('sums the deltas per (cluster, hour), ordered by cluster then hour; one booking row each', async () => {
    const x = landed('a', T0H + 2, placement('B', 10_000, 120_000, [0, 0]));
    const y = landed('a', T0H + 1, placement('A', 20_000, 240_000, [100_000, 0, 50_000]));
    const z = landed('b', T0H + 2, placement('A', 5_000, 60_000, [60_000]));
    // z before y: A's hours arrive as 2, 1, 3 and must go out sorted
    const versions = await commit([x, z, y]);
    const { b, d } = sent[0];
    expect(d).toEqual({
      cluster: ['A', 'A', 'A', 'B', 'B'],
      hour: [T0H + 1, T0H + 2, T0H + 3, T0H + 2, T0H + 3],
      tflops: [20_000, 25_000, 20_000, 10_000, 10_000],
      greenW: [100_000, 60_000, 50_000, 0, 0],
      gridW: [140_000, 240_000, 190_000, 120_000, 120_000],
    });
    expect(b.id).toEqual([x.id, z.id, y.id]);
    expect(b.greenFlat).toEqual([0, 0, 60_000, 100_000, 0, 50_000]);
    expect(b.greenOff).toEqual([0, 2, 3]);
    // each hour's grid price rides along at the same offsets
    expect(b.gridPriceFlat).toEqual([600, 601, 600, 600, 601, 602]);
    expect(b.startH).toEqual([T0H + 2, T0H + 2, T0H + 1]);
    expect(versions).toEqual(
      new Map([
        ['A', 1],
        ['B', 1],
      ]),
    );
    expect(ledger.consistency()).toEqual([]);
  });

  it('stores prices as clients read them: each part in whole cents, the total their sum', async () => {
    const m = landed(
      'a',
      T0H,
      placement('A', 1_000, 12_000, [0], { compute: 10.005, greenEnergy: 0.125, gridEnergy: 1.114 }),
    );
    await commit([m]);
    const { b } = sent[0];
    expect([b.priceCompute, b.priceGreen, b.priceGrid, b.priceTotal]).toEqual([[10.01], [0.13], [1.11], [11.25]]);
    // what the caller answers is what was written
    const row = storedFromRow(ledger.bookings.get(m.id)!);
    expect(writer.stored(m)).toEqual(row);
    expect(row.createdAt).toEqual(new Date(NOW));
  });

  it('notifies each cluster written with its new version, and the booking events (a round request carried)', async () => {
    const x = landed('a', T0H, placement('A', 1_000, 12_000, [0]), { roundRequestId: 'rr-1' });
    const y = landed('b', T0H + 1, placement('B', 2_000, 24_000, [0, 0]));
    await commit([x, y]);
    expect(sent[0].payloadClusters).toEqual(['A', 'B', null]);
    const msgs = ledger.notifications.map((n) => JSON.parse(n.payload));
    expect(msgs.map((m) => [m.k, m.c, m.v, m.o])).toEqual([
      ['l', 'A', 1, feed.instance],
      ['l', 'B', 1, feed.instance],
      ['b', undefined, undefined, feed.instance],
    ]);
    expect(msgs[1].d).toEqual({ t: 'd', h: [T0H + 1, T0H + 2], tf: [2_000, 2_000], g: [0, 0], gw: [24_000, 24_000] });
    expect(msgs[2].b).toEqual([
      [x.id, 'a', 'A', T0H, T0H + 1, 'C', 'rr-1'],
      [y.id, 'b', 'B', T0H + 1, T0H + 3, 'C'],
    ]);
    expect(msgs[2].vo).toBeUndefined();
  });

  it('covers in order from each organization’s own vouchers, the draws summed per voucher with a ledger row per booking', async () => {
    const far = NOW + 30 * 24 * HOUR_MS;
    ledger.addVoucher({ id: 'va', orgId: 'a', percentCovered: 40, cap: 10, validFrom: NOW, validUntil: far });
    ledger.addVoucher({
      id: 'vb',
      orgId: 'b',
      percentCovered: 100,
      cap: 1000,
      validFrom: NOW,
      validUntil: far,
      clusterIds: ['B'],
    });
    // 15.00 each: 40% = 6.00, then the 4.00 left, then nothing
    const a1 = landed('a', T0H, placement('A', 1_000, 12_000, [0]));
    const a2 = landed('a', T0H + 1, placement('A', 1_000, 12_000, [0]));
    const a3 = landed('a', T0H + 2, placement('A', 1_000, 12_000, [0]));
    // b's voucher is for cluster B only
    const b1 = landed('b', T0H, placement('A', 1_000, 12_000, [0]));
    const b2 = landed('b', T0H, placement('B', 1_000, 12_000, [0]));
    await commit([a1, b1, a2, b2, a3]);
    expect([a1, b1, a2, b2, a3].map((m) => m.landing.cover)).toEqual([
      { voucherId: 'va', amount: 6 },
      null,
      { voucherId: 'va', amount: 4 },
      { voucherId: 'vb', amount: 15 },
      null,
    ]);
    expect(sent[0].v).toEqual({
      voucher: ['va', 'vb'],
      amount: ['10.00', '15.00'],
      ledgerVoucher: ['va', 'va', 'vb'],
      ledgerBooking: [a1.id, a2.id, b2.id],
      ledgerAmount: ['6.00', '4.00', '15.00'],
      ledgerSpentAfter: ['6.00', '10.00', '15.00'],
    });
    expect(sent[0].b.voucherAmount).toEqual(['6.00', '0.00', '4.00', '15.00', '0.00']);
    expect([ledger.voucher('va'), ledger.voucher('vb')]).toEqual([
      { spent: 10, remaining: 0 },
      { spent: 15, remaining: 985 },
    ]);
    const events = JSON.parse(ledger.notifications.at(-1)!.payload);
    expect(events.vo).toEqual(['a', 'b']);
    expect(ledger.consistency()).toEqual([]);
  });

  it('with beforeCommit (a round’s own rows): runs it after the write; if it fails, nothing is committed', async () => {
    const order: string[] = [];
    const m = landed('a', T0H, placement('A', 1_000, 12_000, [0]));
    await commit([m], async () => {
      order.push(`before commit, ${ledger.bookings.size} booking written`);
    });
    expect(order).toEqual(['before commit, 1 booking written']);
    const n = landed('a', T0H + 1, placement('A', 1_000, 12_000, [0]));
    await expect(commit([n], async () => Promise.reject(new Error('round row refused')))).rejects.toThrow(
      'round row refused',
    );
    expect([...ledger.bookings.keys()]).toEqual([m.id]);
    expect(ledger.hour('A', T0H + 1).booked).toBe(0);
    expect(ledger.clusters.get('A')!.version).toBe(1);
  });
});
