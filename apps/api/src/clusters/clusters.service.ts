import { Injectable } from '@nestjs/common';
import { CapacityChangeEntity, ClusterEntity, pgErrorCode } from '@pflex/persistence';
import { toTflops } from '@pflex/scheduler';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../common/ids';
import { pageByCreatedAt } from '../common/pagination';
import { HOUR_MS, iso, requireRange } from '../common/time.utils';
import { LedgerService } from '../database/ledger.service';
import { EventsService } from '../events/events.service';
import type { Principal } from '../organizations/principal';
import { ClusterErrorCode, ClusterException } from './clusters.exception';
import { CapacityChangeModel, ClusterConnection, ClusterModel } from './dtos/cluster.model';
import { RegisterClusterInput, SetCapacityArgs, UpdateClusterInput } from './dtos/cluster.input';

/**
 * Clusters are a public catalogue for startups (they book on them) and the bureau; an operator
 * sees and manages only its own.
 */
@Injectable()
export class ClustersService {
  constructor(
    private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
  ) {}

  async register(p: Principal, input: RegisterClusterInput): Promise<ClusterModel> {
    return this.ds.transaction(async (m) => {
      const c = await m.save(
        m.create(ClusterEntity, {
          ownerOrgId: p.orgId,
          name: input.name.trim(),
          region: input.region.trim(),
          accelerator: input.accelerator.trim(),
          capacityTflops: toTflops(input.capacityPflops),
          kwPerPflops: input.kwPerPflops,
          pue: input.pue,
          pricePerPflopsHour: input.pricePerPflopsHour,
          gridPricePerMwh: input.gridPricePerMwh,
        }),
      );
      await this.ledger.materialise(m, c.id);
      return toClusterModel(c);
    });
  }

  async update(p: Principal, input: UpdateClusterInput): Promise<ClusterModel> {
    return this.ds.transaction(async (m) => {
      const c = await this.lockForWrite(m, p, input.id, 'id');
      if (input.capacityPflops !== undefined) {
        const { start, end } = this.ledger.horizon();
        // the base capacity covers all future ledger rows (also the day materialised past the horizon)
        await this.applyCapacity(m, c.id, start, end + 24 * HOUR_MS, toTflops(input.capacityPflops), 'capacityPflops');
        c.capacityTflops = toTflops(input.capacityPflops);
      }
      for (const k of ['name', 'region', 'accelerator'] as const) if (input[k] !== undefined) c[k] = input[k]!.trim();
      for (const k of ['kwPerPflops', 'pue', 'pricePerPflopsHour', 'gridPricePerMwh'] as const) if (input[k] !== undefined) c[k] = input[k]!;
      return toClusterModel(await m.save(c));
    });
  }

  async setCapacity(p: Principal, input: SetCapacityArgs): Promise<CapacityChangeModel> {
    const [from, to] = requireRange('from', input.from, 'to', input.to);
    const { start, end } = this.ledger.horizon();
    if (from < start) throw new ClusterException(ClusterErrorCode.OUTSIDE_HORIZON, `from must not be before the current hour ${iso(start)}`, 'from');
    if (to > end) throw new ClusterException(ClusterErrorCode.OUTSIDE_HORIZON, `to must not be after the end of the bookable horizon ${iso(end)}`, 'to');
    const tflops = toTflops(input.pflops);
    return this.ds.transaction(async (m) => {
      const c = await this.lockForWrite(m, p, input.clusterId, 'clusterId');
      await this.applyCapacity(m, c.id, from, to, tflops, 'pflops');
      await m.save(m.create(CapacityChangeEntity, { clusterId: c.id, startsAt: new Date(from), endsAt: new Date(to), capacityTflops: tflops }));
      return { clusterId: c.id, from: new Date(from), to: new Date(to), pflops: tflops / 1000 };
    });
  }

