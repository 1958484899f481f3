import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { requireRange } from '../common/time.utils';
import { ClustersService } from '../clusters/clusters.service';
import type { Principal } from '../organizations/principal';
import { UtilizationArgs } from './dtos/utilization.args';
import { UtilizationHourModel } from './dtos/utilization.model';

export const MAX_UTILIZATION_HOURS = 744;

@Injectable()
export class UtilizationService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
  ) {}

  /** One row per ledger hour in [from, to); hours outside the materialised ledger are absent. */
  async hours(p: Principal, a: UtilizationArgs): Promise<UtilizationHourModel[]> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_UTILIZATION_HOURS);
    const c = await this.clusters.readable(this.ds.manager, p, a.clusterId, 'clusterId');
    const rows: { hour: Date; capacity_tflops: number; booked_tflops: number; s: string | number; a: string | number }[] = await this.ds.query(
      `SELECT hour, capacity_tflops, booked_tflops, green_supply_w AS s, green_alloc_w AS a FROM cluster_hours
       WHERE cluster_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`,
      [c.id, new Date(from), new Date(to)],
    );
    return rows.map((r) => ({
      hour: r.hour,
      capacityPflops: r.capacity_tflops / 1000,
      bookedPflops: r.booked_tflops / 1000,
      utilization: r.capacity_tflops > 0 ? r.booked_tflops / r.capacity_tflops : 0,
      greenAvailableMw: Number(r.s) / 1e6,
      greenAllocatedMw: Number(r.a) / 1e6,
    }));
  }
}
