import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Organizations, API keys, clusters, green windows, bookings and the per-cluster-hour ledger
 * whose CHECK constraints enforce "booked <= capacity" and "green allocated <= green supply".
 * Hand-reviewed against the entities (persistence.spec.ts fails if they drift apart).
 */
export class InitMarketplace1764316800000 implements MigrationInterface {
  name = 'InitMarketplace1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "organizations" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "name" character varying(200) NOT NULL,
      "role" character varying(16) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "organizations_role_check" CHECK ("role" IN ('STARTUP', 'OPERATOR', 'BUREAU')),
      CONSTRAINT "PK_organizations" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "api_keys" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "key_hash" character(64) NOT NULL,
      "prefix" character varying(32) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "PK_api_keys" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "api_keys_org_idx" ON "api_keys" ("org_id")`);
    await q.query(`CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys" ("key_hash")`);
    await q.query(
      `ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "clusters" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "owner_org_id" uuid NOT NULL,
      "name" character varying(200) NOT NULL,
      "region" character varying(100) NOT NULL,
      "accelerator" character varying(100) NOT NULL,
      "capacity_tflops" integer NOT NULL,
      "kw_per_pflops" double precision NOT NULL,
      "pue" double precision NOT NULL,
      "price_per_pflops_hour" double precision NOT NULL,
      "grid_price_per_mwh" double precision NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "clusters_numbers_check" CHECK ("capacity_tflops" >= 0 AND "kw_per_pflops" > 0 AND "pue" >= 1 AND "price_per_pflops_hour" >= 0 AND "grid_price_per_mwh" >= 0),
      CONSTRAINT "PK_clusters" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "clusters_owner_idx" ON "clusters" ("owner_org_id")`);
    await q.query(
      `ALTER TABLE "clusters" ADD CONSTRAINT "clusters_owner_fk" FOREIGN KEY ("owner_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "capacity_changes" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "cluster_id" uuid NOT NULL,
      "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "capacity_tflops" integer NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_capacity_changes" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "capacity_changes_cluster_idx" ON "capacity_changes" ("cluster_id")`);
    await q.query(
      `ALTER TABLE "capacity_changes" ADD CONSTRAINT "capacity_changes_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "green_windows" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "cluster_id" uuid NOT NULL,
      "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "megawatts" double precision NOT NULL,
      "green_w" bigint NOT NULL,
      "source" character varying(8) NOT NULL,
      "price_per_mwh" double precision NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "green_windows_check" CHECK ("ends_at" > "starts_at" AND "green_w" > 0 AND "price_per_mwh" >= 0 AND "source" IN ('SOLAR', 'WIND', 'HYDRO', 'OTHER')),
      CONSTRAINT "PK_green_windows" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "green_windows_cluster_time_idx" ON "green_windows" ("cluster_id", "starts_at")`);
    await q.query(
      `ALTER TABLE "green_windows" ADD CONSTRAINT "green_windows_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "bookings" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "cluster_id" uuid NOT NULL,
      "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      "hours" integer NOT NULL,
      "tflops" integer NOT NULL,
      "draw_w" bigint NOT NULL,
      "green_w" bigint array NOT NULL,
      "objective" character varying(16) NOT NULL,
      "min_green_share" double precision,
      "green_mwh" double precision NOT NULL,
      "grid_mwh" double precision NOT NULL,
      "green_share" double precision NOT NULL,
      "price_compute" double precision NOT NULL,
      "price_green_energy" double precision NOT NULL,
      "price_grid_energy" double precision NOT NULL,
      "price_total" double precision NOT NULL,
      "status" character varying(16) NOT NULL,
      "idempotency_key" character varying(200) NOT NULL,
      "request_fingerprint" text NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "cancelled_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "bookings_org_idempotency_key" UNIQUE ("org_id", "idempotency_key"),
      CONSTRAINT "bookings_check" CHECK ("hours" > 0 AND "tflops" > 0 AND "ends_at" > "starts_at" AND cardinality("green_w") = "hours" AND "status" IN ('CONFIRMED', 'CANCELLED')),
      CONSTRAINT "PK_bookings" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "bookings_cluster_time_idx" ON "bookings" ("cluster_id", "starts_at")`);
    await q.query(`CREATE INDEX "bookings_org_created_idx" ON "bookings" ("org_id", "created_at")`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "cluster_hours" (
      "cluster_id" uuid NOT NULL,
      "hour" TIMESTAMP WITH TIME ZONE NOT NULL,
      "capacity_tflops" integer NOT NULL,
      "booked_tflops" integer NOT NULL DEFAULT 0,
      "green_supply_w" bigint NOT NULL DEFAULT 0,
      "green_alloc_w" bigint NOT NULL DEFAULT 0,
      "green_price_weight" numeric NOT NULL DEFAULT 0,
      CONSTRAINT "cluster_hours_capacity_check" CHECK ("booked_tflops" >= 0 AND "booked_tflops" <= "capacity_tflops"),
      CONSTRAINT "cluster_hours_green_check" CHECK ("green_alloc_w" >= 0 AND "green_alloc_w" <= "green_supply_w" AND "green_supply_w" <= 2000000000),
      CONSTRAINT "PK_cluster_hours" PRIMARY KEY ("cluster_id", "hour"))`);
    await q.query(
      `ALTER TABLE "cluster_hours" ADD CONSTRAINT "cluster_hours_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "cluster_hours"`);
    await q.query(`DROP TABLE "bookings"`);
    await q.query(`DROP TABLE "green_windows"`);
    await q.query(`DROP TABLE "capacity_changes"`);
    await q.query(`DROP TABLE "clusters"`);
    await q.query(`DROP TABLE "api_keys"`);
    await q.query(`DROP TABLE "organizations"`);
  }
}
