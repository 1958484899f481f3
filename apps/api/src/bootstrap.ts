import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { ServerOptions } from 'ws';
import { AppModule, rateLimiter } from './app.module';
import { GqlErrorFilter, sendHttpError } from './common/gql-exception.filter';
import { createLogger, PinoNestLogger } from './common/logger';
import { BoundaryValidationPipe } from './common/validation.pipe';
import { registerHttpHardening, webSocketOriginAllowed } from './security/http-hardening';
import { registerRateLimitGate } from './security/rate-limit.plugin';
import type { AppConfig } from './config';
import { DEMO_KEYS, DemoSeedService } from './seed/demo-seed.service';

/**
 * Largest request body accepted (GraphQL documents and variables), bytes: room for the largest
 * input the schema takes (a forecast of 2,232 hourly rows with long decimals is about 250 kB).
 */
export const BODY_LIMIT_BYTES = 512 * 1024;

/**
 * The WebSocket server of graphql-ws, which Nest creates without a way to pass options: its limits
 * are set on it here.
 * - Messages: ws accepts up to 100 MiB by default, which one anonymous connection could use to keep
 *   a process busy for seconds; the limit is a request body's. A larger message closes the socket (1009).
 * - Origin: a browser page of another origin than this server's and those of CORS_ORIGINS is
 *   refused at the upgrade (HTTP 403), as CORS refuses it over HTTP; no Origin (not a browser) passes.
 */
function hardenWebSocketServer(app: INestApplication, corsOrigins: readonly string[]): void {
  const driver = app.get(GraphQLModule, { strict: false }).graphQlAdapter as unknown as {
    _subscriptionService?: { wss?: { options: ServerOptions } };
  };
  const wss = driver._subscriptionService?.wss;
  if (!wss) throw new Error('graphql-ws server not found: cannot limit its messages and origins');
  wss.options.maxPayload = BODY_LIMIT_BYTES;
  // two parameters: ws then answers a refusal with the status given here
  wss.options.verifyClient = (info, done) =>
    webSocketOriginAllowed(info.origin, info.req.headers.host, corsOrigins)
      ? done(true)
      : done(false, 403, 'origin not allowed (CORS_ORIGINS)');
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
    // while shutting down, requests arriving on open connections get our own 503 (below), with
    // a GraphQL error body on /graphql, instead of Fastify's plain one
    return503OnClosing: false,
    ...(config.trustProxy ? { trustProxy: (_addr: string, hop: number) => hop < config.trustProxy! } : {}),
  });
  const limiter = rateLimiter(config);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, log, limiter), adapter, {
    logger: new PinoNestLogger(log),
    // a failure to start reaches the caller (main.ts says why and exits; tests see the error)
    abortOnError: false,
  });
  app.useGlobalPipes(new BoundaryValidationPipe());
  app.useGlobalFilters(new GqlErrorFilter(log));
  await registerHttpHardening(app, config.corsOrigins ?? []);

  let inFlight = 0;
  let idle: (() => void) | null = null;
  const fastify = app.getHttpAdapter().getInstance();
  const started = new WeakMap<object, bigint>();
  // request log: method, path, status, duration, GraphQL operation; never headers (API keys)
  let draining = false;
  fastify.addHook('onRequest', async (req, reply) => {
    started.set(req, process.hrtime.bigint());
    inFlight++;
    if (draining) {
      // retryable on another process; the client's connection is closed after this answer
      void reply.header('connection', 'close').header('retry-after', '1');
      return sendHttpError(
        reply,
        req.url,
        503,
        'this API process is shutting down; retry (another process will answer)',
        { retryable: true },
      );
    }
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
  // a request's first token, taken before its body is read (the rest once it has parsed; after
  // the request log's hook, so that refused requests are logged too)
  if (limiter) registerRateLimitGate(fastify, limiter);
  // errors before any route ran (body too large, malformed JSON) reach GqlErrorFilter through
  // Nest's Fastify error handler, installed by app.init()

  await app.init();
  hardenWebSocketServer(app, config.corsOrigins ?? []);
  const demoKeys = config.demoSeed ? await app.get(DemoSeedService).seed() : undefined;
  await app.listen(config.port, '0.0.0.0');
  const server = app.getHttpServer();
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;

  let closing: Promise<void> | null = null;
  const shutdown = (graceMs = 25_000) =>
    (closing ??= (async () => {
      log.info({ inFlight }, 'shutting down: draining in-flight requests');
      draining = true;
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
