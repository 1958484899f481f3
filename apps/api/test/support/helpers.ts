import { randomBytes } from 'node:crypto';
import { dropSchema } from '@pflex/persistence';
import pino from 'pino';
import { startApp, RunningApp } from '../../src/bootstrap';
import type { AppConfig } from '../../src/config';

export const HOUR = 3_600_000;
export const DATABASE_URL = process.env.DATABASE_URL;

/** ISO time of the current UTC hour + n hours. */
export function hour(n: number): string {
  return new Date(Math.floor(Date.now() / HOUR) * HOUR + n * HOUR).toISOString();
}

export interface GqlResult<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: { code?: string; field?: string; reason?: string; [k: string]: unknown } }[];
}

export interface TestApp {
  running: RunningApp;
  url: string;
  schema?: string;
  bureauKey: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<GqlResult<T>>;
  /** data of a call that must succeed */
  ok<T = any>(query: string, variables?: Record<string, unknown>, key?: string | null): Promise<T>;
  /** the first error code of a call that must fail */
  code(
    query: string,
    variables?: Record<string, unknown>,
    key?: string | null,
  ): Promise<{ code?: string; field?: string; message: string }>;
  createOrg(role: 'STARTUP' | 'OPERATOR' | 'BUREAU', name?: string): Promise<{ id: string; key: string }>;
  registerCluster(operatorKey: string, input?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function gqlAt<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  key?: string | null,
): Promise<GqlResult<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as GqlResult<T>;
  return { ...body, status: res.status };
}

/**
 * Boots the whole app on an ephemeral port: in-memory PGlite, or (with DATABASE_URL) a fresh
 * schema of its own so parallel test files never see each other's rows. `schema` lets a second
 * instance share the first one's database.
 */
export async function bootTestApp(opts: { schema?: string; config?: Partial<AppConfig> } = {}): Promise<TestApp> {
  const schema = DATABASE_URL ? (opts.schema ?? `t_${randomBytes(6).toString('hex')}`) : undefined;
  const ownsSchema = DATABASE_URL && !opts.schema;
  const bureauKey = 'test-bureau-key';
  const config: AppConfig = {
    port: 0,
    persistence: DATABASE_URL ? { url: DATABASE_URL, schema, poolSize: 8 } : { memory: true },
    horizonDays: 60,
    bureauApiKey: bureauKey,
    demoSeed: false,
    maxQueryDepth: 8,
    maxQueryCost: 5000,
    now: () => Date.now(),
    ...opts.config,
  };
  const running = await startApp(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  const url = running.url;
  const gql = <T>(q: string, v?: Record<string, unknown>, key: string | null = bureauKey) => gqlAt<T>(url, q, v, key);
  const app: TestApp = {
    running,
    url,
    schema,
    bureauKey,
    gql,
    async ok<T = any>(q: string, v?: Record<string, unknown>, key?: string | null): Promise<T> {
      const r = await gql<T>(q, v, key);
      if (r.errors?.length || !r.data) throw new Error(`expected success, got ${JSON.stringify(r.errors ?? r)}`);
      return r.data;
    },
    async code(q, v, key) {
      const r = await gql(q, v, key);
      if (!r.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(r.data)}`);
      const e = r.errors[0];
      return { code: e.extensions?.code, field: e.extensions?.field, message: e.message };
    },
    async createOrg(role, name = `${role.toLowerCase()} ${randomBytes(3).toString('hex')}`) {
      const d = await app.ok<any>(
        `mutation($i: CreateOrganizationInput!) { createOrganization(input: $i) { organization { id } firstKey { key } } }`,
        { i: { name, role } },
      );
      return { id: d.createOrganization.organization.id, key: d.createOrganization.firstKey.key };
    },
    async registerCluster(operatorKey, input = {}) {
      const d = await app.ok<any>(
        `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id } }`,
        {
          i: {
            name: 'Test cluster',
            region: 'Zhuhai',
            accelerator: 'H800',
            capacityPflops: 100,
            kwPerPflops: 10,
            pue: 1.2,
            pricePerPflopsHour: 2,
            gridPricePerMwh: 600,
            ...input,
          },
        },
        operatorKey,
      );
      return d.registerCluster.id;
    },
    async close() {
      await running.shutdown(5000);
      if (ownsSchema && schema) await dropSchema(DATABASE_URL!, schema);
    },
  };
  return app;
}

export const BOOKING_FIELDS = `id organizationId clusterId clusterName status startsAt endsAt hours pflops objective minGreenShare greenShare greenMwh gridMwh energyMwh powerMw idempotencyKey createdAt cancelledAt price { compute greenEnergy gridEnergy total }`;
