import { randomBytes } from 'node:crypto';
import { hour, TestApp } from './helpers';

// Who may do what, one row per schema operation, one cell per caller. Resources in a row belong
// to "A" (startup A's booking, operator A's cluster and windows); B is a peer of the same role.

export type Outcome = 'ok' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';
export const CALLERS = [
  'none',
  'revoked',
  'wrong',
  'startupA',
  'startupB',
  'operatorA',
  'operatorB',
  'bureau',
] as const;
export type Caller = (typeof CALLERS)[number];
type Vars = Record<string, unknown>;

export interface Fx {
  t: TestApp;
  keys: Record<Caller, string | null>;
  startupA: string;
  clusterA: string;
  bookingA: string;
  operatorAKey: string;
  startupAKey: string;
  voucherA: string;
}

interface Row {
  /** arguments of one call; fresh resources for destructive operations so each cell starts equal */
  args: (fx: Fx) => Vars | Promise<Vars>;
  /** expected outcomes for startupA startupB operatorA operatorB bureau */
  expect: string;
}

export const request = (cluster: string) => ({
  pflops: 0.1,
  hours: 1,
  earliestStart: hour(2),
  deadline: hour(300),
  clusterIds: [cluster],
});
export const uniq = () => randomBytes(4).toString('hex');

export async function freshBooking(fx: Fx): Promise<string> {
  const d = await fx.t.ok(
    `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id } }`,
    { r: request(fx.clusterA), k: `fx-${uniq()}` },
    fx.startupAKey,
  );
  return d.bookCompute.id;
}

/** The open fleet-wide round (opened by the bureau the first time it is needed). */
export async function fleetRound(fx: Fx): Promise<string> {
  const open = (await fx.t.ok(`{ rounds(region: "", status: OPEN) { id } }`)).rounds;
  if (open.length > 0) return open[0].id;
  return (await fx.t.ok(`mutation($c: DateTime!) { openRound(region: null, closesAt: $c) { id } }`, { c: hour(100) }))
    .openRound.id;
}

/** A PENDING round request of startup A in the fleet-wide round. */
export async function freshRoundRequest(fx: Fx): Promise<string> {
  await fleetRound(fx);
  const d = await fx.t.ok(
    `mutation($r: ComputeRequestInput!, $k: String!) { submitRoundRequest(request: $r, objective: EARLIEST, idempotencyKey: $k) { id } }`,
    { r: request(fx.clusterA), k: `rr-${uniq()}` },
    fx.startupAKey,
  );
  return d.submitRoundRequest.id;
}

/** A site of operator A. */
export async function freshSite(fx: Fx): Promise<string> {
  const d = await fx.t.ok(
    `mutation($i: CreateSiteInput!) { createSite(input: $i) { id } }`,
    { i: { name: `site ${uniq()}`, region: 'Zhuhai' } },
    fx.operatorAKey,
  );
  return d.createSite.id;
}

