import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The first time each organization asked for a quote on a given request, for the KPI "median
 * time from first quote to booking". One row per (organization, request): repeated quotes of
 * the same request do not grow the table.
 */
export class QuoteLog1764340000000 implements MigrationInterface {
  name = 'QuoteLog1764340000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "quote_log" (
      "org_id" uuid NOT NULL,
      "request_key" character(32) NOT NULL,
      "first_quoted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "PK_quote_log" PRIMARY KEY ("org_id", "request_key"))`);
    await q.query(
      `ALTER TABLE "quote_log" ADD CONSTRAINT "quote_log_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "quote_log"`);
  }
}
