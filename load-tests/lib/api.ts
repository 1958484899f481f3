// Every GraphQL document and response path the load tests use, in one place, aligned with
// apps/api/schema.graphql. The setup calls (organizations, clusters, green windows) go through
// the API like any client's; the load itself is built by the scenarios from these documents.
import { request } from 'undici';

/** Refusals a booking may meet under load: expected outcomes, not errors. */
export const REFUSAL_CODES = new Set(['NO_CAPACITY', 'GREEN_SHORTFALL', 'GRID_LIMIT', 'QUOTA_EXCEEDED']);

export const DOCS = {
  trivial: `query Trivial { __typename }`,
  createOrganization: `mutation CreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) { organization { id name role } firstKey { key } }
  }`,
  registerCluster: `mutation RegisterCluster($input: RegisterClusterInput!) {
    registerCluster(input: $input) { id name capacityPflops }
  }`,
  addGreenWindow: `mutation AddGreenWindow($clusterId: ID!, $startsAt: DateTime!, $endsAt: DateTime!, $megawatts: Float!, $source: GreenSource!, $pricePerMwh: Float!) {
    addGreenWindow(clusterId: $clusterId, startsAt: $startsAt, endsAt: $endsAt, megawatts: $megawatts, source: $source, pricePerMwh: $pricePerMwh) { id }
  }`,
  createSite: `mutation CreateSite($input: CreateSiteInput!) { createSite(input: $input) { id } }`,
  setClusterSite: `mutation SetClusterSite($clusterId: ID!, $siteId: ID) { setClusterSite(clusterId: $clusterId, siteId: $siteId) { id } }`,
  setGridCapacity: `mutation SetGridCapacity($siteId: ID!, $from: DateTime!, $to: DateTime!, $megawatts: Float) {
    setGridCapacity(siteId: $siteId, from: $from, to: $to, megawatts: $megawatts) { siteId }
  }`,
  issueVoucher: `mutation IssueVoucher($input: IssueVoucherInput!) { issueVoucher(input: $input) { id cap } }`,
  clusters: `query Clusters { clusters(first: 100) { edges { node { id name capacityPflops } } } }`,
  quotes: `query Quotes($request: ComputeRequestInput!) {
    quotes(request: $request) { objective available reason placement { clusterId startsAt endsAt greenShare price { total } } }
  }`,
  bookCompute: `mutation BookCompute($request: ComputeRequestInput!, $objective: Objective!, $idempotencyKey: String!) {
    bookCompute(request: $request, objective: $objective, idempotencyKey: $idempotencyKey) {
      id status idempotencyKey clusterId startsAt endsAt greenShare
    }
  }`,
  cancelBooking: `mutation CancelBooking($id: ID!) { cancelBooking(id: $id) { id status } }`,
  openRound: `mutation OpenRound($region: String, $closesAt: DateTime!) { openRound(region: $region, closesAt: $closesAt) { id } }`,
  submitRoundRequest: `mutation SubmitRoundRequest($request: ComputeRequestInput!, $objective: Objective!, $idempotencyKey: String!, $region: String) {
    submitRoundRequest(request: $request, objective: $objective, idempotencyKey: $idempotencyKey, region: $region) { id status }
  }`,
  kpis: `query Kpis($from: DateTime!, $to: DateTime!) { kpis(from: $from, to: $to) { clusters utilization greenShare } }`,
  roundOutcome: `query RoundOutcome($id: ID!) {
    round(id: $id) { status outcome { placed refused pflopsHours firstCome { pflopsHours } } }
  }`,
  closeRound: `mutation CloseRound($id: ID!) {
    closeRound(id: $id) { id status outcome { requests placed refused pflopsHours greenShare gain strategy clearingMs packingMs firstCome { placed pflopsHours greenShare } } }
  }`,
  roundRequests: `query RoundRequests($roundId: ID, $after: String) {
    roundRequests(roundId: $roundId, first: 100, after: $after) { edges { node { id organizationId status booking { id } } } pageInfo { hasNextPage endCursor } }
  }`,
  utilization: `query Utilization($clusterId: ID!, $from: DateTime!, $to: DateTime!) {
    utilization(clusterId: $clusterId, from: $from, to: $to) { hour bookedPflops capacityPflops }
  }`,
  utilizationChanged: `subscription UtilizationChanged($clusterId: ID!) {
    utilizationChanged(clusterId: $clusterId) { clusterId hour bookedPflops }
  }`,
  utilizationChangedAll: `subscription UtilizationChanged($clusterId: ID!) {
    utilizationChanged(clusterId: $clusterId) { clusterId hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw gridDrawnMw siteGridDrawnMw siteGridReservedMw }
  }`,
  bookingEvents: `subscription BookingEvents($clusterId: ID) {
    bookingEvents(clusterId: $clusterId) { type booking { id status startsAt hours pflops } }
  }`,
  importGreenForecast: `mutation ImportGreenForecast($clusterId: ID!, $from: DateTime!, $to: DateTime!, $rows: [GreenForecastRowInput!]!) {
    importGreenForecast(clusterId: $clusterId, from: $from, to: $to, rows: $rows) { clusterId windowsReplaced }
  }`,
} as const;

