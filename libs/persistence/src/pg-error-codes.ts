/**
 * PostgreSQL error codes (SQLSTATE, https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * that pflex acts on, by name. Compare with `pgErrorCode(e)`.
 */
export const PG_ERROR = {
  /** a CHECK constraint refused the row: the ledger's capacity and green limits */
  CHECK_VIOLATION: '23514',
  UNIQUE_VIOLATION: '23505',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  /** statement_timeout */
  QUERY_CANCELED: '57014',
  /** lock_timeout */
  LOCK_NOT_AVAILABLE: '55P03',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
  /** the server ended a session idle in a transaction too long (a frozen or stalled client) */
  IDLE_IN_TRANSACTION_TIMEOUT: '25P03',
  /** the server ended a session idle too long */
  IDLE_SESSION_TIMEOUT: '57P05',
  /** at connect: the password was refused, the role or the database does not exist */
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  INVALID_CATALOG_NAME: '3D000',
} as const;

/** Class 08: connection exceptions. */
export const PG_CONNECTION_EXCEPTION_CLASS = '08';
