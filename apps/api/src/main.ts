import 'reflect-metadata';
import { startFailure } from '@pflex/persistence';
import { startApp } from './bootstrap';
import { createLogger } from './common/logger';
import { AppConfig, configFromEnv } from './config';

async function main(): Promise<void> {
  let log: ReturnType<typeof createLogger>;
  let config: AppConfig;
  try {
    log = createLogger();
    config = configFromEnv();
  } catch (err) {
    // a setting out of range: its message says which and why; a stack trace would only hide it
    console.error(JSON.stringify({ level: 'fatal', msg: 'invalid configuration', err: (err as Error).message }));
    process.exit(1);
  }
  const running = await startApp(config, log);
  log.info(
    {
      url: running.url,
      graphql: `${running.url}/graphql`,
      database: config.persistence.url ? 'postgresql' : `pglite:${config.persistence.dataDir}`,
    },
    'pflex api listening',
  );
  if (running.demoKeys) {
    // development convenience only (never seeded with NODE_ENV=production): a banner on stderr,
    // never in the structured log, so stdout stays one JSON object per line and keys stay out of logs
    process.stderr.write(
      `\nDemo API keys (development only):\n  startup : ${running.demoKeys.startup}\n  operator: ${running.demoKeys.operator}\n  bureau  : ${running.demoKeys.bureau}\n\n`,
    );
  }
  // Our own SIGTERM/SIGINT handling instead of enableShutdownHooks(): Nest's hooks would run
  // app.close() right away, while we first stop accepting and drain in-flight requests.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      log.info({ signal: sig }, 'signal received');
      running.shutdown().then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  // a database that refuses us or stays unreachable, a data folder in use: one line naming the
  // setting, not a driver's stack (anything else is a bug: its stack is printed)
  const why = startFailure(err, process.env.DATABASE_URL);
  console.error(
    JSON.stringify({
      level: 'fatal',
      msg: 'failed to start',
      err: why ?? String((err as Error | undefined)?.stack ?? err),
    }),
  );
  process.exit(1);
});
