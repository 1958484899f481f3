export * from './entities';
export { MIGRATIONS } from './migrations';
export {
  createDataSourceOptions,
  initializeDataSource,
  openDataSource,
  persistenceConfigFromEnv,
  permanentConnectError,
  startFailure,
  dropSchema,
  openScratchDataSource,
  pgErrorCode,
  databaseFailure,
  retryTransient,
  withSchemaLock,
} from './data-source';
export type { PersistenceConfig } from './data-source';
export { PG_ERROR, PG_CONNECTION_EXCEPTION_CLASS } from './pg-error-codes';
export { intEnv } from './env';
export { DataDirError, lockDataDir, LOCK_FILE } from './data-dir-lock';
export { pgliteDriver, pgliteOf } from './pglite-pool';
export { sqlPoolOf, dbStats } from './sql';
export type { SqlPool, SqlLease, SqlSession, SqlStatement } from './sql';
