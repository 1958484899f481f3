import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A database that applied `BookingSpans1765200000000` as it first landed (commit 5979b5f) has a
 * GiST index over the booked span (`bookings_span_idx`) and not the B-tree on the cluster's end
 * times that the migration later created under the same name: TypeORM counts it as applied and
 * never changed it. This brings such a database to the schema every other one has (see
 * BookingSpans for why the B-trees); on any other database it changes nothing.
 */
export class BookingSpansRepair1765400000000 implements MigrationInterface {
  name = 'BookingSpansRepair1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "bookings_span_idx"`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS "bookings_cluster_end_idx" ON "bookings" ("cluster_id", "ends_at", "starts_at")`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS "bookings_org_end_idx" ON "bookings" ("org_id", "ends_at", "starts_at")`);
  }

  async down(): Promise<void> {
    // nothing to undo: the indexes it may have made are BookingSpans's own
  }
}
