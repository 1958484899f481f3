import { MAX_PAYLOAD_BYTES } from '../events/change-feed.service';
import { BookingEventTuple, bookingPayloads, ledgerPayloads } from './ledger-wire';

const encode = (m: Record<string, unknown>) => JSON.stringify({ o: '6d1f4f4e-7a5b-4c1e-9f3e-0a1b2c3d4e5f', ...m });
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe('change feed payloads stay under the NOTIFY limit', () => {
  it('splits long per-hour deltas into parts that add up to the whole', () => {
    const h = Array.from({ length: 3000 }, (_, i) => 490_000 + i);
    const tf = h.map(() => -2_000_000_000);
    const g = h.map(() => -1_999_999_999);
    const gw = h.map(() => -1_999_999_999);
    const parts = ledgerPayloads(encode, uuid(1), 12345678, { t: 'd', h, tf, g, gw }, true);
    expect(parts.length).toBeGreaterThan(1);
    const back = parts.map((p) => JSON.parse(p));
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(back.map((b) => b.p)).toEqual(parts.map((_, i) => [i, parts.length]));
    expect(back.flatMap((b) => b.d.h)).toEqual(h);
    expect(back.flatMap((b) => b.d.tf)).toEqual(tf);
    expect(back.flatMap((b) => b.d.g)).toEqual(g);
    expect(back.flatMap((b) => b.d.gw)).toEqual(gw);
  });

  it('keeps a short change whole', () => {
    expect(ledgerPayloads(encode, uuid(1), 3, { t: 'cap', f: 1, to: 9, tf: 5 }, false)).toHaveLength(1);
  });

  it('packs booking events into as few payloads as fit, voucher organizations on the first', () => {
    const events: BookingEventTuple[] = Array.from({ length: 200 }, (_, i) => [
      uuid(i),
      uuid(10_000 + i),
      uuid(20_000 + i),
      490_000 + i,
      490_024 + i,
      'C',
    ]);
    const orgs = Array.from({ length: 64 }, (_, i) => uuid(30_000 + i));
    const out = bookingPayloads(encode, events, orgs);
    for (const p of out) expect(Buffer.byteLength(p)).toBeLessThan(MAX_PAYLOAD_BYTES);
    const back = out.map((p) => JSON.parse(p));
    expect(back.flatMap((b) => b.b)).toEqual(events);
    expect(back[0].vo).toEqual(orgs);
    expect(back.slice(1).every((b) => b.vo === undefined)).toBe(true);
    expect(bookingPayloads(encode, [], [uuid(5)])).toHaveLength(1);
    expect(bookingPayloads(encode, [], [])).toHaveLength(0);
  });
});
