import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Compute vouchers (share of a booking's price covered, capped per voucher), their ledger of
 * draws and refunds, the voucher part of each booking, and per-startup access rules.
 * "spent <= cap" is a CHECK, so concurrent draws can never overspend a voucher.
 * Hand-reviewed against the entities (persistence.spec.ts fails if they drift apart).
 */
export class VouchersAccessRules1764330000000 implements MigrationInterface {
  name = 'VouchersAccessRules1764330000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "vouchers" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "org_id" uuid NOT NULL,
      "percent_covered" double precision NOT NULL,
      "cap" numeric(16,2) NOT NULL,
      "spent" numeric(16,2) NOT NULL DEFAULT 0,
      "valid_from" TIMESTAMP WITH TIME ZONE NOT NULL,
      "valid_until" TIMESTAMP WITH TIME ZONE NOT NULL,
      "cluster_ids" uuid array,
      "min_green_share" double precision,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "vouchers_amounts_check" CHECK ("percent_covered" > 0 AND "percent_covered" <= 100 AND "cap" > 0 AND "spent" >= 0 AND "spent" <= "cap"),
      CONSTRAINT "vouchers_scope_check" CHECK ("valid_until" > "valid_from" AND ("min_green_share" IS NULL OR ("min_green_share" >= 0 AND "min_green_share" <= 1)) AND ("cluster_ids" IS NULL OR cardinality("cluster_ids") > 0)),
      CONSTRAINT "PK_vouchers" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "vouchers_org_until_idx" ON "vouchers" ("org_id", "valid_until")`);
    await q.query(
      `ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`ALTER TABLE "bookings" ADD "voucher_id" uuid`);
    await q.query(`ALTER TABLE "bookings" ADD "voucher_amount" numeric(16,2) NOT NULL DEFAULT 0`);
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_voucher_check" CHECK ("voucher_amount" >= 0 AND "voucher_amount" <= "price_total" AND ("voucher_id" IS NOT NULL OR "voucher_amount" = 0))`,
    );
    await q.query(
      `ALTER TABLE "bookings" ADD CONSTRAINT "bookings_voucher_fk" FOREIGN KEY ("voucher_id") REFERENCES "vouchers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "voucher_ledger" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "voucher_id" uuid NOT NULL,
      "booking_id" uuid NOT NULL,
      "kind" character varying(8) NOT NULL,
      "amount" numeric(16,2) NOT NULL,
      "spent_after" numeric(16,2) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "voucher_ledger_booking_kind" UNIQUE ("booking_id", "kind"),
      CONSTRAINT "voucher_ledger_check" CHECK ("kind" IN ('DRAW', 'REFUND') AND "amount" > 0 AND "spent_after" >= 0),
      CONSTRAINT "PK_voucher_ledger" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "voucher_ledger_voucher_created_idx" ON "voucher_ledger" ("voucher_id", "created_at")`);
    await q.query(
      `ALTER TABLE "voucher_ledger" ADD CONSTRAINT "voucher_ledger_voucher_fk" FOREIGN KEY ("voucher_id") REFERENCES "vouchers"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "voucher_ledger" ADD CONSTRAINT "voucher_ledger_booking_fk" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );

    await q.query(`CREATE TABLE "access_rules" (
      "org_id" uuid NOT NULL,
      "max_pflops_hours_per_7_days" double precision,
      "max_cluster_share" double precision,
      "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "access_rules_check" CHECK (("max_pflops_hours_per_7_days" IS NULL OR "max_pflops_hours_per_7_days" >= 0) AND ("max_cluster_share" IS NULL OR ("max_cluster_share" > 0 AND "max_cluster_share" <= 1))),
      CONSTRAINT "PK_access_rules" PRIMARY KEY ("org_id"))`);
    await q.query(
      `ALTER TABLE "access_rules" ADD CONSTRAINT "access_rules_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // the rolling 7-day sum reads a startup's confirmed bookings by start time
    await q.query(`CREATE INDEX "bookings_org_start_idx" ON "bookings" ("org_id", "starts_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "bookings_org_start_idx"`);
    await q.query(`DROP TABLE "access_rules"`);
    await q.query(`DROP TABLE "voucher_ledger"`);
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_voucher_fk"`);
    await q.query(`ALTER TABLE "bookings" DROP CONSTRAINT "bookings_voucher_check"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "voucher_amount"`);
    await q.query(`ALTER TABLE "bookings" DROP COLUMN "voucher_id"`);
    await q.query(`DROP TABLE "vouchers"`);
  }
}
