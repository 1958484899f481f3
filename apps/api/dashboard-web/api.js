// The console's GraphQL client: POST /graphql with the API key of this tab (sessionStorage only),
// and one graphql-ws client for live events.

const KEY_STORAGE = 'pflex.apiKey';
let key = null;

export class GqlError extends Error {
  constructor(message, code, status, extensions = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.extensions = extensions;
  }
}

export function setKey(k) {
  key = k;
  if (k) sessionStorage.setItem(KEY_STORAGE, k);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export const savedKey = () => sessionStorage.getItem(KEY_STORAGE);
export const currentKey = () => key;

export async function gql(query, variables) {
  let res;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (e) {
    throw new GqlError(`the server could not be reached (${e.message})`, 'NETWORK', 0);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new GqlError(`the server answered HTTP ${res.status}`, 'HTTP', res.status);
  }
  if (body.errors?.length) {
    const e = body.errors[0];
    throw new GqlError(e.message, e.extensions?.code, res.status, e.extensions ?? {});
  }
  return body.data;
}

/** Errors worth retrying with the same idempotency key: the request may or may not have landed. */
export const retryable = (e) =>
  ['NETWORK', 'HTTP', 'SERVICE_UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED'].includes(e.code) && e.status !== 400;

/**
 * A graphql-ws client for this key, or null when the client cannot be loaded; `onMode` hears
 * 'subscription' when connected and 'polling' (with a reason) when no WebSocket can be used.
 */
export async function liveClient(onMode) {
  let createClient;
  try {
    ({ createClient } = await import('/assets/vendor/graphql-ws/client.js'));
  } catch {
    onMode('polling', 'graphql-ws client not available');
    return null;
  }
  const k = key;
  let failed = false;
  const client = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${k}` }),
    retryAttempts: 2,
    lazy: false,
    onNonLazyError: (e) => {
      failed = true;
      onMode('polling', e?.reason || 'connection refused');
    },
    on: { connected: () => !failed && onMode('subscription') },
  });
  return client;
}

/** At most this many of a list are loaded (page after page); beyond it the table says so. */
export const LIST_CAP = 1000;

/** Every node of a connection, page after page, up to LIST_CAP; `more` says whether some were left. */
export async function allNodes(query, vars, pick) {
  const nodes = [];
  let after = null;
  for (;;) {
    const c = pick(await gql(query, { ...vars, a: after }));
    nodes.push(...c.edges.map((e) => e.node));
    if (!c.pageInfo.hasNextPage) return { nodes, more: false };
    if (nodes.length >= LIST_CAP) return { nodes, more: true };
    after = c.pageInfo.endCursor;
  }
}