  /**
   * Sets capacity over [from, to). Hours whose booked work would not fit are found first (and
   * locked); the CHECK constraint still guards against a booking racing in, in which case the
   * same CONFLICT is reported. Nothing changes when refused.
   */
  private async applyCapacity(m: EntityManager, clusterId: string, from: number, to: number, tflops: number, field: string): Promise<void> {
    const conflict = async () => {
      const rows: { id: string; starts_at: Date; ends_at: Date }[] = await m.query(
        `SELECT DISTINCT b.id, b.starts_at, b.ends_at FROM bookings b
         JOIN cluster_hours h ON h.cluster_id = b.cluster_id AND h.hour >= b.starts_at AND h.hour < b.ends_at
         WHERE b.cluster_id = $1 AND b.status = 'CONFIRMED' AND h.hour >= $2 AND h.hour < $3 AND h.booked_tflops > $4
         ORDER BY b.starts_at, b.id LIMIT 100`,
        [clusterId, new Date(from), new Date(to), tflops],
      );
      return new ClusterException(
        ClusterErrorCode.CAPACITY_CONFLICT,
        `booked work would no longer fit under ${tflops / 1000} PFLOPS; conflicting bookings: ${rows.map((r) => r.id).join(', ')}`,
        field,
        { conflictingBookings: rows.map((r) => ({ id: r.id, startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString() })) },
      );
    };
    const over: unknown[] = await m.query(
      `SELECT hour FROM cluster_hours WHERE cluster_id = $1 AND hour >= $2 AND hour < $3 AND booked_tflops > $4 LIMIT 1`,
      [clusterId, new Date(from), new Date(to), tflops],
    );
    if (over.length > 0) throw await conflict();
    try {
      await m.query(`SAVEPOINT set_capacity`);
      await m.query(`UPDATE cluster_hours SET capacity_tflops = $4 WHERE cluster_id = $1 AND hour >= $2 AND hour < $3`, [clusterId, new Date(from), new Date(to), tflops]);
      await m.query(`RELEASE SAVEPOINT set_capacity`);
      await this.events.ledgerChanged(m, clusterId, from, to);
    } catch (e) {
      if (pgErrorCode(e) !== '23514') throw e;
      await m.query(`ROLLBACK TO SAVEPOINT set_capacity`);
      throw await conflict();
    }
  }

  async list(p: Principal, first?: number | null, after?: string | null): Promise<ClusterConnection> {
    const qb = this.ds.getRepository(ClusterEntity).createQueryBuilder('c');
    if (p.role === 'OPERATOR') qb.andWhere('c.owner_org_id = :org', { org: p.orgId });
    const page = await pageByCreatedAt(qb, 'c', first, after);
    return { edges: page.edges.map((e) => ({ cursor: e.cursor, node: toClusterModel(e.row) })), pageInfo: page.pageInfo };
  }

  async get(p: Principal, id: string, field = 'id'): Promise<ClusterModel> {
    return toClusterModel(await this.readable(this.ds.manager, p, id, field));
  }

  /** Startups and the bureau may read any cluster; an operator only its own. */
  async readable(m: EntityManager, p: Principal, id: string, field: string): Promise<ClusterEntity> {
    const c = isUuid(id) ? await m.findOneBy(ClusterEntity, { id }) : null;
    if (!c) throw new ClusterException(ClusterErrorCode.CLUSTER_NOT_FOUND, `cluster ${id} not found`, field);
    if (p.role === 'OPERATOR' && c.ownerOrgId !== p.orgId) {
      throw new ClusterException(ClusterErrorCode.NOT_CLUSTER_OWNER, `cluster ${id} belongs to another operator`, field);
    }
    return c;
  }

  /** The owning operator or the bureau; the cluster row is locked for the transaction. */
  async lockForWrite(m: EntityManager, p: Principal, id: string, field: string): Promise<ClusterEntity> {
    const c = isUuid(id) ? await m.findOne(ClusterEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    if (!c) throw new ClusterException(ClusterErrorCode.CLUSTER_NOT_FOUND, `cluster ${id} not found`, field);
    if (p.role !== 'BUREAU' && c.ownerOrgId !== p.orgId) {
      throw new ClusterException(ClusterErrorCode.NOT_CLUSTER_OWNER, `cluster ${id} belongs to another operator`, field);
    }
    return c;
  }
}

export function toClusterModel(c: ClusterEntity): ClusterModel {
  return {
    id: c.id,
    ownerOrganizationId: c.ownerOrgId,
    name: c.name,
    region: c.region,
    accelerator: c.accelerator,
    capacityPflops: c.capacityTflops / 1000,
    kwPerPflops: c.kwPerPflops,
    pue: c.pue,
    pricePerPflopsHour: c.pricePerPflopsHour,
    gridPricePerMwh: c.gridPricePerMwh,
    createdAt: c.createdAt,
  };
}
