import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-cluster ledger versions for the in-memory timelines of every API process: each change to a
 * cluster's ledger rows locks its version row, raises it and announces the change with it.
 * Hand-reviewed against the entities (persistence.spec.ts fails if they drift apart).
 */
export class LedgerVersions1764400000000 implements MigrationInterface {
  name = 'LedgerVersions1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "ledger_versions" (
      "cluster_id" uuid NOT NULL,
      "version" bigint NOT NULL DEFAULT 0,
      CONSTRAINT "PK_ledger_versions" PRIMARY KEY ("cluster_id"))`);
    await q.query(
      `ALTER TABLE "ledger_versions" ADD CONSTRAINT "ledger_versions_cluster_fk" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await q.query(`INSERT INTO "ledger_versions" ("cluster_id") SELECT "id" FROM "clusters"`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "ledger_versions"`);
  }
}
