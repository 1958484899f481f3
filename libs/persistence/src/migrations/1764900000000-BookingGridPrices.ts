import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each booking keeps the grid price of each of its hours when booked, so that a supply revision
 * prices the grid MWh it changes at what the booking was sold at, not at a tariff set later.
 * Existing bookings are backfilled with their average grid price (price_grid_energy / grid_mwh;
 * their cluster's flat price when they drew no grid): exact for every booking made at a flat
 * price. Generated from the entities and reviewed.
 */
export class BookingGridPrices1764900000000 implements MigrationInterface {
  name = 'BookingGridPrices1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "bookings" ADD "grid_price_per_mwh" double precision array`);
    await q.query(
      `UPDATE "bookings" b SET "grid_price_per_mwh" = array_fill(CASE WHEN b."grid_mwh" > 0 THEN b."price_grid_energy" / b."grid_mwh" ELSE c."grid_price_per_mwh" END, ARRAY[b."hours"])
       FROM "clusters" c WHERE c."id" = b."cluster_id"`,
    );
    await q.query(`ALTER TABLE "bookings" ALTER COLUMN "grid_price_per_mwh" SET NOT NULL`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_grid_price_check" CHECK (cardinality("grid_price_per_mwh") = "hours")`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_grid_price_check"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "grid_price_per_mwh"`);
  }
}
