import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { GqlErrorFilter } from './common/gql-exception.filter';
import { createLogger, PinoNestLogger } from './common/logger';
import { BoundaryValidationPipe } from './common/validation.pipe';
import type { AppConfig } from './config';
import { DEMO_KEYS, DemoSeedService } from './seed/demo-seed.service';

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
  const app = await NestFactory.create(AppModule.forRoot(config, log), { logger: new PinoNestLogger(log), bodyParser: true });
  app.useGlobalPipes(new BoundaryValidationPipe());
  app.useGlobalFilters(new GqlErrorFilter(log));

  let inFlight = 0;
  let idle: (() => void) | null = null;
  // request log: method, path, status, duration, GraphQL operation; never headers (API keys)
  app.use((req: IncomingMessage & { body?: unknown; originalUrl?: string }, res: ServerResponse, next: () => void) => {
    const t0 = process.hrtime.bigint();
    inFlight++;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight--;
      if (inFlight === 0 && idle) idle();
      const body = req.body as { operationName?: unknown } | undefined;
      log.info(
        { method: req.method, path: (req.originalUrl ?? req.url ?? '').split('?')[0], status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6, operation: typeof body?.operationName === 'string' ? body.operationName : undefined },
        'request',
      );
    };
    res.on('finish', finish);
    res.on('close', finish);
    next();
  });

  await app.init();
  const demoKeys = config.demoSeed ? await app.get(DemoSeedService).seed() : undefined;
  await app.listen(config.port, '0.0.0.0');
  const server = app.getHttpServer() as Server;
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
