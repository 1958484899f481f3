// Each booking on its own: well formed, its figures and price parts consistent with its hours,
// its cancellation and key as the API writes them; and the load test's acknowledged bookings.
import type { AckedBooking } from '../check-invariants';
import type { Checks } from './checks';

// float figures the API computes in doubles: a thousandth of a cent / of a Wh share is noise
const EPS = 1e-6;

/** SQL: amount `x` (a double) is not whole cents, beyond the float noise of its size (1e12 is 0.01 off in cents). */
const offCents = (x: string) => `abs(${x} * 100 - round(${x} * 100)) > ${EPS} + abs(${x}) * 1e-12`;

/** 1. Well formed; its green, grid, share and price figures follow from its hours. */
export async function checkBookings(c: Checks, total: number): Promise<void> {
  const malformed = await c.rows(
    `SELECT id, starts_at, ends_at, hours, draw_w, green_w FROM bookings
      WHERE date_trunc('hour', starts_at) <> starts_at
         OR ends_at <> starts_at + make_interval(hours => hours)
         OR cardinality(green_w) <> hours
         OR EXISTS (SELECT 1 FROM unnest(green_w) g WHERE g < 0 OR g > draw_w)
         OR EXISTS (SELECT 1 FROM unnest(green_w_promised) g WHERE g < 0 OR g > draw_w)
      LIMIT 100`,
  );
  c.add('bookings well formed', malformed, `${total} bookings`, (n) => `${n} malformed bookings`);

  // green MWh, grid MWh and green share are the booking's green Wh over its energy (draw x hours;
  // a booking drawing nothing counts as all green)
  const figures = await c.rows(
    `SELECT b.id, b.green_mwh, b.grid_mwh, b.green_share, g.wh AS green_wh, b.draw_w * b.hours AS energy_wh
       FROM bookings b CROSS JOIN LATERAL (SELECT coalesce(sum(x), 0)::float8 AS wh FROM unnest(b.green_w) x) g
      WHERE abs(b.green_mwh - g.wh / 1e6) > ${EPS}
         OR abs(b.grid_mwh - (b.draw_w * b.hours - g.wh) / 1e6) > ${EPS}
         OR abs(b.green_share - CASE WHEN b.draw_w > 0 THEN g.wh / (b.draw_w * b.hours) ELSE 1 END) > ${EPS}
      LIMIT 100`,
  );
  c.add(
    "green MWh, grid MWh and green share follow from the booking's green per hour",
    figures,
    `${total} bookings`,
    (n) => `${n} bookings whose figures differ from their green per hour`,
  );

  // README "Money": each part in whole cents, the total their sum; the green energy is its green
  // MWh at its green price and the grid energy each hour's grid MWh at the price it kept for that
  // hour (parts rounded half a cent away from zero). The compute part is PFLOPS x hours x the
  // cluster's price when booked, which no table keeps: it is held to whole cents only.
  const money = await c.rows(
    `SELECT b.id, b.price_compute, b.price_green_energy, b.price_grid_energy, b.price_total, b.green_mwh, b.green_price_per_mwh, g.cost AS grid_cost
       FROM bookings b
       CROSS JOIN LATERAL (SELECT sum((b.draw_w - b.green_w[i]) * b.grid_price_per_mwh[i]) / 1e6 AS cost
                             FROM generate_subscripts(b.green_w, 1) AS i) g
      WHERE ${offCents('b.price_compute')} OR ${offCents('b.price_green_energy')} OR ${offCents('b.price_grid_energy')}
         OR abs(b.price_total - (b.price_compute + b.price_green_energy + b.price_grid_energy)) > ${EPS} + abs(b.price_total) * 1e-12
         OR b.price_compute < 0 OR b.price_green_energy < 0 OR b.price_grid_energy < 0
         OR abs(b.price_green_energy - b.green_mwh * coalesce(b.green_price_per_mwh, 0)) > 0.0051 + abs(b.price_green_energy) * 1e-12
         OR abs(b.price_grid_energy - g.cost) > 0.0051 + abs(b.price_grid_energy) * 1e-12
      LIMIT 100`,
  );
  c.add(
    'prices: whole cents, total = sum of parts, green and grid energy at their prices',
    money,
    `${total} bookings`,
    (n) => `${n} bookings whose price parts are not whole cents, do not add up or differ from their energy`,
  );

  // cancelled exactly when it has a cancellation time, which is before its start (README: cancel
  // until it starts) and not before it was booked
  const cancels = await c.rows(
    `SELECT id, status, created_at, cancelled_at, starts_at FROM bookings
      WHERE (status = 'CANCELLED') <> (cancelled_at IS NOT NULL)
         OR cancelled_at > starts_at OR cancelled_at < created_at
      LIMIT 100`,
  );
  c.add(
    'cancelled exactly when cancelled before the start',
    cancels,
    'none',
    (n) => `${n} bookings whose status, cancellation time and start disagree`,
  );
}

