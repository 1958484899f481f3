import { Injectable } from '@nestjs/common';
import { tflopsToPflops, wattsToMw } from '@pflex/scheduler';
import { DataSource } from 'typeorm';
import { requireRange } from '../common/time.utils';
import { ClustersService } from '../clusters/clusters.service';
import { EventsService, LedgerChangedEvent, Subscriber } from '../events/events.service';
import { shared } from '../events/shared-subscribe';
import { LedgerRepository } from '../ledger/ledger.repository';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { UtilizationArgs } from './dtos/utilization.args';
import { UtilizationChangeModel } from './dtos/utilization-change.model';
import { UtilizationHourModel } from './dtos/utilization.model';

interface LedgerRow {
  hour: Date;
  capacity_tflops: number;
  booked_tflops: number;
  s: string | number;
  a: string | number;
  gw: string | number;
  site_id: string | null;
  site_used: string | number | null;
  site_cap: string | number | null;
}

export const MAX_UTILIZATION_HOURS = 744;

@Injectable()
export class UtilizationService {
  constructor(
    private readonly ds: DataSource,
    private readonly clusters: ClustersService,
    private readonly events: EventsService,
    private readonly repo: LedgerRepository,
    private readonly timelines: TimelinesService,
  ) {}

  /** One ledger read per event and process, shared by all subscribers to that cluster. */
  private readonly changeReads = new WeakMap<
    LedgerChangedEvent,
    Promise<{ owner: string | null; hours: UtilizationChangeModel[] }>
  >();

  /** One row per ledger hour in [from, to); hours outside the materialised ledger are absent. */
  async hours(p: Principal, a: UtilizationArgs): Promise<UtilizationHourModel[]> {
    const [from, to] = requireRange('from', a.from, 'to', a.to, MAX_UTILIZATION_HOURS);
    const c = await this.clusters.readable(this.ds.manager, p, a.clusterId, 'clusterId');
    return (await this.repo.hours(c.id, from, to)).map(toHourModel);
  }

  /**
   * Live changes of one cluster's hours, or (clusterId null) of every cluster the subscriber may
   * see. Checked when subscribing (the same rule as the utilization query) and again for every
   * event against the cluster's owner read with it.
   */
  async changes(who: Subscriber, clusterId?: string | null): Promise<AsyncIterableIterator<UtilizationChangeModel[]>> {
    const p = who.principal;
    const c = clusterId == null ? null : await this.clusters.readable(this.ds.manager, p, clusterId, 'clusterId');
    return this.events.ledger(
      who,
      async (e) => {
        let read = this.changeReads.get(e);
        if (!read) this.changeReads.set(e, (read = this.readChange(e)));
        const { owner, hours } = await read;
        const allowed = p.role === 'BUREAU' || (p.role === 'OPERATOR' && owner === p.orgId);
        return allowed && hours.length > 0 ? hours : undefined;
      },
      // changes the subscriber can never receive are dropped before they queue: another cluster's,
      // or (an operator's whole fleet) another operator's, by the owner this process knows (a
      // cluster it does not know yet passes, and the read above decides)
      c
        ? (e) => e.clusterId === c.id
        : p.role === 'OPERATOR'
          ? (e) => (this.timelines.cluster(e.clusterId)?.ownerOrgId ?? p.orgId) === p.orgId
          : undefined,
    );
  }

  private async readChange(e: LedgerChangedEvent): Promise<{ owner: string | null; hours: UtilizationChangeModel[] }> {
    const rows = await this.repo.hours(e.clusterId, e.from, e.to);
    const changed = e.hours ? new Set(e.hours) : null;
    const kept = changed ? rows.filter((r) => changed.has(new Date(r.hour).getTime())) : rows;
    return {
      owner: rows[0]?.owner_org_id ?? null,
      // the same array for every subscriber allowed to see it: executed once per document
      hours: shared(kept.map((r) => ({ clusterId: e.clusterId, ...toHourModel(r) }))),
    };
  }
}

function toHourModel(r: LedgerRow): UtilizationHourModel {
  return {
    hour: r.hour,
    capacityPflops: tflopsToPflops(r.capacity_tflops),
    bookedPflops: tflopsToPflops(r.booked_tflops),
    utilization: r.capacity_tflops > 0 ? r.booked_tflops / r.capacity_tflops : 0,
    greenAvailableMw: wattsToMw(Number(r.s)),
    greenAllocatedMw: wattsToMw(Number(r.a)),
    gridDrawnMw: wattsToMw(Number(r.gw)),
    siteGridDrawnMw: r.site_id === null ? null : wattsToMw(Number(r.site_used ?? 0)),
    siteGridReservedMw: r.site_cap === null ? null : wattsToMw(Number(r.site_cap)),
  };
}
