import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rounds get a CLOSED status between OPEN and CLEARED: closed to requests, being cleared. A round
 * is closed in a short transaction of its own at its close time, so the next scheduled round of
 * its region opens at once instead of after the clearing (the one-OPEN-round-per-region index
 * counts OPEN rounds only). Generated from the entities and reviewed.
 */
export class RoundClosed1765100000000 implements MigrationInterface {
  name = 'RoundClosed1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rounds" DROP CONSTRAINT "rounds_check"`);
    await q.query(
      `ALTER TABLE "rounds" ADD CONSTRAINT "rounds_check" CHECK ("closes_at" > "opens_at" AND "status" IN ('OPEN', 'CLOSED', 'CLEARED') AND ("status" = 'CLEARED') = ("cleared_at" IS NOT NULL))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "rounds" DROP CONSTRAINT "rounds_check"`);
    // a closed round not yet cleared is open again, past its close time (the old tick clears it),
    // unless the next round of its region is open already: then it must be cleared first
    await q.query(
      `UPDATE "rounds" r SET "status" = 'OPEN' WHERE r."status" = 'CLOSED' AND NOT EXISTS (SELECT 1 FROM "rounds" o WHERE o."region" = r."region" AND o."status" = 'OPEN')`,
    );
    const [left] = (await q.query(`SELECT count(*)::int AS n FROM "rounds" WHERE "status" = 'CLOSED'`)) as {
      n: number;
    }[];
    if (left.n > 0)
      throw new Error(
        `${left.n} closed rounds are not cleared yet and their regions have a round open: clear them (closeRound) first`,
      );
    await q.query(
      `ALTER TABLE "rounds" ADD CONSTRAINT "rounds_check" CHECK ("closes_at" > "opens_at" AND "status" IN ('OPEN', 'CLEARED') AND ("status" = 'OPEN') = ("cleared_at" IS NULL))`,
    );
  }
}
