import { Injectable } from '@nestjs/common';
import { CapacityChangeEntity, ClusterEntity, PG_ERROR, pgErrorCode } from '@pflex/persistence';
import { tflopsToPflops, toTflops } from '@pflex/scheduler';
import { DataSource, EntityManager } from 'typeorm';
import { InputException } from '../common/errors';
import { isUuid } from '../common/ids';
import { pageByCreatedAt } from '../common/pagination';
import { HOUR_MS, requireRange } from '../common/time.utils';
import { LedgerService } from '../ledger/ledger.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { ClusterErrorCode, ClusterException } from './clusters.exception';
import { GridTariffModel } from '../grid/dtos/grid.dtos';
import { CapacityChangeModel, ClusterConnection, ClusterModel } from './dtos/cluster.model';
import { RegisterClusterInput, SetCapacityArgs, UpdateClusterInput } from './dtos/cluster.input';
import { LedgerAdminRepository } from '../ledger/ledger-admin.repository';
import { requireIdempotencyKey } from '../bookings/idempotency-key';
import { createOnce, replayOf } from '../common/keyed-create';

/**
 * Clusters are a public catalogue for startups (they book on them) and the bureau; an operator
 * sees and manages only its own.
 */
const UPDATABLE = [
  'name',
  'region',
  'accelerator',
  'capacityPflops',
  'kwPerPflops',
  'pue',
  'pricePerPflopsHour',
  'gridPricePerMwh',
] as const;

/** Conflicting bookings a refused capacity cut lists in its extensions (the first by start), and names in its message. */
const MAX_CONFLICTS_LISTED = 100;
const MAX_CONFLICTS_NAMED = 20;

@Injectable()
export class ClustersService {
  constructor(
    private readonly ds: DataSource,
    private readonly ledger: LedgerService,
    private readonly admin: LedgerAdminRepository,
    private readonly timelines: TimelinesService,
  ) {}

  async register(p: Principal, input: RegisterClusterInput, idempotencyKey?: string | null): Promise<ClusterModel> {
    const key = idempotencyKey == null ? null : requireIdempotencyKey(idempotencyKey);
    // what the request asks for, as stored: a retry must ask for exactly this
    const fingerprint = JSON.stringify([
      input.name.trim(),
      input.region.trim(),
      input.accelerator.trim(),
      toTflops(input.capacityPflops),
      input.kwPerPflops,
      input.pue,
      input.pricePerPflopsHour,
      input.gridPricePerMwh,
    ]);
    const model = await createOnce(key, () => this.registerOnce(p, input, key, fingerprint));
    // bookable on this process as soon as the operator has the answer
    await this.timelines.refresh([model.id]);
    return model;
  }

