// 7. Clearing rounds and 8. green SLAs: the records that point at bookings agree with them.
import type { Checks } from './checks';

/**
 * 8. No booking holds more green in an hour than it was promised when booked; each booking's SLA
 * credit is the sum of its credit ledger entries, never negative, zero once cancelled, owed only
 * while the booking is below its minGreenShare, to its startup by its cluster's operator.
 */
export async function checkSla(c: Checks): Promise<void> {
  const over = await c.rows(
    `SELECT b.id, i, b.green_w[i] AS green, b.green_w_promised[i] AS promised FROM bookings b, generate_subscripts(b.green_w, 1) AS i
      WHERE b.green_w[i] > b.green_w_promised[i] LIMIT 100`,
  );
  c.add(
    'no booking holds more green than it was promised',
    over,
    'none',
    (n) => `${n} booking-hours above their promise`,
  );
  const nCredits = await c.one(
    `SELECT count(*)::int AS n, coalesce(sum(CASE kind WHEN 'CREDIT' THEN amount ELSE -amount END), 0)::text AS net FROM sla_credits`,
  );
  const credits = await c.rows(
    `SELECT b.id, b.status, b.sla_credit::text, l.net::text, b.green_share, b.min_green_share
       FROM bookings b
       CROSS JOIN LATERAL (SELECT coalesce(sum(CASE c.kind WHEN 'CREDIT' THEN c.amount ELSE -c.amount END), 0) AS net FROM sla_credits c WHERE c.booking_id = b.id) l
      WHERE b.sla_credit <> l.net OR b.sla_credit < 0 OR (b.status = 'CANCELLED' AND b.sla_credit <> 0)
         OR (b.sla_credit > 0 AND (b.min_green_share IS NULL OR b.green_share >= b.min_green_share))
      LIMIT 100`,
  );
  const parties = await c.rows(
    `SELECT s.id, s.booking_id, s.org_id, b.org_id AS booking_org, s.operator_org_id, cl.owner_org_id AS cluster_owner
       FROM sla_credits s JOIN bookings b ON b.id = s.booking_id JOIN clusters cl ON cl.id = b.cluster_id
      WHERE s.org_id <> b.org_id OR s.operator_org_id <> cl.owner_org_id LIMIT 100`,
  );
  c.add(
    'SLA credits match their ledger',
    [...credits, ...parties],
    `${nCredits.n} credit entries, ${nCredits.net} owed`,
    (n) => `${n} bookings whose credit differs from its ledger or its breach, or entries owed to or by another party`,
  );
}

/**
 * 7. A round request CONFIRMED by a clearing has exactly one booking, of its startup, under the
 * key "round:<request id>", inside its window, with its size and objective; every booking under
 * such a key belongs to one; a cleared round has nothing pending and an open one nothing decided.
 */
export async function checkRounds(c: Checks): Promise<void> {
  const n = await c.one(
    `SELECT count(*) FILTER (WHERE status = 'CONFIRMED')::int AS c, count(*)::int AS t FROM round_requests`,
  );
  const wrong = await c.rows(
    `SELECT r.id, r.status, b.id AS booking, b.org_id = r.org_id AS same_org, b.idempotency_key, b.starts_at, b.ends_at, r.earliest_start, r.deadline
       FROM round_requests r LEFT JOIN bookings b ON b.id = r.booking_id
      WHERE (r.status = 'CONFIRMED') <> (r.booking_id IS NOT NULL)
         OR (r.booking_id IS NOT NULL AND (b.id IS NULL OR b.org_id <> r.org_id OR b.idempotency_key <> 'round:' || r.id OR b.starts_at < r.earliest_start
             OR b.ends_at > r.deadline OR b.hours <> r.hours OR b.tflops <> round(r.pflops * 1000) OR b.objective <> r.objective))
         OR (r.status = 'REFUSED' AND r.reason IS NULL)
      LIMIT 100`,
  );
  c.add(
    'round requests match their bookings',
    wrong,
    `${n.t} round requests, ${n.c} confirmed by clearings`,
    (k) => `${k} round requests whose booking is missing or different`,
  );
  const orphans = await c.rows(
    `SELECT b.id, b.idempotency_key, coalesce(r.n, 0) AS requests FROM bookings b
       LEFT JOIN (SELECT booking_id, count(*)::int AS n FROM round_requests WHERE booking_id IS NOT NULL GROUP BY booking_id) r ON r.booking_id = b.id
      WHERE b.idempotency_key LIKE 'round:%' AND coalesce(r.n, 0) <> 1 LIMIT 100`,
  );
  c.add(
    'every round booking belongs to exactly one round request',
    orphans,
    'none',
    (k) => `${k} round bookings without (or with several) requests`,
  );
  const states = await c.rows(
    `SELECT r.id AS round, r.status, q.status AS request_status, count(*)::int AS n FROM rounds r JOIN round_requests q ON q.round_id = r.id
      WHERE (r.status = 'CLEARED' AND q.status = 'PENDING') OR (r.status IN ('OPEN', 'CLOSED') AND q.status IN ('CONFIRMED', 'REFUSED'))
      GROUP BY r.id, r.status, q.status LIMIT 100`,
  );
  c.add(
    'cleared rounds have nothing pending, open and closed rounds nothing decided',
    states,
    'none',
    (k) => `${k} rounds with requests in the wrong state`,
  );
}
