import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The grid side: sites (a grid connection shared by clusters), the per-site-hour grid ledger
 * with its CHECK, each cluster-hour's grid draw, time-of-use tariffs. Generated from the entities
 * and reviewed; the grid draw of existing bookings is backfilled (no site exists yet, so no site
 * row needs it).
 */
export class GridSide1764700000000 implements MigrationInterface {
  name = 'GridSide1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "sites" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "owner_org_id" uuid NOT NULL, "name" character varying(200) NOT NULL, "region" character varying(100) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4f5eccb1dfde10c9170502595a7" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "sites_owner_idx" ON "sites"  ("owner_org_id") `);
    await q.query(
      `CREATE TABLE "site_hours" ("site_id" uuid NOT NULL, "hour" TIMESTAMP WITH TIME ZONE NOT NULL, "grid_cap_w" bigint, "grid_used_w" bigint NOT NULL DEFAULT '0', CONSTRAINT "site_hours_grid_check" CHECK ("grid_used_w" >= 0 AND ("grid_cap_w" IS NULL OR ("grid_cap_w" >= 0 AND "grid_used_w" <= "grid_cap_w"))), CONSTRAINT "PK_8aa70ed56e080496a4489b3c90d" PRIMARY KEY ("site_id", "hour"))`,
    );
    await q.query(`ALTER TABLE "clusters" ADD "site_id" uuid`);
    await q.query(`ALTER TABLE "clusters" ADD "grid_tariff" jsonb`);
    await q.query(`ALTER TABLE "cluster_hours" ADD "grid_w" bigint NOT NULL DEFAULT '0'`);
    await q.query(
      `UPDATE "cluster_hours" h SET "grid_w" = g.w
       FROM (SELECT b.cluster_id, b.starts_at + (i - 1) * interval '1 hour' AS hour, sum(b.draw_w - b.green_w[i]) AS w
             FROM "bookings" b, generate_series(1, b.hours) AS i WHERE b.status = 'CONFIRMED' GROUP BY 1, 2) g
       WHERE h.cluster_id = g.cluster_id AND h.hour = g.hour`,
    );
    await q.query(`CREATE INDEX "clusters_site_idx" ON "clusters"  ("site_id") `);
    await q.query(`ALTER TABLE "cluster_hours" ADD CONSTRAINT "cluster_hours_grid_check" CHECK ("grid_w" >= 0)`);
    await q.query(
      `ALTER TABLE "sites" ADD CONSTRAINT "sites_owner_fk" FOREIGN KEY ("owner_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "site_hours" ADD CONSTRAINT "site_hours_site_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "clusters" ADD CONSTRAINT "clusters_site_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "clusters" DROP CONSTRAINT "clusters_site_fk"`);
    await q.query(`DROP INDEX "clusters_site_idx"`);
    await q.query(`ALTER TABLE "cluster_hours" DROP CONSTRAINT "cluster_hours_grid_check"`);
    await q.query(`ALTER TABLE "cluster_hours" DROP COLUMN "grid_w"`);
    await q.query(`ALTER TABLE "clusters" DROP COLUMN "grid_tariff"`);
    await q.query(`ALTER TABLE "clusters" DROP COLUMN "site_id"`);
    await q.query(`DROP TABLE "site_hours"`);
    await q.query(`DROP TABLE "sites"`);
  }
}
