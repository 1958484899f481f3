const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id is treated like an unknown one (callers throw their NOT_FOUND). */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID_RE.test(id);
}

/** An id as the database writes it: a UUID in lower case (clients may write either case); anything else as given. */
export function canonicalId(id: string): string {
  return isUuid(id) ? id.toLowerCase() : id;
}
