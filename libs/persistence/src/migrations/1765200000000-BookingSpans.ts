import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for "bookings that overlap [from, to)". The only time index was (…, starts_at), so
 * `starts_at < to AND ends_at > from` read every booking that started before `to`: the whole
 * history of a cluster, a region or a startup, growing for as long as the market runs (a 7-day
 * `kpis` on a two-year ledger of 300,000 bookings: ~150 ms, three scans of the table; a startup's
 * access-rule usage on every booking: its whole history).
 * - `bookings_span_idx`, GiST over the booked span: finds exactly the bookings overlapping a
 *   range, in the past or the future (KPIs, supply revisions, the draw at an hour).
 * - `bookings_org_end_idx`: a startup's bookings that end after a time; the booking path asks
 *   around requests that lie ahead, so this reads the startup's current and future bookings only.
 * Written by hand: TypeORM cannot express an expression index (the entity marks it
 * `synchronize: false`).
 */
export class BookingSpans1765200000000 implements MigrationInterface {
  name = 'BookingSpans1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "bookings_span_idx" ON "bookings" USING gist (tstzrange("starts_at", "ends_at"))`);
    await q.query(`CREATE INDEX "bookings_org_end_idx" ON "bookings" ("org_id", "ends_at", "starts_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "bookings_org_end_idx"`);
    await q.query(`DROP INDEX "bookings_span_idx"`);
  }
}
