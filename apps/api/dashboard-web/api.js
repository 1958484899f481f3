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
    // a key revoked while the page is open: the page says so wherever the refusal came from
    if (e.extensions?.code === 'UNAUTHENTICATED') document.dispatchEvent(new CustomEvent('pflex:unauthenticated'));
    throw new GqlError(e.message, e.extensions?.code, res.status, e.extensions ?? {});
  }
  return body.data;
}

/** Errors worth retrying with the same idempotency key: the request may or may not have landed. */
export const retryable = (e) =>
  ['NETWORK', 'HTTP', 'SERVICE_UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED'].includes(e.code) && e.status !== 400;

/**
 * Live updates for a page, with this tab's key: a graphql-ws client on which `subscribe(client,
 * fail)` registers the page's subscriptions (`fail(error)` gives the connection up: a reason, or
 * the errors a subscription ended with; one the server ended because events may have been missed,
 * SERVICE_UNAVAILABLE, is subscribed again after a second). Events sent
 * while the page was not connected are not replayed, so `reload()` re-queries what the page shows
 * whenever some may have been missed: after a reconnect, and on falling back to polling. While no
 * WebSocket can be used the page polls (`reload` every `pollMs`) and tries the WebSocket again
 * every `retryMs`; once it connects, polling stops. `onMode` hears 'subscription' when connected
 * and 'polling' (with the reason) when not. Returns a function that stops it all.
 */
export function startLive({ subscribe, reload, onMode, pollMs = 10_000, retryMs = 30_000 }) {
  const k = key;
  let createClient = null;
  let client = null;
  let pollTimer = null;
  let retryTimer = null;
  let stopped = false;
  const catchUp = () => Promise.resolve(reload()).catch(() => undefined);
  const poll = (why) => {
    onMode('polling', why);
    if (pollTimer) return;
    pollTimer = setInterval(catchUp, pollMs);
    catchUp();
  };
  const connect = async () => {
    if (stopped) return;
    if (!createClient) {
      try {
        ({ createClient } = await import('/assets/vendor/graphql-ws/client.js'));
      } catch {
        poll('graphql-ws client not available');
        return;
      }
    }
    let failed = false;
    let connectedBefore = false;
    const fail = (error) => {
      if (failed || stopped) return;
      failed = true;
      c.dispose();
      if (client === c) client = null;
      const e = Array.isArray(error) ? error[0] : error;
      poll(typeof e === 'string' ? e : e?.message || e?.reason || 'subscription error');
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, e?.extensions?.code === 'SERVICE_UNAVAILABLE' ? 1000 : retryMs);
    };
    const c = createClient({
      url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
      connectionParams: () => ({ authorization: `Bearer ${k}` }),
      retryAttempts: 2,
      lazy: false,
      onNonLazyError: (e) => fail(e?.reason || 'connection refused'),
      on: {
        connected: () => {
          if (failed || stopped) return;
          onMode('subscription');
          // a reconnect, or back from polling: events may have been missed meanwhile
          const missed = connectedBefore || pollTimer !== null;
          connectedBefore = true;
          clearInterval(pollTimer);
          pollTimer = null;
          if (missed) catchUp();
        },
      },
    });
    client = c;
    subscribe(c, fail);
  };
  connect();
  return () => {
    stopped = true;
    clearInterval(pollTimer);
    clearTimeout(retryTimer);
    client?.dispose();
  };
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
