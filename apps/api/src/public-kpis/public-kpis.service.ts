import { Inject, Injectable } from '@nestjs/common';
import { floorHour, HOUR_MS } from '../common/time.utils';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { KpisService } from '../kpis/kpis.service';
import { TimelinesService } from '../ledger/timelines.service';
import type { Principal } from '../security/principal';
import { PUBLIC_KPI_COLUMNS, PublicKpis, PublicRegionKpis } from './dtos/public-kpis.model';

/** The scope the bureau publishes: every cluster, as the bureau sees them (only aggregates leave this service). */
const PUBLISHED_SCOPE: Principal = { orgId: '', name: 'public', role: 'BUREAU' };
const RANGE_HOURS = 7 * 24;

/**
 * The bureau's published KPIs per region, from a short in-memory cache: whatever the traffic,
 * the database sees at most one KPI statement per region per cache period (one load at a time;
 * callers during a load share it). Regions come from the in-memory cluster catalogue.
 */
@Injectable()
export class PublicKpisService {
  private cached: { at: number; value: Promise<PublicKpis> } | null = null;

  constructor(
    private readonly kpis: KpisService,
    private readonly timelines: TimelinesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get ttlMs(): number {
    return this.config.publicKpiCacheMs ?? 5000;
  }

  current(): Promise<PublicKpis> {
    const now = this.config.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const value = this.load(now);
    const entry = { at: now, value };
    this.cached = entry;
    // a failed load is not kept: the next caller tries again
    value.catch(() => {
      if (this.cached === entry) this.cached = null;
    });
    return value;
  }

  private async load(now: number): Promise<PublicKpis> {
    const from = floorHour(now);
    const to = from + RANGE_HOURS * HOUR_MS;
    const regions = [...new Set(this.timelines.clusters().map((c) => c.region))].sort();
    const out: PublicRegionKpis[] = [];
    for (const region of regions) {
      const k = await this.kpis.kpis(PUBLISHED_SCOPE, { from: new Date(from), to: new Date(to), region });
      out.push({
        region,
        clusters: k.clusters,
        pflopsHoursAvailable: round(k.pflopsHoursAvailable, 3),
        pflopsHoursBooked: round(k.pflopsHoursBooked, 3),
        utilization: round(k.utilization, 4),
        averageMegawattsCommitted: round(k.averageMegawattsCommitted, 3),
        peakMegawattsCommitted: round(k.peakMegawattsCommitted, 3),
        bookedEnergyMwh: round(k.bookedEnergyMwh, 3),
        greenMwhUsed: round(k.greenMwhUsed, 3),
        greenShare: round(k.greenShare, 4),
        voucherMoneySpent: k.voucherMoneySpent,
      });
    }
    return {
      generatedAt: new Date(now).toISOString(),
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      regions: out,
    };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * RFC 4180 CSV; a cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with ',
 * and a text cell holding a separator a spreadsheet may split on (, ; tab) is quoted, so that no
 * part of it becomes a cell of its own (`R;=cmd|...` split on ; would start a formula).
 */
export function toCsv(k: PublicKpis): string {
  const cell = (v: string | number): string => {
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",;\t\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [['from', 'to', ...PUBLIC_KPI_COLUMNS].join(',')];
  for (const r of k.regions) lines.push([k.from, k.to, ...PUBLIC_KPI_COLUMNS.map((c) => r[c])].map(cell).join(','));
  return lines.join('\r\n') + '\r\n';
}
