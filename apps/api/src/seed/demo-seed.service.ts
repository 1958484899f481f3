import { Inject, Injectable } from '@nestjs/common';
import { ClusterEntity, GreenWindowEntity, OrganizationEntity, SiteEntity, withSchemaLock } from '@pflex/persistence';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { ClustersService } from '../clusters/clusters.service';
import { HOUR_MS } from '../common/time.utils';
import { PINO } from '../config';
import { LedgerService } from '../ledger/ledger.service';
import { GreenSourceEnum } from '../energy/dtos/green-window.model';
import { EnergyService } from '../energy/energy.service';
import { TariffDaysEnum } from '../grid/dtos/grid.dtos';
import { GridService } from '../grid/grid.service';
import { OrganizationsService } from '../organizations/organizations.service';
import type { Principal } from '../security/principal';
import { DEMO_KEYS } from './demo-keys';

export { DEMO_KEYS };

const ORGS = {
  startup: { name: 'Demo Startup (Hengqin AI Lab)', role: 'STARTUP' },
  operator: { name: 'Demo Operator (Pearl River Compute)', role: 'OPERATOR' },
  bureau: { name: 'Demo City AI Bureau', role: 'BUREAU' },
} as const;

const CLUSTERS = [
  {
    name: 'Zhuhai Hengqin Intelligent Computing Center',
    region: 'Zhuhai Hengqin',
    accelerator: 'Ascend 910B',
    capacityPflops: 2100,
    kwPerPflops: 8,
    pue: 1.25,
    pricePerPflopsHour: 2.4,
    gridPricePerMwh: 680,
  },
  {
    name: 'Haizhu Pazhou AI Hub A',
    region: 'Guangzhou Haizhu',
    accelerator: 'H800',
    capacityPflops: 320,
    kwPerPflops: 6.5,
    pue: 1.3,
    pricePerPflopsHour: 3.1,
    gridPricePerMwh: 720,
  },
  {
    name: 'Haizhu Pazhou AI Hub B',
    region: 'Guangzhou Haizhu',
    accelerator: 'A800',
    capacityPflops: 180,
    kwPerPflops: 9,
    pue: 1.35,
    pricePerPflopsHour: 2.2,
    gridPricePerMwh: 720,
  },
  {
    name: 'Haizhu Science Park C',
    region: 'Guangzhou Haizhu',
    accelerator: 'Ascend 910B',
    capacityPflops: 120,
    kwPerPflops: 8,
    pue: 1.4,
    pricePerPflopsHour: 2.6,
    gridPricePerMwh: 700,
  },
];

/** Pazhou's campus: Hubs A and B behind one grid connection. */
const SITE = {
  name: 'Pazhou AI Campus',
  region: 'Guangzhou Haizhu',
  clusters: ['Haizhu Pazhou AI Hub A', 'Haizhu Pazhou AI Hub B'],
  reservedMw: 3.5,
};

/** Guangdong-style time-of-use tariff (China time, UTC+8): peak 10-12 and 14-19, valley 0-8, flat otherwise. */
const TOU = {
  utcOffsetHours: 8,
  periods: [
    {
      name: 'peak',
      pricePerMwh: 1180,
      hours: [
        [10, 12],
        [14, 19],
      ],
      days: TariffDaysEnum.ALL,
    },
    { name: 'valley', pricePerMwh: 260, hours: [[0, 8]], days: TariffDaysEnum.ALL },
  ],
};

/**
 * Demo data, once: organizations with fixed keys, Zhuhai and Haizhu clusters, and four weeks
 * of solar (daytime in UTC+8) and wind (night) windows. Each step checks what exists, so a
 * restart seeds nothing twice.
 */
@Injectable()
export class DemoSeedService {
  constructor(
    private readonly ds: DataSource,
    private readonly orgs: OrganizationsService,
    private readonly clusters: ClustersService,
    private readonly energy: EnergyService,
    private readonly grid: GridService,
    private readonly ledger: LedgerService,
    @Inject(PINO) private readonly log: Logger,
  ) {}

  /**
   * Seeds what is missing, once: on PostgreSQL under the schema's seed lock, so that processes
   * starting together on a fresh schema seed it one after the other (the later ones find it done).
   */
  seed(): Promise<typeof DEMO_KEYS> {
    return withSchemaLock(this.ds, 'demo-seed', () => this.seedOnce());
  }

