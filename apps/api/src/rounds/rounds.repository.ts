import { Injectable } from '@nestjs/common';
import { SqlSession } from '@pflex/persistence';
import { DataSource } from 'typeorm';

/** A round row as the clearing reads it. */
export interface RoundRow {
  id: string;
  region: string;
  status: string;
  opens_at_ms: number;
  closes_at_ms: number;
}

/** A PENDING request as the clearing reads it (times as epoch hours). */
export interface PendingRow {
  id: string;
  org_id: string;
  pflops: number;
  hours: number;
  earliest_h: number;
  deadline_h: number;
  cluster_ids: string[] | null;
  min_green_share: number | null;
  objective: string;
  request_fingerprint: string;
}

/** What a clearing decided per request. */
export interface Decisions {
  id: string[];
  status: ('CONFIRMED' | 'REFUSED')[];
  booking: (string | null)[];
  reason: (string | null)[];
  message: (string | null)[];
}

/**
 * The SQL of rounds. The clearing's statements run on the clearing transaction's session (the
 * same one that writes the bookings through the ledger path); the rest on the pool.
 */
@Injectable()
export class RoundsRepository {
  constructor(private readonly ds: DataSource) {}

  /** The round, locked for its clearing; null when another process is clearing it right now (or it does not exist). */
  async lockForClearing(s: SqlSession, id: string): Promise<RoundRow | null> {
    const [r] = await s.exec<RoundRow>(
      `SELECT id, region, status, (extract(epoch FROM opens_at) * 1000)::float8 AS opens_at_ms, (extract(epoch FROM closes_at) * 1000)::float8 AS closes_at_ms
       FROM rounds WHERE id = $1 FOR UPDATE SKIP LOCKED`,
      [id],
    );
    return r ?? null;
  }

  /** Its PENDING requests in submission order (read under the round's lock: no submit or withdraw can change them now). */
  pending(s: SqlSession, roundId: string): Promise<PendingRow[]> {
    return s.exec<PendingRow>(
      `SELECT id, org_id, pflops, hours, (extract(epoch FROM earliest_start) / 3600)::int AS earliest_h, (extract(epoch FROM deadline) / 3600)::int AS deadline_h,
              cluster_ids, min_green_share, objective, request_fingerprint
       FROM round_requests WHERE round_id = $1 AND status = 'PENDING' ORDER BY seq`,
      [roundId],
    );
  }

  /**
   * Records the clearing, in its transaction after the bookings: each request's decision, the
   * round CLEARED with its outcome, the REFUSED events.
   */
  async decide(
    s: SqlSession,
    roundId: string,
    d: Decisions,
    outcome: object,
    nowMs: number,
    channel: string,
    payloads: string[],
  ): Promise<void> {
    const [r] = await s.exec<{ u: number; rd: number }>(
      `WITH u AS (UPDATE round_requests r SET status = x.status, booking_id = x.booking, reason = x.reason, message = x.message, decided_at = to_timestamp($6 / 1000.0)
                  FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[]) AS x(id, status, booking, reason, message)
                  WHERE r.id = x.id AND r.status = 'PENDING' RETURNING 1),
            rd AS (UPDATE rounds SET status = 'CLEARED', cleared_at = to_timestamp($6 / 1000.0), outcome = $7::jsonb
                   WHERE id = $8 AND status = 'CLOSED' RETURNING 1),
            n AS (SELECT pg_notify($9, p) FROM unnest($10::text[]) AS p)
       SELECT (SELECT count(*) FROM u)::int AS u, (SELECT count(*) FROM rd)::int AS rd, (SELECT count(*) FROM n)::int AS n`,
      [d.id, d.status, d.booking, d.reason, d.message, nowMs, JSON.stringify(outcome), roundId, channel, payloads],
    );
    if (r.u !== d.id.length || r.rd !== 1)
      throw new Error(`round ${roundId}: clearing record incomplete (${r.u}/${d.id.length} requests, ${r.rd} round)`);
  }

  /**
   * Closes the OPEN rounds whose close time has come, in a short statement of its own: it waits
   * only for submissions in flight (they share-lock the round), never for a clearing, and the
   * region's next scheduled round may open right after it.
   */
  async closeDue(nowMs: number): Promise<void> {
    await this.ds.query(
      `UPDATE rounds SET status = 'CLOSED' WHERE status = 'OPEN' AND closes_at <= to_timestamp($1 / 1000.0)`,
      [nowMs],
    );
  }

  /** Closes the round if it is OPEN (the bureau's closeRound): its close time becomes now if that is earlier. */
  async closeEarly(id: string, nowMs: number): Promise<void> {
    await this.ds.query(
      `UPDATE rounds SET status = 'CLOSED', closes_at = least(closes_at, greatest(to_timestamp($2 / 1000.0), opens_at + interval '1 millisecond'))
       WHERE id = $1 AND status = 'OPEN'`,
      [id, nowMs],
    );
  }

  /** CLOSED rounds, the first to close first: the ones to clear. */
  closed(): Promise<{ id: string }[]> {
    return this.ds.query(`SELECT id FROM rounds WHERE status = 'CLOSED' ORDER BY closes_at, id`);
  }

  /** Opens the next round of every scheduled region that has none open, closing at the next multiple of its cadence. */
  async openScheduled(nowMs: number): Promise<number> {
    const rows: { id: string }[] = await this.ds.query(
      `INSERT INTO rounds (region, opens_at, closes_at)
       SELECT s.region, to_timestamp($1 / 1000.0), to_timestamp((floor($1 / (s.every_minutes * 60000.0)) + 1) * s.every_minutes * 60.0)
       FROM round_schedules s WHERE NOT EXISTS (SELECT 1 FROM rounds r WHERE r.region = s.region AND r.status = 'OPEN')
       ON CONFLICT DO NOTHING RETURNING id`,
      [nowMs],
    );
    return rows.length;
  }
}
