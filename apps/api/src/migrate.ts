import 'reflect-metadata';
import { openDataSource, persistenceConfigFromEnv } from '@pflex/persistence';
import { createLogger } from './common/logger';

/**
 * Applies pending migrations and exits: the Kubernetes migrations Job and the compose `migrate`
 * service run this once per release, before the API replicas start (which would otherwise all
 * migrate at boot). `node dist/apps/api/src/migrate.js`
 */
async function main(): Promise<void> {
  const log = createLogger();
  const cfg = persistenceConfigFromEnv();
  const ds = await openDataSource(cfg);
  try {
    const applied: { name: string }[] = await ds.query(`SELECT name FROM migrations ORDER BY id`);
    log.info(
      { database: cfg.url ? 'postgresql' : `pglite:${cfg.dataDir}`, migrations: applied.map((r) => r.name) },
      'migrations applied',
    );
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(
    JSON.stringify({ level: 'fatal', msg: 'migration failed', err: String((err as Error | undefined)?.stack ?? err) }),
  );
  process.exit(1);
});
