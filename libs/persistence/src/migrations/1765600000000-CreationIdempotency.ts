import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * addGreenWindow and registerCluster take an idempotency key, as issueVoucher does: a retry whose
 * first answer was lost returns the window or cluster the first call made instead of adding the
 * supply twice or registering a second cluster. A window's key is its cluster's, a cluster's key
 * its operator's.
 */
export class CreationIdempotency1765600000000 implements MigrationInterface {
  name = 'CreationIdempotency1765600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const t of ['green_windows', 'clusters']) {
      await q.query(`ALTER TABLE "${t}" ADD "idempotency_key" text`);
      await q.query(`ALTER TABLE "${t}" ADD "request_fingerprint" text`);
    }
    await q.query(
      `CREATE UNIQUE INDEX "green_windows_idempotency_key_uq" ON "green_windows" ("cluster_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX "clusters_idempotency_key_uq" ON "clusters" ("owner_org_id", "idempotency_key") WHERE "idempotency_key" IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "clusters_idempotency_key_uq"`);
    await q.query(`DROP INDEX "green_windows_idempotency_key_uq"`);
    for (const t of ['clusters', 'green_windows']) {
      await q.query(`ALTER TABLE "${t}" DROP COLUMN "request_fingerprint"`);
      await q.query(`ALTER TABLE "${t}" DROP COLUMN "idempotency_key"`);
    }
  }
}
