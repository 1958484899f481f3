import { createClient, Client } from 'graphql-ws';
import WebSocket from 'ws';
import { EventsService } from '../../src/events/events.service';
import type { TestApp } from './helpers';

export interface Received<T = any> {
  data: T[];
  errors: { message: string; extensions?: { code?: string; reason?: string } }[];
  completed: boolean;
  /** resolves with the data once `n` payloads arrived; rejects after `ms` */
  waitFor(n: number, ms?: number): Promise<T[]>;
  /** resolves once an error arrived */
  waitError(ms?: number): Promise<{ message: string; extensions?: { code?: string; reason?: string } }>;
  stop(): void;
}

/** A graphql-ws client on the app's /graphql, authenticated through connectionParams. */
export function wsClient(url: string, key?: string): Client {
  return createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key ? { authorization: `Bearer ${key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Subscribes and collects every payload; `field` picks the subscription field out of `data`. */
export function collect<T = any>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  field: string,
): Received<T> {
  const r: Received<T> = {
    data: [],
    errors: [],
    completed: false,
    waitFor: (n, ms = 10_000) =>
      until(
        () => r.data.length >= n || r.errors.length > 0,
        ms,
        () => `expected ${n} events, got ${r.data.length}: ${JSON.stringify(r.errors)}`,
      ).then(() => {
        if (r.errors.length) throw new Error(`subscription failed: ${JSON.stringify(r.errors)}`);
        return r.data;
      }),
    waitError: (ms = 10_000) =>
      until(
        () => r.errors.length > 0,
        ms,
        () => `expected an error, got ${JSON.stringify(r.data)}`,
      ).then(() => r.errors[0]),
    stop: () => undefined,
  };
  r.stop = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (v) => {
        if (v.errors?.length) r.errors.push(...(v.errors as Received['errors']));
        else if (v.data) r.data.push(v.data[field]);
      },
      error: (e) => r.errors.push(Array.isArray(e) ? e[0] : { message: String((e as Error)?.message ?? e) }),
      complete: () => (r.completed = true),
    },
  );
  return r;
}

export async function until(cond: () => boolean, ms: number, msg: () => string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${msg()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the app holds `n` subscriptions, so events published afterwards reach them. */
export async function subscribed(app: TestApp, n: number): Promise<void> {
  const events = app.running.app.get(EventsService);
  await until(
    () => events.subscriptions() >= n,
    10_000,
    () => `expected ${n} subscriptions, have ${events.subscriptions()}`,
  );
}

export const UTILIZATION_CHANGED = `subscription($c: ID!) { utilizationChanged(clusterId: $c) { clusterId hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw } }`;
export const BOOKING_EVENTS = `subscription($c: ID) { bookingEvents(clusterId: $c) { type booking { id organizationId clusterId status startsAt hours pflops } } }`;
export const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id startsAt hours pflops clusterId } }`;
