import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * issueVoucher takes an idempotency key: a retry whose first answer was lost (a dropped connection,
 * a timeout) returns the voucher the first call issued instead of issuing a second one. The key
 * and the request's fingerprint are kept with the voucher; a key names one voucher (vouchers
 * issued without a key have none).
 */
export class VoucherIdempotency1765500000000 implements MigrationInterface {
  name = 'VoucherIdempotency1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "vouchers" ADD "idempotency_key" text`);
    await q.query(`ALTER TABLE "vouchers" ADD "request_fingerprint" text`);
    await q.query(
      `CREATE UNIQUE INDEX "vouchers_idempotency_key_uq" ON "vouchers" ("idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "vouchers_idempotency_key_uq"`);
    await q.query(`ALTER TABLE "vouchers" DROP COLUMN "request_fingerprint"`);
    await q.query(`ALTER TABLE "vouchers" DROP COLUMN "idempotency_key"`);
  }
}
