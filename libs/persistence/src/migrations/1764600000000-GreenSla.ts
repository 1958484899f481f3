import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Green SLAs: supply revisions with their history, the green each booking was promised, SLA
 * credits and the bureau's penalty factor; voucher ADJUST rows (money a revision left above a
 * booking's new price goes back to the voucher). Generated from the entities and reviewed;
 * existing bookings are backfilled (promised = allocated now, green price = their average).
 */
export class GreenSla1764600000000 implements MigrationInterface {
  name = 'GreenSla1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "bookings" ADD "green_w_promised" bigint array`);
    await q.query(`UPDATE "bookings" SET "green_w_promised" = "green_w"`);
    await q.query(`ALTER TABLE "bookings" ALTER COLUMN "green_w_promised" SET NOT NULL`);
    await q.query(`ALTER TABLE "bookings" ADD "green_price_per_mwh" double precision`);
    await q.query(
      `UPDATE "bookings" SET "green_price_per_mwh" = "price_green_energy" / "green_mwh" WHERE "green_mwh" > 0`,
    );
    await q.query(`ALTER TABLE "bookings" ADD "sla_credit" numeric(16,2) NOT NULL DEFAULT '0'`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_sla_check" CHECK (cardinality("green_w_promised") = "hours" AND "sla_credit" >= 0)`,
    );
    await q.query(`ALTER TABLE "voucher_ledger" DROP CONSTRAINT "voucher_ledger_booking_kind"`);
    // a new name: TypeORM matches indexes to constraints by name across schemas
    await q.query(
      `CREATE UNIQUE INDEX "voucher_ledger_booking_once_idx" ON "voucher_ledger"  ("booking_id", "kind") WHERE "kind" <> 'ADJUST'`,
    );
    await q.query(`ALTER TABLE "voucher_ledger" DROP CONSTRAINT "voucher_ledger_check"`);
    await q.query(
      `ALTER TABLE "voucher_ledger" ADD CONSTRAINT "voucher_ledger_check" CHECK ("kind" IN ('DRAW', 'REFUND', 'ADJUST') AND "amount" > 0 AND "spent_after" >= 0)`,
    );
    await q.query(
      `CREATE TABLE "green_revisions" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "cluster_id" uuid NOT NULL, "by_org_id" uuid NOT NULL, "reason" character varying(500) NOT NULL, "starts_at" TIMESTAMP WITH TIME ZONE NOT NULL, "ends_at" TIMESTAMP WITH TIME ZONE NOT NULL, "supply_before_w" bigint array NOT NULL, "supply_after_w" bigint array NOT NULL, "via_windows" boolean NOT NULL DEFAULT false, "penalty_factor" double precision NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "green_revisions_check" CHECK ("ends_at" > "starts_at" AND cardinality("supply_before_w") = cardinality("supply_after_w") AND "penalty_factor" >= 0), CONSTRAINT "PK_ae52263540b7f9c1182947f82bf" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "green_revisions_cluster_time_idx" ON "green_revisions"  ("cluster_id", "starts_at") `);
    await q.query(
      `CREATE TABLE "green_revision_bookings" ("revision_id" uuid NOT NULL, "booking_id" uuid NOT NULL, "green_w_before" bigint array NOT NULL, "green_w_after" bigint array NOT NULL, "green_share_before" double precision NOT NULL, "green_share_after" double precision NOT NULL, "price_total_before" double precision NOT NULL, "price_total_after" double precision NOT NULL, "breached" boolean NOT NULL, "credit_after" numeric(16,2) NOT NULL, CONSTRAINT "PK_1d47178cbb9fbeb66701b23ca15" PRIMARY KEY ("revision_id", "booking_id"))`,
    );
    await q.query(`CREATE INDEX "green_revision_bookings_booking_idx" ON "green_revision_bookings"  ("booking_id") `);
    await q.query(
      `CREATE TABLE "sla_credits" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "booking_id" uuid NOT NULL, "org_id" uuid NOT NULL, "operator_org_id" uuid NOT NULL, "revision_id" uuid, "kind" character varying(16) NOT NULL, "amount" numeric(16,2) NOT NULL, "missing_mwh" double precision NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "sla_credits_check" CHECK ("kind" IN ('CREDIT', 'REVERSAL') AND "amount" > 0 AND "missing_mwh" >= 0), CONSTRAINT "PK_c60623d7627110bc109028526c2" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "sla_credits_booking_idx" ON "sla_credits"  ("booking_id") `);
    await q.query(`CREATE INDEX "sla_credits_operator_idx" ON "sla_credits"  ("operator_org_id", "created_at") `);
    await q.query(`CREATE INDEX "sla_credits_org_created_idx" ON "sla_credits"  ("org_id", "created_at") `);
    await q.query(
      `CREATE TABLE "sla_settings" ("id" smallint NOT NULL, "penalty_factor" double precision NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "sla_settings_check" CHECK ("id" = 1 AND "penalty_factor" >= 0 AND "penalty_factor" <= 100), CONSTRAINT "PK_00e951af78a587fa09651f407d1" PRIMARY KEY ("id"))`,
    );
    await q.query(`INSERT INTO "sla_settings" ("id", "penalty_factor") VALUES (1, 1)`);
    await q.query(
      `ALTER TABLE "green_revisions" ADD CONSTRAINT "green_revisions_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "green_revisions" ADD CONSTRAINT "green_revisions_by_org_fk" FOREIGN KEY ("by_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "green_revision_bookings" ADD CONSTRAINT "green_revision_bookings_revision_fk" FOREIGN KEY ("revision_id") REFERENCES "green_revisions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "green_revision_bookings" ADD CONSTRAINT "green_revision_bookings_booking_fk" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "sla_credits" ADD CONSTRAINT "sla_credits_booking_fk" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "sla_credits" ADD CONSTRAINT "sla_credits_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "sla_credits" ADD CONSTRAINT "sla_credits_operator_fk" FOREIGN KEY ("operator_org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "sla_credits" ADD CONSTRAINT "sla_credits_revision_fk" FOREIGN KEY ("revision_id") REFERENCES "green_revisions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "sla_credits"`);
    await q.query(`DROP TABLE "green_revision_bookings"`);
    await q.query(`DROP TABLE "green_revisions"`);
    await q.query(`DROP TABLE "sla_settings"`);
    await q.query(`DELETE FROM "voucher_ledger" WHERE "kind" = 'ADJUST'`);
    await q.query(`DROP INDEX "voucher_ledger_booking_once_idx"`);
    await q.query(
      `ALTER TABLE "voucher_ledger" ADD CONSTRAINT "voucher_ledger_booking_kind" UNIQUE ("booking_id", "kind")`,
    );
    await q.query(`ALTER TABLE "voucher_ledger" DROP CONSTRAINT "voucher_ledger_check"`);
    await q.query(
      `ALTER TABLE "voucher_ledger" ADD CONSTRAINT "voucher_ledger_check" CHECK ("kind" IN ('DRAW', 'REFUND') AND "amount" > 0 AND "spent_after" >= 0)`,
    );
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_sla_check"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "sla_credit"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "green_price_per_mwh"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "green_w_promised"`);
  }
}
