/**
 * The request fingerprint: a booking stores it to recognise a replayed idempotency key with a
 * different request, and the quote log keys first quotes by its request part, which SQL rebuilds
 * from a booking row with {@link REQUEST_KEY_JSONPATH}.
 */

/** The request as the API receives it (dates as Date). */
export interface FingerprintRequest {
  pflops: number;
  hours: number;
  earliestStart?: Date;
  deadline?: Date;
  clusterIds?: string[] | null;
  minGreenShare?: number | null;
}

function requestElements(r: FingerprintRequest): unknown[] {
  return [
    r.pflops,
    r.hours,
    r.earliestStart?.toISOString?.(),
    r.deadline?.toISOString?.(),
    r.clusterIds ?? null,
    r.minGreenShare ?? null,
  ];
}

/** How many leading elements of a fingerprint are the request (the objective follows). */
export const REQUEST_KEY_ELEMENTS = requestElements({ pflops: 0, hours: 0 }).length;

/** jsonpath selecting the request part of a fingerprint (`jsonb_path_query_array(fp::jsonb, ...)`). */
export const REQUEST_KEY_JSONPATH = `$[0 to ${REQUEST_KEY_ELEMENTS - 1}]`;

/** The request part alone, as JSON: the quote log's key. */
export function requestKey(r: FingerprintRequest): string {
  return JSON.stringify(requestElements(r));
}

/** The request and its objective, as JSON: stored with a booking. */
export function requestFingerprint(r: FingerprintRequest, objective: string): string {
  return JSON.stringify([...requestElements(r), objective]);
}
