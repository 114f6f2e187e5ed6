// PostgreSQL SQLSTATE codes and node-postgres messages that the service handles.
const UNIQUE_VIOLATION = '23505';
const LOCK_NOT_AVAILABLE = '55P03';
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006']);
const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  // node-postgres, for a pooled connection that broke or closed, as when the database restarts during a gateway call.
  'and is not queryable',
];

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Tells whether a row with the same key was committed by another transaction. */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === UNIQUE_VIOLATION;
}

/** Tells whether a lock wait outlasted lock_timeout, usually behind a paused or partitioned replica. */
export function isLockNotAvailable(error: unknown): boolean {
  return sqlState(error) === LOCK_NOT_AVAILABLE;
}

/** Tells whether the database could not be reached, or every pooled connection stayed busy. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return UNAVAILABLE_CODES.has(sqlState(error) ?? '') || UNAVAILABLE_MESSAGES.some((known) => message.includes(known));
}
