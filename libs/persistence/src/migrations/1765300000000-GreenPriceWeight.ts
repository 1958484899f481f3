import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An hour's green price weight (MW x price summed over what makes its supply) is never negative,
 * and 0 where there is no green. A forecast import over an hour that a revision had lowered took
 * the replaced window's weight away in full though the revision had already shrunk it, leaving a
 * negative weight: the import answered an error after saving, and no process could load that
 * cluster's timelines again (nor start). `addGreenIn` no longer writes one; hours written before
 * take the MW-weighted price of their windows (0 without any), and a CHECK keeps it so.
 */
export class GreenPriceWeight1765300000000 implements MigrationInterface {
  name = 'GreenPriceWeight1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE cluster_hours h SET green_price_weight = CASE WHEN h.green_supply_w <= 0 THEN 0 ELSE
        h.green_supply_w::numeric * COALESCE(
          (SELECT sum(w.green_w::numeric * w.price_per_mwh::numeric) / nullif(sum(w.green_w::numeric), 0) FROM green_windows w
           WHERE w.cluster_id = h.cluster_id AND w.starts_at <= h.hour AND w.ends_at > h.hour), 0) END
      WHERE h.green_price_weight < 0 OR (h.green_supply_w <= 0 AND h.green_price_weight <> 0)`);
    await q.query(
      `ALTER TABLE "cluster_hours" ADD CONSTRAINT "cluster_hours_green_price_check" CHECK ("green_price_weight" >= 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "cluster_hours" DROP CONSTRAINT "cluster_hours_green_price_check"`);
  }
}