  private registerOnce(
    p: Principal,
    input: RegisterClusterInput,
    key: string | null,
    fingerprint: string,
  ): Promise<ClusterModel> {
    return this.ds.transaction(async (m) => {
      const prior =
        key === null
          ? null
          : replayOf(
              await m.findOneBy(ClusterEntity, { ownerOrgId: p.orgId, idempotencyKey: key }),
              fingerprint,
              (c) => `cluster ${c.id}`,
            );
      if (prior) return toClusterModel(prior);
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
          idempotencyKey: key,
          requestFingerprint: key === null ? null : fingerprint,
        }),
      );
      await this.ledger.createCluster(m, c.id);
      return toClusterModel(c);
    });
  }

  async update(p: Principal, input: UpdateClusterInput): Promise<ClusterModel> {
    // a field left out keeps its value; null is not a value any of them can take
    for (const k of UPDATABLE)
      if (input[k] === null)
        throw new InputException(`input.${k}`, `input.${k} must not be null: leave it out to keep the cluster's ${k}`);
    const [model, version] = await this.ds.transaction(async (m) => {
      const c = await this.lockForWrite(m, p, input.id, 'input.id');
      if (input.capacityPflops !== undefined) {
        const { start, end } = this.ledger.horizon();
        // the base capacity covers all future ledger rows (also the day materialised past the horizon)
        await this.applyCapacity(
          m,
          c.id,
          start,
          end + 24 * HOUR_MS,
          toTflops(input.capacityPflops),
          'input.capacityPflops',
        );
        c.capacityTflops = toTflops(input.capacityPflops);
      }
      for (const k of ['name', 'region', 'accelerator'] as const) if (input[k] !== undefined) c[k] = input[k].trim();
      for (const k of ['kwPerPflops', 'pue', 'pricePerPflopsHour', 'gridPricePerMwh'] as const)
        if (input[k] !== undefined) c[k] = input[k]!;
      const saved = await m.save(c);
      // every process reloads the cluster's parameters and name with its next ledger version
      const v = await this.ledger.change(m, c.id, async () => ({ t: 'cl' }));
      return [toClusterModel(saved), v] as const;
    });
    await this.timelines.sync(model.id, version!);
    return model;
  }

  async setCapacity(p: Principal, input: SetCapacityArgs): Promise<CapacityChangeModel> {
    const [from, to] = requireRange('from', input.from, 'to', input.to);
    const outside = this.ledger.outsideHorizon(from, to);
    if (outside) throw new ClusterException(ClusterErrorCode.OUTSIDE_HORIZON, outside.message, outside.field);
    const tflops = toTflops(input.pflops);
    const [model, version] = await this.ds.transaction(async (m) => {
      const c = await this.lockForWrite(m, p, input.clusterId, 'clusterId');
      const v = await this.applyCapacity(m, c.id, from, to, tflops, 'pflops');
      await m.save(
        m.create(CapacityChangeEntity, {
          clusterId: c.id,
          startsAt: new Date(from),
          endsAt: new Date(to),
          capacityTflops: tflops,
        }),
      );
      return [{ clusterId: c.id, from: new Date(from), to: new Date(to), pflops: tflopsToPflops(tflops) }, v] as const;
    });
    await this.timelines.sync(model.clusterId, version);
    return model;
  }

  /**
   * Sets capacity over [from, to) through the ledger path (the cluster's version row locked
   * first). Hours whose booked work would not fit are refused with the conflicting bookings;
   * the CHECK constraint still guards against anything racing in. Nothing changes when refused.
   */
  private async applyCapacity(
    m: EntityManager,
    clusterId: string,
    from: number,
    to: number,
    tflops: number,
    field: string,
  ): Promise<number> {
    const [f, t] = [from / HOUR_MS, to / HOUR_MS];
    const conflict = async () => {
      const rows = await this.admin.capacityConflictsIn(m, clusterId, f, t, tflops, MAX_CONFLICTS_LISTED);
      const total = rows[0]?.total ?? 0;
      const named = rows.slice(0, MAX_CONFLICTS_NAMED).map((r) => r.id);
      const more = total - named.length;
      return new ClusterException(
        ClusterErrorCode.CAPACITY_CONFLICT,
        `booked work would no longer fit under ${tflopsToPflops(tflops)} PFLOPS: ${total} conflicting booking${total === 1 ? '' : 's'}` +
          (total > rows.length ? ` (the first ${rows.length} by start in extensions.conflictingBookings)` : '') +
          `; conflicting bookings: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
        field,
        {
          conflictingBookingCount: total,
          conflictingBookings: rows.map((r) => ({
            id: r.id,
            startsAt: r.starts_at.toISOString(),
            endsAt: r.ends_at.toISOString(),
          })),
        },
      );
    };
    const v = await this.ledger.change(m, clusterId, async () => {
      if (await this.admin.firstOverIn(m, clusterId, f, t, tflops)) throw await conflict();
      try {
        await m.query(`SAVEPOINT set_capacity`);
        await this.admin.setCapacityIn(m, clusterId, f, t, tflops);
        await m.query(`RELEASE SAVEPOINT set_capacity`);
      } catch (e) {
        if (pgErrorCode(e) !== PG_ERROR.CHECK_VIOLATION) throw e;
        await m.query(`ROLLBACK TO SAVEPOINT set_capacity`);
        throw await conflict();
      }
      return { t: 'cap', f, to: t, tf: tflops };
    });
    return v!;
  }

  async list(p: Principal, first?: number | null, after?: string | null): Promise<ClusterConnection> {
    const qb = this.ds.getRepository(ClusterEntity).createQueryBuilder('c');
    if (p.role === 'OPERATOR') qb.andWhere('c.owner_org_id = :org', { org: p.orgId });
    return pageByCreatedAt(qb, 'c', first, after, toClusterModel);
  }

  async get(p: Principal, id: string, field = 'id'): Promise<ClusterModel> {
    return toClusterModel(await this.readable(this.ds.manager, p, id, field));
  }

  /** Startups and the bureau may read any cluster; an operator only its own. */
  async readable(m: EntityManager, p: Principal, id: string, field: string): Promise<ClusterEntity> {
    const c = isUuid(id) ? await m.findOneBy(ClusterEntity, { id }) : null;
    if (!c) throw new ClusterException(ClusterErrorCode.CLUSTER_NOT_FOUND, `cluster ${id} not found`, field);
    if (p.role === 'OPERATOR' && c.ownerOrgId !== p.orgId) {
      throw new ClusterException(
        ClusterErrorCode.NOT_CLUSTER_OWNER,
        `cluster ${id} belongs to another operator`,
        field,
      );
    }
    return c;
  }

  /** The owning operator or the bureau; the cluster row is locked for the transaction. */
  async lockForWrite(m: EntityManager, p: Principal, id: string, field: string): Promise<ClusterEntity> {
    // FOR NO KEY UPDATE: bookings being inserted (which key-share lock the cluster) are not blocked
    const c = isUuid(id)
      ? await m.findOne(ClusterEntity, { where: { id }, lock: { mode: 'for_no_key_update' } })
      : null;
    if (!c) throw new ClusterException(ClusterErrorCode.CLUSTER_NOT_FOUND, `cluster ${id} not found`, field);
    if (p.role !== 'BUREAU' && c.ownerOrgId !== p.orgId) {
      throw new ClusterException(
        ClusterErrorCode.NOT_CLUSTER_OWNER,
        `cluster ${id} belongs to another operator`,
        field,
      );
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
    capacityPflops: tflopsToPflops(c.capacityTflops),
    kwPerPflops: c.kwPerPflops,
    pue: c.pue,
    pricePerPflopsHour: c.pricePerPflopsHour,
    gridPricePerMwh: c.gridPricePerMwh,
    siteId: c.siteId ?? null,
    gridTariff: (c.gridTariff as GridTariffModel | null) ?? null,
    createdAt: c.createdAt,
  };
}
