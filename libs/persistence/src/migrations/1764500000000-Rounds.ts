import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Clearing rounds: rounds per region, the requests held in them, the bureau's cadence.
 * Generated from the entities (round.entity.ts) and reviewed; persistence.spec.ts fails if they drift apart.
 */
export class Rounds1764500000000 implements MigrationInterface {
  name = 'Rounds1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "rounds" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "region" character varying(100) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'OPEN', "opens_at" TIMESTAMP WITH TIME ZONE NOT NULL, "closes_at" TIMESTAMP WITH TIME ZONE NOT NULL, "cleared_at" TIMESTAMP WITH TIME ZONE, "outcome" jsonb, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "rounds_check" CHECK ("closes_at" > "opens_at" AND "status" IN ('OPEN', 'CLEARED') AND ("status" = 'OPEN') = ("cleared_at" IS NULL)), CONSTRAINT "PK_9d254884a20817016e2f877c7e7" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "rounds_status_closes_idx" ON "rounds"  ("status", "closes_at") `);
    await q.query(`CREATE UNIQUE INDEX "rounds_one_open_idx" ON "rounds"  ("region") WHERE "status" = 'OPEN'`);
    await q.query(
      `CREATE TABLE "round_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" BIGSERIAL NOT NULL, "round_id" uuid NOT NULL, "org_id" uuid NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'PENDING', "pflops" double precision NOT NULL, "hours" integer NOT NULL, "earliest_start" TIMESTAMP WITH TIME ZONE NOT NULL, "deadline" TIMESTAMP WITH TIME ZONE NOT NULL, "cluster_ids" uuid array, "min_green_share" double precision, "objective" character varying(16) NOT NULL, "idempotency_key" character varying(200) NOT NULL, "request_fingerprint" text NOT NULL, "booking_id" uuid, "reason" character varying(40), "message" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "decided_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "round_requests_org_idempotency_key" UNIQUE ("org_id", "idempotency_key"), CONSTRAINT "round_requests_check" CHECK ("hours" > 0 AND "pflops" > 0 AND "deadline" > "earliest_start" AND "status" IN ('PENDING', 'WITHDRAWN', 'CONFIRMED', 'REFUSED') AND ("status" = 'CONFIRMED') = ("booking_id" IS NOT NULL)), CONSTRAINT "PK_2a59dc2522a547fb25bb59b5c8d" PRIMARY KEY ("id"))`,
    );
    await q.query(`CREATE INDEX "round_requests_org_idx" ON "round_requests"  ("org_id", "seq") `);
    await q.query(`CREATE INDEX "round_requests_round_idx" ON "round_requests"  ("round_id", "seq") `);
    await q.query(
      `CREATE TABLE "round_schedules" ("region" character varying(100) NOT NULL, "every_minutes" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "round_schedules_check" CHECK ("every_minutes" > 0), CONSTRAINT "PK_e24d75ead17f0215acc6a315d29" PRIMARY KEY ("region"))`,
    );
    await q.query(
      `ALTER TABLE "round_requests" ADD CONSTRAINT "round_requests_round_fk" FOREIGN KEY ("round_id") REFERENCES "rounds"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "round_requests" ADD CONSTRAINT "round_requests_org_fk" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await q.query(
      `ALTER TABLE "round_requests" ADD CONSTRAINT "round_requests_booking_fk" FOREIGN KEY ("booking_id") REFERENCES "bookings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "round_requests"`);
    await q.query(`DROP TABLE "round_schedules"`);
    await q.query(`DROP TABLE "rounds"`);
  }
}
