import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for "bookings that overlap [from, to)". The only time index was (…, starts_at), so
 * `starts_at < to AND ends_at > from` read every booking that started before `to`: the whole
 * history of a cluster, a region or a startup, growing for as long as the market runs (a 7-day
 * `kpis` on a two-year ledger of 300,000 bookings: three scans of the table; a startup's
 * access-rule usage on every one of its bookings: its whole history). With an index on the end as
 * well, PostgreSQL reads from whichever side of the range holds fewer bookings: for a range near
 * now, the bookings that end after its start (the range and the bookings ahead of it).
 * - `bookings_cluster_end_idx`: a cluster's or a region's bookings (`kpis`, supply revisions);
 * - `bookings_org_end_idx`: a startup's (the booking path's access-rule usage, quotes' holdings).
 * B-trees, not a GiST index over the span: that found exactly the overlapping bookings, but
 * concurrent bookings of one hot spot all insert into the same few GiST pages, and two API
 * processes paid 30–40 % more PostgreSQL CPU per hot-spot booking for it (docs/benchmarks.md).
 */
export class BookingSpans1765200000000 implements MigrationInterface {
  name = 'BookingSpans1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "bookings_cluster_end_idx" ON "bookings" ("cluster_id", "ends_at", "starts_at")`);
    await q.query(`CREATE INDEX "bookings_org_end_idx" ON "bookings" ("org_id", "ends_at", "starts_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "bookings_org_end_idx"`);
    await q.query(`DROP INDEX "bookings_cluster_end_idx"`);
  }
}
