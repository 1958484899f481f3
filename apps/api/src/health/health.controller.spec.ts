import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { HealthController } from './health.controller';

/** The part of a Fastify reply the controller uses: status(code).send(body). */
function fakeRes() {
  const out: { status?: number; body?: unknown } = {};
  const res = { status: (s: number) => ((out.status = s), { send: async (b: unknown) => (out.body = b) }) };
  return { out, res: res as unknown as FastifyReply };
}

describe('HealthController', () => {
  it('200 when SELECT 1 answers', async () => {
    const { out, res } = fakeRes();
    await new HealthController({
      isInitialized: true,
      query: async () => [{ '?column?': 1 }],
    } as unknown as DataSource).health(res);
    expect(out).toEqual({ status: 200, body: { status: 'ok', live: true, database: 'up' } });
  });

  it('503 when the database fails or is closed', async () => {
    const failing = fakeRes();
    await new HealthController({
      isInitialized: true,
      query: async () => Promise.reject(new Error('connection refused')),
    } as unknown as DataSource).health(failing.res);
    expect(failing.out).toEqual({ status: 503, body: { status: 'unavailable', live: true, database: 'down' } });
    const closed = fakeRes();
    await new HealthController({ isInitialized: false } as unknown as DataSource).health(closed.res);
    expect(closed.out.status).toBe(503);
  });

  it('/health/live answers 200 whatever the database (the liveness probe)', async () => {
    const { out, res } = fakeRes();
    await new HealthController({ isInitialized: false } as unknown as DataSource).live(res);
    expect(out).toEqual({ status: 200, body: { status: 'ok', live: true } });
  });

  it('PGlite (in this process, one session): up while open, without a query that would wait behind a long transaction', async () => {
    const { out, res } = fakeRes();
    await new HealthController({
      isInitialized: true,
      options: { driver: {} },
      query: () => new Promise(() => undefined),
    } as unknown as DataSource).health(res);
    expect(out).toEqual({ status: 200, body: { status: 'ok', live: true, database: 'up' } });
  });
});