export type Objective = 'EARLIEST' | 'GREENEST' | 'CHEAPEST';

export interface BookingRequest {
  pflops: number;
  hours: number;
  earliestStart: string;
  deadline: string;
  clusterIds?: string[];
  minGreenShare?: number;
}

/** HTTP headers that authenticate a request with an API key. */
export function authHeaders(apiKey: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
}

export function body(query: string, variables?: Record<string, unknown>): string {
  return JSON.stringify(variables ? { query, variables } : { query });
}

/** One GraphQL call for setup; throws with the API's message on any error. */
export async function gql<T = any>(
  base: string,
  apiKey: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const res = await request(`${base}/graphql`, {
    method: 'POST',
    headers: apiKey ? authHeaders(apiKey) : { 'content-type': 'application/json' },
    body: body(query, variables),
  });
  const text = await res.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${res.statusCode} from ${base}/graphql: ${text.slice(0, 300)}`);
  }
  if (json.errors?.length) {
    const e = json.errors[0];
    throw new Error(`${e.extensions?.code ?? 'ERROR'}: ${e.message}`);
  }
  return json.data as T;
}

export interface Org {
  id: string;
  apiKey: string;
}

export async function createOrganization(
  base: string,
  bureauKey: string,
  name: string,
  role: 'STARTUP' | 'OPERATOR',
): Promise<Org> {
  const d = await gql(base, bureauKey, DOCS.createOrganization, { input: { name, role } });
  return { id: d.createOrganization.organization.id, apiKey: d.createOrganization.firstKey.key };
}

export interface ClusterSpec {
  name: string;
  region: string;
  accelerator: string;
  capacityPflops: number;
  kwPerPflops: number;
  pue: number;
  pricePerPflopsHour: number;
  gridPricePerMwh: number;
}

export async function registerCluster(base: string, operatorKey: string, c: ClusterSpec): Promise<string> {
  const d = await gql(base, operatorKey, DOCS.registerCluster, { input: c });
  return d.registerCluster.id;
}

export async function addGreenWindow(
  base: string,
  operatorKey: string,
  w: { clusterId: string; startsAt: string; endsAt: string; megawatts: number; source: string; pricePerMwh: number },
): Promise<void> {
  await gql(base, operatorKey, DOCS.addGreenWindow, { ...w, megawatts: Math.round(w.megawatts * 1000) / 1000 });
}

/** A site of the operator with its clusters behind it and `megawatts` of grid reserved over [from, to). */
export async function gridSite(
  base: string,
  operatorKey: string,
  name: string,
  region: string,
  clusterIds: string[],
  from: string,
  to: string,
  megawatts: number,
): Promise<string> {
  const site = (await gql(base, operatorKey, DOCS.createSite, { input: { name, region } })).createSite.id;
  for (const clusterId of clusterIds) await gql(base, operatorKey, DOCS.setClusterSite, { clusterId, siteId: site });
  await gql(base, operatorKey, DOCS.setGridCapacity, {
    siteId: site,
    from,
    to,
    megawatts: Math.round(megawatts * 1000) / 1000,
  });
  return site;
}

export async function issueVoucher(
  base: string,
  bureauKey: string,
  v: { organizationId: string; cap: number; percentCovered: number; validFrom: string; validUntil: string },
): Promise<string> {
  const d = await gql(base, bureauKey, DOCS.issueVoucher, { input: v });
  return d.issueVoucher.id;
}

/** Classifies a GraphQL answer: data = ok, a refusal code = refused, anything else = error. */
export function classify(
  op: string,
  status: number,
  json: any,
): { outcome: 'ok' | 'refused' | 'error'; code?: string; detail?: string } {
  if (json?.errors?.length) {
    const e = json.errors[0];
    const code = e.extensions?.code ?? `HTTP_${status}`;
    if (op === 'bookCompute' && REFUSAL_CODES.has(code)) return { outcome: 'refused', code };
    return { outcome: 'error', code, detail: String(e.message).slice(0, 200) };
  }
  if (status !== 200 || json?.data == null)
    return { outcome: 'error', code: `HTTP_${status}`, detail: JSON.stringify(json).slice(0, 200) };
  return { outcome: 'ok' };
}

/** The booking a bookCompute answer acknowledged, if any. */
export function bookedId(json: any): string | undefined {
  return json?.data?.bookCompute?.id;
}
