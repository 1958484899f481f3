// A run's marketplace, set up through the API like any client's: operators and startups, vouchers,
// and clusters with green windows. Shared by the load runner and the fault runner.
import { addGreenWindow, createOrganization, gridSite, issueVoucher, registerCluster, type Org } from './api';

const H = 3600_000;

/** The first whole hour at least two hours from now: bookings start from there. */
export function horizonStartFromNow(now = Date.now()): number {
  return Math.ceil(now / H) * H + 2 * H;
}

/**
 * `operators` operators (created one by one on `targets[0]`) and `startups` startups (20 at a
 * time, spread over the API processes), named `<prefix>-operator-<i>` and `<prefix>-startup-<i>`.
 */
export async function createOrganizations(
  targets: string[],
  bureauKey: string,
  prefix: string,
  n: { operators: number; startups: number },
): Promise<{ operators: Org[]; startups: Org[] }> {
  const operators: Org[] = [];
  for (let i = 0; i < n.operators; i++)
    operators.push(await createOrganization(targets[0], bureauKey, `${prefix}-operator-${i}`, 'OPERATOR'));
  const startups: Org[] = [];
  for (let i = 0; i < n.startups; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, n.startups - i) }, (_, j) =>
        createOrganization(targets[(i + j) % targets.length], bureauKey, `${prefix}-startup-${i + j}`, 'STARTUP'),
      ),
    );
    startups.push(...batch);
  }
  return { operators, startups };
}

/**
 * Vouchers (cap 5,000, 50 % covered, valid over the horizon) for every third startup, small
 * enough to run out mid-run: concurrent draws on one voucher are what the checker's voucher
 * balances test. Returns how many were issued.
 */
export async function issueVouchers(
  api: string,
  bureauKey: string,
  startups: Org[],
  horizonStart: number,
): Promise<number> {
  let vouchers = 0;
  for (let i = 0; i < startups.length; i += 3) {
    await issueVoucher(api, bureauKey, {
      organizationId: startups[i].id,
      cap: 5_000,
      percentCovered: 50,
      validFrom: new Date(horizonStart - 2 * H).toISOString(),
      validUntil: new Date(horizonStart + 40 * 24 * H).toISOString(),
    });
    vouchers++;
  }
  return vouchers;
}

/** A green window repeated every day of the horizon: [fromHour, toHour) of each day, MW. */
export interface DailyGreen {
  fromHour: number;
  toHour: number;
  megawatts: number;
  source: 'SOLAR' | 'WIND' | 'HYDRO';
  pricePerMwh: number;
}

export interface ClusterSet {
  /** `${tag}-${i}` for i < n, or the names themselves */
  names: string[];
  /** region of cluster i */
  region: (i: number) => string;
  capacityPflops: number;
  horizonStart: number;
  horizonHours: number;
  /** the windows of each day, added in this order */
  green: DailyGreen[];
  /**
   * Each operator's clusters behind one site whose reserved grid is this share of their draw at
   * full capacity over the horizon (green lets them go beyond it); absent: no sites.
   */
  gridShare?: number;
}

/**
 * Registers clusters round-robin over the operators (cluster i: kW/PFLOPS and price 8 + i, PUE
 * 1.2, grid 90 per MWh), adds their daily green windows over the horizon and, with `gridShare`,
 * puts each operator's clusters behind a site with a reserved grid capacity.
 */
export async function registerClusters(
  api: string,
  operators: Org[],
  s: ClusterSet,
): Promise<{ ids: string[]; owners: Org[] }> {
  const ids: string[] = [];
  const owners: Org[] = [];
  for (let i = 0; i < s.names.length; i++) {
    const op = operators[i % operators.length];
    const id = await registerCluster(api, op.apiKey, {
      name: s.names[i],
      region: s.region(i),
      accelerator: 'GPU',
      capacityPflops: s.capacityPflops,
      kwPerPflops: 8 + i,
      pue: 1.2,
      pricePerPflopsHour: 8 + i,
      gridPricePerMwh: 90,
    });
    for (let d = 0; d * 24 < s.horizonHours; d++) {
      const day = s.horizonStart + d * 24 * H;
      for (const g of s.green) {
        await addGreenWindow(api, op.apiKey, {
          clusterId: id,
          startsAt: new Date(day + g.fromHour * H).toISOString(),
          endsAt: new Date(day + g.toHour * H).toISOString(),
          megawatts: g.megawatts,
          source: g.source,
          pricePerMwh: g.pricePerMwh,
        });
      }
    }
    ids.push(id);
    owners.push(op);
  }
  if (s.gridShare !== undefined) {
    for (const op of operators) {
      const mine = ids.map((id, i) => ({ id, i })).filter((x) => owners[x.i] === op);
      if (mine.length === 0) continue;
      // full draw: capacity x (8 + i) kW per PFLOPS x PUE 1.2
      const fullMw = mine.reduce((a, x) => a + (s.capacityPflops * (8 + x.i) * 1.2) / 1000, 0);
      const from = new Date(s.horizonStart).toISOString();
      const to = new Date(s.horizonStart + s.horizonHours * H).toISOString();
      await gridSite(
        api,
        op.apiKey,
        `${s.names[mine[0].i]}-site`,
        s.region(mine[0].i),
        mine.map((x) => x.id),
        from,
        to,
        s.gridShare * fullMw,
      );
    }
  }
  return { ids, owners };
}