export const MATRIX: Record<string, Row> = {
  // queries
  me: { args: () => ({}), expect: 'ok ok ok ok ok' },
  organizations: { args: () => ({}), expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok' },
  apiKeys: { args: (fx) => ({ organizationId: fx.startupA }), expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok' },
  clusters: { args: () => ({}), expect: 'ok ok ok ok ok' },
  cluster: { args: (fx) => ({ id: fx.clusterA }), expect: 'ok ok ok FORBIDDEN ok' },
  greenWindows: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(0), to: hour(700) }),
    expect: 'ok ok ok FORBIDDEN ok',
  },
  utilization: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(0), to: hour(24) }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  quotes: { args: (fx) => ({ request: request(fx.clusterA) }), expect: 'ok ok ok FORBIDDEN ok' },
  bookings: { args: () => ({}), expect: 'ok ok ok ok ok' },
  booking: { args: (fx) => ({ id: fx.bookingA }), expect: 'ok NOT_FOUND ok NOT_FOUND ok' },
  kpis: { args: () => ({ from: hour(0), to: hour(24) }), expect: 'FORBIDDEN FORBIDDEN ok ok ok' },
  accessRule: { args: (fx) => ({ organizationId: fx.startupA }), expect: 'ok NOT_FOUND FORBIDDEN FORBIDDEN ok' },
  vouchers: { args: () => ({}), expect: 'ok ok FORBIDDEN FORBIDDEN ok' },
  voucher: { args: (fx) => ({ id: fx.voucherA }), expect: 'ok NOT_FOUND FORBIDDEN FORBIDDEN ok' },
  voucherLedger: { args: (fx) => ({ voucherId: fx.voucherA }), expect: 'ok NOT_FOUND FORBIDDEN FORBIDDEN ok' },
  greenRevisions: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(0), to: hour(48) }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  credits: { args: () => ({}), expect: 'ok ok ok ok ok' },
  slaBalances: { args: () => ({}), expect: 'FORBIDDEN FORBIDDEN ok ok ok' },
  slaSettings: { args: () => ({}), expect: 'ok ok ok ok ok' },
  rounds: { args: () => ({}), expect: 'ok ok ok ok ok' },
  round: { args: async (fx) => ({ id: await fleetRound(fx) }), expect: 'ok ok ok ok ok' },
  roundRequests: { args: () => ({}), expect: 'ok ok FORBIDDEN FORBIDDEN ok' },
  roundRequest: {
    args: async (fx) => ({ id: await freshRoundRequest(fx) }),
    expect: 'ok NOT_FOUND FORBIDDEN FORBIDDEN ok',
  },
  sites: { args: () => ({}), expect: 'ok ok ok ok ok' },
  gridPrices: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(0), to: hour(24) }),
    expect: 'ok ok ok FORBIDDEN ok',
  },
  siteGrid: {
    args: async (fx) => ({ siteId: await freshSite(fx), from: hour(0), to: hour(24) }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  // mutations
  createOrganization: {
    args: () => ({ input: { name: `org ${uniq()}`, role: 'STARTUP' } }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  issueApiKey: {
    args: (fx) => ({ organizationId: fx.startupA }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  revokeApiKey: {
    args: async (fx) => ({
      id: (await fx.t.ok(`mutation($o: ID!) { issueApiKey(organizationId: $o) { apiKey { id } } }`, { o: fx.startupA }))
        .issueApiKey.apiKey.id,
    }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  registerCluster: {
    args: () => ({
      input: {
        name: `c ${uniq()}`,
        region: 'Zhuhai',
        accelerator: 'H800',
        capacityPflops: 10,
        kwPerPflops: 10,
        pue: 1.2,
        pricePerPflopsHour: 2,
        gridPricePerMwh: 600,
      },
    }),
    expect: 'FORBIDDEN FORBIDDEN ok ok FORBIDDEN',
  },
  updateCluster: {
    args: (fx) => ({ input: { id: fx.clusterA, region: 'Zhuhai' } }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  createSite: {
    args: () => ({ input: { name: `site ${uniq()}`, region: 'Zhuhai' } }),
    expect: 'FORBIDDEN FORBIDDEN ok ok FORBIDDEN',
  },
  setClusterSite: {
    args: (fx) => ({ clusterId: fx.clusterA, siteId: null }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  setGridCapacity: {
    args: async (fx) => ({ siteId: await freshSite(fx), from: hour(500), to: hour(501), megawatts: null }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  postGridPrices: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(600), pricesPerMwh: [null] }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  setGridTariff: {
    args: (fx) => ({ clusterId: fx.clusterA, tariff: null }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  setCapacity: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(500), to: hour(501), pflops: 100 }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  addGreenWindow: {
    args: (fx) => ({
      clusterId: fx.clusterA,
      startsAt: hour(600),
      endsAt: hour(602),
      megawatts: 1,
      pricePerMwh: 10,
      source: 'SOLAR',
    }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  importGreenForecast: {
    args: (fx) => ({
      clusterId: fx.clusterA,
      from: hour(700),
      to: hour(702),
      rows: [{ startsAt: hour(700), endsAt: hour(702), megawatts: 1, pricePerMwh: 10 }],
    }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  removeGreenWindow: {
    args: async (fx) => ({
      id: (
        await fx.t.ok(
          `mutation($c: ID!, $s: DateTime!, $e: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $s, endsAt: $e, megawatts: 1, pricePerMwh: 10, source: WIND) { id } }`,
          { c: fx.clusterA, s: hour(650), e: hour(651) },
          fx.operatorAKey,
        )
      ).addGreenWindow.id,
    }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  bookCompute: {
    args: (fx) => ({ request: request(fx.clusterA), objective: 'EARLIEST', idempotencyKey: `m-${uniq()}` }),
    expect: 'ok ok FORBIDDEN FORBIDDEN FORBIDDEN',
  },
  cancelBooking: {
    args: async (fx) => ({ id: await freshBooking(fx) }),
    expect: 'ok NOT_FOUND FORBIDDEN FORBIDDEN ok',
  },
  issueVoucher: {
    args: (fx) => ({
      input: { organizationId: fx.startupA, cap: 100, percentCovered: 10, validFrom: hour(0), validUntil: hour(500) },
    }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  reviseGreenSupply: {
    args: (fx) => ({ clusterId: fx.clusterA, from: hour(400), to: hour(401), megawatts: 0, reason: 'matrix' }),
    expect: 'FORBIDDEN FORBIDDEN ok FORBIDDEN ok',
  },
  setSlaPenaltyFactor: { args: () => ({ penaltyFactor: 1 }), expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok' },
  submitRoundRequest: {
    args: async (fx) => (
      await fleetRound(fx),
      { request: request(fx.clusterA), objective: 'EARLIEST', idempotencyKey: `rr-${uniq()}` }
    ),
    expect: 'ok ok FORBIDDEN FORBIDDEN FORBIDDEN',
  },
  withdrawRoundRequest: {
    args: async (fx) => ({ id: await freshRoundRequest(fx) }),
    expect: 'ok NOT_FOUND FORBIDDEN FORBIDDEN FORBIDDEN',
  },
  scheduleRounds: {
    args: () => ({ region: `R-${uniq()}`, everyMinutes: 60 }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  openRound: {
    args: () => ({ region: `R-${uniq()}`, closesAt: hour(5) }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  closeRound: {
    args: async (fx) => ({
      id: (
        await fx.t.ok(`mutation($r: String, $c: DateTime!) { openRound(region: $r, closesAt: $c) { id } }`, {
          r: `C-${uniq()}`,
          c: hour(5),
        })
      ).openRound.id,
    }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
  setAccessRule: {
    args: (fx) => ({ input: { organizationId: fx.startupA, maxPflopsHoursPer7Days: 1_000_000, maxClusterShare: 1 } }),
    expect: 'FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN ok',
  },
};

export function expectedRow(spec: string): Record<Caller, Outcome> {
  const cells = spec.split(/\s+/) as Outcome[];
  if (cells.length !== 5) throw new Error(`a matrix row needs 5 outcomes, got "${spec}"`);
  return {
    none: 'UNAUTHENTICATED',
    revoked: 'UNAUTHENTICATED',
    wrong: 'UNAUTHENTICATED',
    startupA: cells[0],
    startupB: cells[1],
    operatorA: cells[2],
    operatorB: cells[3],
    bureau: cells[4],
  };
}

/** Roles that may call an operation on their own resources (all of them for an operation without a row). */
export function allowedRoles(op: string): ('STARTUP' | 'OPERATOR' | 'BUREAU')[] {
  const row = MATRIX[op];
  if (!row) return ['STARTUP', 'OPERATOR', 'BUREAU'];
  const e = expectedRow(row.expect);
  const roles: ('STARTUP' | 'OPERATOR' | 'BUREAU')[] = [];
  if (e.startupA === 'ok') roles.push('STARTUP');
  if (e.operatorA === 'ok') roles.push('OPERATOR');
  if (e.bureau === 'ok') roles.push('BUREAU');
  return roles;
}
