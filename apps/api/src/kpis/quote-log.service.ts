import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ComputeRequestInput } from '../bookings/dtos/booking.input';
import type { Principal } from '../organizations/principal';

/**
 * Remembers when a startup first asked for a quote on a request, for the median quote → booking
 * time. The key is the request as the booking's fingerprint starts (same six elements, same
 * JSON), normalised by jsonb so the KPI query can rebuild it from a booking row.
 */
@Injectable()
export class QuoteLogService {
  constructor(private readonly ds: DataSource) {}

  async record(p: Principal, r: ComputeRequestInput): Promise<void> {
    if (p.role !== 'STARTUP') return;
    const request = JSON.stringify([r.pflops, r.hours, r.earliestStart?.toISOString?.(), r.deadline?.toISOString?.(), r.clusterIds ?? null, r.minGreenShare ?? null]);
    await this.ds.query(`INSERT INTO quote_log (org_id, request_key) VALUES ($1, md5($2::jsonb::text)) ON CONFLICT DO NOTHING`, [p.orgId, request]);
  }
}
