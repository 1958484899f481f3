// One subscription over its own WebSocket, speaking the graphql-ws protocol directly (subprotocol
// "graphql-transport-ws"): connection_init with the API key, subscribe once acknowledged, pong to
// pings. The load scenarios (operator subscribers) and the fan-out run open theirs through it.
import WebSocket from 'ws';

export interface WsSubscriptionOptions {
  base: string;
  apiKey: string;
  query: string;
  variables?: Record<string, unknown>;
  /** how long to wait for connection_ack */
  ackTimeoutMs: number;
  /** each `next` payload (errors included) */
  next: (payload: { data?: Record<string, unknown>; errors?: unknown[] }) => void;
  /**
   * Messages above this many bytes go to `large` unparsed (the generator shares the machine with
   * the API: parsing thousands of 500 KB messages would compete with it); without it, all are parsed.
   */
  large?: { bytes: number; seen: (data: Buffer) => void };
  /** something went wrong: no ack, an `error` message, a socket error, a close nobody asked for */
  fail: (why: string) => void;
  /** true once the caller is closing the sockets itself */
  closing: () => boolean;
}

/**
 * Opens the socket; resolves once the subscription was sent (acknowledged) or could not be (`fail`
 * was told why).
 */
export function openWsSubscription(o: WsSubscriptionOptions): Promise<{ ws: WebSocket; acknowledged: boolean }> {
  const ws = new WebSocket(`${o.base.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  return new Promise((resolveWith) => {
    const resolve = (acknowledged: boolean) => resolveWith({ ws, acknowledged });
    const timer = setTimeout(() => {
      o.fail(`no connection_ack within ${o.ackTimeoutMs / 1000} s`);
      resolve(false);
    }, o.ackTimeoutMs);
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${o.apiKey}` } })),
    );
    ws.on('message', (data: Buffer) => {
      if (o.large && data.length > o.large.bytes) return o.large.seen(data);
      const m = JSON.parse(data.toString('utf8')) as {
        type: string;
        payload?: { data?: Record<string, unknown>; errors?: unknown[] };
      };
      if (m.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: o.query, variables: o.variables } }));
        clearTimeout(timer);
        resolve(true);
      } else if (m.type === 'next') o.next(m.payload ?? {});
      else if (m.type === 'error') o.fail(JSON.stringify(m.payload).slice(0, 200));
      else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
    });
    ws.on('error', (e) => {
      o.fail(e.message);
      clearTimeout(timer);
      resolve(false);
    });
    ws.on('close', (code, reason) => {
      if (!o.closing()) o.fail(`closed ${code} ${String(reason)}`);
      clearTimeout(timer);
      resolve(false);
    });
  });
}
