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
  let ran: string[] = [];
  const ds = await openDataSource(cfg, (names) => (ran = names));
  try {
    const all: { name: string }[] = await ds.query(`SELECT name FROM migrations ORDER BY id`);
    log.info(
      {
        database: cfg.url ? `postgresql${cfg.schema ? `:${cfg.schema}` : ''}` : `pglite:${cfg.dataDir}`,
        applied: ran,
        alreadyThere: all.length - ran.length,
      },
      ran.length ? `applied ${ran.length} migration(s)` : 'nothing to apply: the schema is up to date',
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
