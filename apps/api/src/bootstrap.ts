import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { GqlErrorFilter } from './common/gql-exception.filter';
import { createLogger, PinoNestLogger } from './common/logger';
import { BoundaryValidationPipe } from './common/validation.pipe';
import { registerHttpHardening } from './security/http-hardening';
import type { AppConfig } from './config';
import { DEMO_KEYS, DemoSeedService } from './seed/demo-seed.service';

/**
 * Largest request body accepted (GraphQL documents and variables), bytes: room for the largest
 * input the schema takes (a forecast of 2,232 hourly rows with long decimals is about 250 kB).
 */
export const BODY_LIMIT_BYTES = 512 * 1024;

/**
 * The WebSocket server of graphql-ws accepts messages of up to 100 MiB by default (the ws
 * library's), which one anonymous connection could use to keep a process busy for seconds. Nest
 * creates that server without a way to pass options, so the limit is set on it here: the same
 * as a request body. A larger message closes the socket (code 1009).
 */
function limitWebSocketMessages(app: INestApplication): void {
  const driver = app.get(GraphQLModule, { strict: false }).graphQlAdapter as unknown as {
    _subscriptionService?: { wss?: { options: { maxPayload?: number } } };
  };
  const wss = driver._subscriptionService?.wss;
  if (!wss) throw new Error('graphql-ws server not found: cannot limit its message size');
  wss.options.maxPayload = BODY_LIMIT_BYTES;
}

export interface RunningApp {
  app: INestApplication;
  url: string;
  log: Logger;
  demoKeys?: typeof DEMO_KEYS;
  /** Stops accepting connections, waits for in-flight requests (up to graceMs), then closes the app and the database. */
  shutdown(graceMs?: number): Promise<void>;
}

/** Builds, seeds (if configured) and starts the API; used by main.ts and the e2e tests. */
export async function startApp(config: AppConfig, log: Logger = createLogger()): Promise<RunningApp> {
  // Fastify: measured 2.2x the trivial-query throughput of Express on this app (docs/benchmarks.md)
  // trustProxy: the client address (per-address rate limits) from X-Forwarded-For behind that many proxies
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    ...(config.trustProxy ? { trustProxy: (_addr: string, hop: number) => hop < config.trustProxy! } : {}),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, log), adapter, {
    logger: new PinoNestLogger(log),
  });
  app.useGlobalPipes(new BoundaryValidationPipe());
  app.useGlobalFilters(new GqlErrorFilter(log));
  await registerHttpHardening(app, config.corsOrigins ?? []);

  let inFlight = 0;
  let idle: (() => void) | null = null;
  const fastify = app.getHttpAdapter().getInstance();
  const started = new WeakMap<object, bigint>();
  // request log: method, path, status, duration, GraphQL operation; never headers (API keys)
  fastify.addHook('onRequest', async (req) => {
    started.set(req, process.hrtime.bigint());
    inFlight++;
  });
  const finish = (req: { method: string; url: string; body?: unknown }, status: number) => {
    const t0 = started.get(req);
    if (t0 === undefined) return;
    started.delete(req);
    inFlight--;
    if (inFlight === 0 && idle) idle();
    if (!log.isLevelEnabled('info')) return;
    const body = req.body as { operationName?: unknown } | undefined;
    log.info(
      {
        method: req.method,
        path: req.url.split('?')[0],
        status,
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
        operation: typeof body?.operationName === 'string' ? body.operationName : undefined,
      },
      'request',
    );
  };
  fastify.addHook('onResponse', async (req, reply) => finish(req, reply.statusCode));
  fastify.addHook('onRequestAbort', async (req) => finish(req, 499));
  // errors before any route ran (body too large, malformed JSON) reach GqlErrorFilter through
  // Nest's Fastify error handler, installed by app.init()

  await app.init();
  limitWebSocketMessages(app);
  const demoKeys = config.demoSeed ? await app.get(DemoSeedService).seed() : undefined;
  await app.listen(config.port, '0.0.0.0');
  const server = app.getHttpServer();
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;

  let closing: Promise<void> | null = null;
  const shutdown = (graceMs = 25_000) =>
    (closing ??= (async () => {
      log.info({ inFlight }, 'shutting down: draining in-flight requests');
      server.close();
      server.closeIdleConnections?.();
      if (inFlight > 0) {
        await Promise.race([new Promise<void>((r) => (idle = r)), new Promise((r) => setTimeout(r, graceMs).unref())]);
      }
      await app.close();
      log.info('shut down');
    })());

  return { app, url: `http://127.0.0.1:${port}`, log, demoKeys, shutdown };
}