/** 4. Idempotency keys: unique per organization, stored trimmed. */
export async function checkKeys(c: Checks): Promise<void> {
  const dupKeys = await c.rows(
    `SELECT org_id, btrim(idempotency_key, E' \\t\\n\\r\\f\\x0B') AS idempotency_key, count(*)::int AS n FROM bookings
      GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 100`,
  );
  c.add('no duplicate idempotency keys', dupKeys, 'none', (n) => `${n} duplicated keys`);
  const untrimmed = await c.rows(
    `SELECT id, idempotency_key FROM bookings WHERE idempotency_key ~ '^\\s|\\s$' OR idempotency_key = '' LIMIT 100`,
  );
  c.add('idempotency keys stored trimmed', untrimmed, 'none', (n) => `${n} keys with surrounding white space`);
}

/** 5. Every booking the load test saw acknowledged exists exactly once, under its key. */
export async function checkAcks(c: Checks, acks: AckedBooking[] | undefined): Promise<void> {
  if (!acks) {
    c.results.push({
      name: 'acknowledged bookings exist exactly once',
      ok: true,
      skipped: true,
      detail: 'no --acks file given',
    });
    return;
  }
  const byId = new Map<string, AckedBooking>();
  const conflicting: unknown[] = [];
  const keyToId = new Map<string, string>();
  for (const a of acks) {
    const k = `${a.orgId ?? ''}\u0000${a.idempotencyKey}`;
    const prev = keyToId.get(k);
    if (prev !== undefined && prev !== a.id) conflicting.push({ idempotencyKey: a.idempotencyKey, ids: [prev, a.id] });
    keyToId.set(k, a.id);
    const seen = byId.get(a.id);
    byId.set(a.id, { ...a, cancelled: Boolean(a.cancelled || seen?.cancelled) });
  }
  c.add(
    'one booking id per acknowledged idempotency key',
    conflicting,
    `${keyToId.size} keys`,
    (n) => `${n} keys acknowledged with different ids`,
  );
  const ids = [...byId.keys()];
  const found = new Map<string, { status: string; idempotency_key: string; org_id: string }>();
  for (let i = 0; i < ids.length; i += 5000) {
    const r = await c.db.query(`SELECT id, status, idempotency_key, org_id FROM bookings WHERE id = ANY($1::uuid[])`, [
      ids.slice(i, i + 5000),
    ]);
    for (const row of r.rows) found.set(row.id, row);
  }
  const missing: unknown[] = [];
  for (const [id, a] of byId) {
    const row = found.get(id);
    if (!row) missing.push({ id, problem: 'missing' });
    else if (row.idempotency_key !== a.idempotencyKey)
      missing.push({ id, problem: 'other idempotency key', db: row.idempotency_key, acked: a.idempotencyKey });
    else if (a.orgId && row.org_id !== a.orgId) missing.push({ id, problem: 'other organization' });
    else if (a.cancelled && row.status !== 'CANCELLED')
      missing.push({ id, problem: `acknowledged cancelled but ${row.status}` });
    else if (!a.cancelled && row.status !== 'CONFIRMED')
      missing.push({ id, problem: `acknowledged confirmed but ${row.status}` });
  }
  c.add(
    'acknowledged bookings exist exactly once',
    missing,
    `${byId.size} acknowledged bookings found (${[...byId.values()].filter((a) => a.cancelled).length} cancelled)`,
    (n) => `${n} acknowledged bookings missing or different`,
  );
}