  private async seedOnce(): Promise<typeof DEMO_KEYS> {
    const ids = {} as Record<keyof typeof ORGS, string>;
    for (const k of Object.keys(ORGS) as (keyof typeof ORGS)[]) {
      ids[k] = await this.ds.transaction(async (m) => {
        const existing = await m.findOneBy(OrganizationEntity, { name: ORGS[k].name, role: ORGS[k].role });
        if (existing) return existing.id;
        const org = await m.save(m.create(OrganizationEntity, { name: ORGS[k].name, role: ORGS[k].role }));
        await this.orgs.insertKey(m, org.id, DEMO_KEYS[k]);
        return org.id;
      });
    }
    const operator: Principal = { orgId: ids.operator, name: ORGS.operator.name, role: 'OPERATOR' };
    const own = await this.ds.manager.findBy(ClusterEntity, { ownerOrgId: ids.operator });
    if (own.length === 0) {
      const { start, end } = this.ledger.horizon();
      for (const c of CLUSTERS) {
        const cl = await this.clusters.register(operator, c);
        const days = Math.min(28, Math.floor((end - start) / (24 * HOUR_MS)) - 1);
        const day0 = start - (start % (24 * HOUR_MS)) + 24 * HOUR_MS;
        for (let d = 0; d < days; d++) {
          const t = day0 + d * 24 * HOUR_MS;
          const scale = c.capacityPflops / 2100;
          // solar 09:00-17:00 China time = 01:00-09:00 UTC; wind 14:00-22:00 UTC
          await this.energy.add(operator, {
            clusterId: cl.id,
            startsAt: new Date(t + 1 * HOUR_MS),
            endsAt: new Date(t + 9 * HOUR_MS),
            megawatts: round3(9 * scale + 3 * ((d * 7) % 5) * scale),
            source: GreenSourceEnum.SOLAR,
            pricePerMwh: 360,
          });
          if (d % 3 !== 2) {
            await this.energy.add(operator, {
              clusterId: cl.id,
              startsAt: new Date(t + 14 * HOUR_MS),
              endsAt: new Date(t + 22 * HOUR_MS),
              megawatts: round3(6 * scale),
              source: GreenSourceEnum.WIND,
              pricePerMwh: 410,
            });
          }
        }
      }
      const windows = await this.ds.manager.count(GreenWindowEntity);
      this.log.info({ clusters: CLUSTERS.length, greenWindows: windows }, 'demo data seeded');
    }
    if ((await this.ds.manager.countBy(SiteEntity, { ownerOrgId: ids.operator })) === 0) await this.seedGrid(operator);
    return DEMO_KEYS;
  }

  /**
   * The grid side: Pazhou's campus with a reserved grid capacity over the horizon, its hubs on a
   * time-of-use tariff. A database seeded before the grid side existed may already hold hub
   * bookings that draw more than the reservation: the reservation then starts after the last of
   * them ends (never a failed start, never a site half made).
   */
  private async seedGrid(operator: Principal): Promise<void> {
    const { start, end } = this.ledger.horizon();
    const hubs: ClusterEntity[] = [];
    for (const name of SITE.clusters) {
      const c = await this.ds.manager.findOneBy(ClusterEntity, { ownerOrgId: operator.orgId, name });
      if (c) hubs.push(c);
    }
    const [{ last }]: [{ last: Date | null }] = await this.ds.query(
      `SELECT max(ends_at) AS last FROM bookings WHERE cluster_id = ANY($1::uuid[]) AND status = 'CONFIRMED' AND ends_at > $2`,
      [hubs.map((c) => c.id), new Date(start)],
    );
    const from = last ? Math.max(start, new Date(last).getTime()) : start;
    const site = await this.grid.createSite(operator, { name: SITE.name, region: SITE.region });
    for (const c of hubs) {
      await this.grid.setClusterSite(operator, { clusterId: c.id, siteId: site.id });
      await this.grid.setGridTariff(operator, { clusterId: c.id, tariff: TOU });
    }
    if (from < end)
      await this.grid.setGridCapacity(operator, {
        siteId: site.id,
        from: new Date(from),
        to: new Date(end),
        megawatts: SITE.reservedMw,
      });
    this.log.info(
      { site: SITE.name, reservedMw: SITE.reservedMw, from: new Date(from).toISOString() },
      'demo grid site seeded',
    );
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
