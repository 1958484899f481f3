const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id is treated like an unknown one (callers throw their NOT_FOUND). */
export function isUuid(id: unknown): id is string {
  return typeof id === 'string' && UUID_RE.test(id);
}

/** An id as the database writes it: a UUID in lower case (clients may write either case); anything else as given. */
export function canonicalId(id: string): string {
  return isUuid(id) ? id.toLowerCase() : id;
}

/**
 * A client's list of cluster ids as one list of distinct canonical ids, in the client's order (a
 * repeat, in either case, counts at its first place), each with its index in the client's list
 * for error paths (`request.clusterIds[3]`).
 */
export function distinctIds(ids: readonly string[]): { id: string; index: number }[] {
  const seen = new Set<string>();
  const out: { id: string; index: number }[] = [];
  ids.forEach((raw, index) => {
    const id = canonicalId(raw);
    if (!seen.has(id)) out.push({ id, index });
    seen.add(id);
  });
  return out;
}

/** The index in the client's list `ids` of the cluster `id` (canonical), for an error path. */
export function clusterIndex(ids: readonly string[], id: string): number {
  return ids.findIndex((raw) => canonicalId(raw) === id);
}

/** The request with its cluster ids as distinctIds gives them: what its fingerprint and quote-log key are made of. */
export function withDistinctIds<T extends { clusterIds?: string[] | null }>(r: T): T {
  return r.clusterIds ? { ...r, clusterIds: distinctIds(r.clusterIds).map((x) => x.id) } : r;
}
