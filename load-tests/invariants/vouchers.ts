// 6. Vouchers: balances, ledgers, and each booking's voucher money within the voucher's terms.
import type { Checks } from './checks';

export async function checkVouchers(c: Checks): Promise<void> {
  const nVouchers = await c.one(`SELECT count(*)::int AS n, coalesce(sum(spent), 0)::text AS spent FROM vouchers`);
  const balances = await c.rows(
    `SELECT v.id, v.cap::text, v.spent::text, b.from_bookings::text, l.from_ledger::text
       FROM vouchers v
       CROSS JOIN LATERAL (SELECT coalesce(sum(voucher_amount), 0) AS from_bookings FROM bookings
                            WHERE voucher_id = v.id AND status = 'CONFIRMED') b
       CROSS JOIN LATERAL (SELECT coalesce(sum(CASE kind WHEN 'DRAW' THEN amount ELSE -amount END), 0) AS from_ledger
                            FROM voucher_ledger WHERE voucher_id = v.id) l
      WHERE v.spent < 0 OR v.spent > v.cap OR v.spent <> b.from_bookings OR v.spent <> l.from_ledger
      LIMIT 100`,
  );
  c.add(
    'voucher balances add up',
    balances,
    `${nVouchers.n} vouchers, ${nVouchers.spent} spent = confirmed bookings' voucher money = draws - refunds, within caps`,
    (n) => `${n} vouchers whose spent differs from their bookings or ledger or leaves [0, cap]`,
  );

  // ADJUST entries (a supply revision lowered the price below the voucher money) give part of a draw back
  const perBooking = await c.rows(
    `SELECT b.id, b.status, b.voucher_amount::text,
            (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.kind = 'DRAW' AND l.voucher_id = b.voucher_id)::int AS draws,
            (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.kind = 'REFUND' AND l.amount = b.voucher_amount AND l.voucher_id = b.voucher_id)::int AS refunds,
            (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.voucher_id IS DISTINCT FROM b.voucher_id)::int AS foreign_entries,
            (SELECT coalesce(sum(CASE l.kind WHEN 'DRAW' THEN l.amount WHEN 'ADJUST' THEN -l.amount ELSE 0 END), 0) FROM voucher_ledger l WHERE l.booking_id = b.id)::text AS net,
            (SELECT count(*) FROM voucher_ledger l WHERE l.booking_id = b.id AND l.kind = 'REFUND')::int AS all_refunds
       FROM bookings b
      WHERE b.voucher_amount > 0 OR EXISTS (SELECT 1 FROM voucher_ledger l WHERE l.booking_id = b.id)`,
  );
  const bad = perBooking.filter((r) => {
    const amount = Number(r.voucher_amount);
    if (amount === 0) return true; // ledger entries for a booking that carries no voucher money
    const refunds = r.status === 'CANCELLED' ? 1 : 0;
    return (
      r.draws !== 1 ||
      r.refunds !== refunds ||
      r.all_refunds !== refunds ||
      r.foreign_entries !== 0 ||
      Number(r.net) !== amount
    );
  });
  c.add(
    "every booking's voucher money drawn once (and refunded once if cancelled)",
    bad,
    `${perBooking.length} bookings with voucher money`,
    (n) => `${n} bookings whose voucher ledger entries do not match`,
  );

  // README "Compute vouchers": a voucher pays for its startup's bookings whose whole run lies in
  // its validity, on its clusters, with its green share promised; at most percentCovered of the
  // total rounded down to the cent (a price that fell gives the difference back, one that rose
  // draws nothing more: never above the share)
  const terms = await c.rows(
    `SELECT b.id, b.org_id, v.org_id AS voucher_org, b.starts_at, b.ends_at, v.valid_from, v.valid_until,
            b.voucher_amount::text, b.price_total, v.percent_covered
       FROM bookings b JOIN vouchers v ON v.id = b.voucher_id
       CROSS JOIN LATERAL (SELECT coalesce(sum(x), 0) AS wh FROM unnest(b.green_w_promised) x) p
      WHERE b.voucher_amount > 0 AND (
            v.org_id <> b.org_id OR b.starts_at < v.valid_from OR b.ends_at > v.valid_until
         OR (v.cluster_ids IS NOT NULL AND NOT b.cluster_id = ANY (v.cluster_ids))
         OR (v.min_green_share > 0 AND p.wh < ceil(v.min_green_share * b.draw_w * b.hours - 1e-6))
         OR b.voucher_amount > floor(round(b.price_total * 100)::numeric * round(v.percent_covered * 100)::numeric / 10000) / 100)
      LIMIT 100`,
  );
  c.add(
    "voucher money within the voucher's terms (startup, validity, clusters, green share, percent covered)",
    terms,
    `${perBooking.length} bookings with voucher money`,
    (n) => `${n} bookings paid by a voucher that does not cover them, or beyond its share`,
  );

  // replayed in the order written (seq), each entry's spent_after is the sum of the entries up to it
  const replay = await c.rows(
    `SELECT voucher_id, seq::text, spent_after::text, running::text FROM (
       SELECT voucher_id, seq, spent_after,
              sum(CASE kind WHEN 'DRAW' THEN amount ELSE -amount END) OVER (PARTITION BY voucher_id ORDER BY seq) AS running
         FROM voucher_ledger) x
      WHERE running <> spent_after LIMIT 100`,
  );
  const n = (await c.one(`SELECT count(*)::int AS n FROM voucher_ledger`)).n as number;
  c.add(
    'voucher ledgers replay in the order written',
    replay,
    `${n} entries: each spent_after = the draws - refunds and adjustments up to it`,
    (k) => `${k} entries whose spent_after is not what the entries before them add up to`,
  );
}
