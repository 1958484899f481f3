import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The voucher ledger's insertion order. Entries of one voucher are written in the order its row
 * is locked, which is the order their `spent_after` was computed; several entries of one
 * transaction (the draws of a group of bookings, the adjustments of one supply revision) share
 * `created_at`, so ordering by it listed them in any order. Existing rows are numbered in the
 * table's physical order, which for this append-only table is the order they were written.
 * Generated from the entities and reviewed.
 */
export class VoucherLedgerSeq1765000000000 implements MigrationInterface {
  name = 'VoucherLedgerSeq1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "voucher_ledger" ADD "seq" bigint GENERATED ALWAYS AS IDENTITY NOT NULL`);
    await q.query(`CREATE INDEX "voucher_ledger_voucher_seq_idx" ON "voucher_ledger" ("voucher_id", "seq")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "voucher_ledger_voucher_seq_idx"`);
    await q.query(`ALTER TABLE "voucher_ledger" DROP COLUMN "seq"`);
  }
}
