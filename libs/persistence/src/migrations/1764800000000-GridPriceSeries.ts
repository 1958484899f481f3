import { MigrationInterface, QueryRunner } from 'typeorm';

/** Hourly grid prices posted by operators (they take precedence over a cluster's tariff). Generated from the entities. */
export class GridPriceSeries1764800000000 implements MigrationInterface {
  name = 'GridPriceSeries1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "grid_price_hours" ("cluster_id" uuid NOT NULL, "hour" TIMESTAMP WITH TIME ZONE NOT NULL, "price_per_mwh" double precision NOT NULL, CONSTRAINT "grid_price_hours_check" CHECK ("price_per_mwh" >= 0), CONSTRAINT "PK_c6537c66d555272987199d970bc" PRIMARY KEY ("cluster_id", "hour"))`,
    );
    await q.query(
      `ALTER TABLE "grid_price_hours" ADD CONSTRAINT "grid_price_hours_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "grid_price_hours"`);
  }
}
