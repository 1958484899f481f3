// Operators watching utilization live: W WebSocket connections speaking the graphql-ws protocol
// (subprotocol "graphql-transport-ws"), each subscribed to utilizationChanged for one cluster,
// held open while another scenario books. Counts connections acknowledged, events received and
// errors; the event latency is not measured (the events carry no send time).
import WebSocket from 'ws';
import { DOCS, type Org } from '../lib/api';

export interface SubscriberOptions {
  targets: string[];
  clusterIds: string[];
  /** The operator that owns each cluster, parallel to clusterIds. */
  clusterOwners: Org[];
  connections: number;
}

export interface SubscriberResult {
  connections: number;
  acknowledged: number;
  subscribed: number;
  events: number;
  errors: number;
  errorSamples: string[];
}

/** Opens the subscribers; call the returned stop() to close them and read the counts. */
export async function openSubscribers(o: SubscriberOptions): Promise<() => Promise<SubscriberResult>> {
  const r: SubscriberResult = {
    connections: o.connections,
    acknowledged: 0,
    subscribed: 0,
    events: 0,
    errors: 0,
    errorSamples: [],
  };
  const fail = (m: string) => {
    r.errors++;
    if (r.errorSamples.length < 5) r.errorSamples.push(m);
  };
  const sockets: WebSocket[] = [];
  let closing = false;
  const ready: Promise<void>[] = [];
  for (let i = 0; i < o.connections; i++) {
    const base = o.targets[i % o.targets.length].replace(/^http/, 'ws');
    const op = o.clusterOwners[i % o.clusterIds.length];
    const ws = new WebSocket(`${base}/graphql`, 'graphql-transport-ws');
    sockets.push(ws);
    ready.push(
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          fail('no connection_ack within 10 s');
          resolve();
        }, 10_000);
        ws.on('open', () =>
          ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${op.apiKey}` } })),
        );
        ws.on('message', (data) => {
          const m = JSON.parse((data as Buffer).toString('utf8'));
          if (m.type === 'connection_ack') {
            r.acknowledged++;
            ws.send(
              JSON.stringify({
                id: '1',
                type: 'subscribe',
                payload: {
                  query: DOCS.utilizationChanged,
                  variables: { clusterId: o.clusterIds[i % o.clusterIds.length] },
                },
              }),
            );
            r.subscribed++;
            clearTimeout(timer);
            resolve();
          } else if (m.type === 'next') {
            if (m.payload?.errors) fail(JSON.stringify(m.payload.errors[0]).slice(0, 200));
            else r.events++;
          } else if (m.type === 'error') {
            fail(JSON.stringify(m.payload).slice(0, 200));
          } else if (m.type === 'ping') {
            ws.send(JSON.stringify({ type: 'pong' }));
          }
        });
        ws.on('error', (e) => {
          fail(e.message);
          clearTimeout(timer);
          resolve();
        });
        ws.on('close', (code, reason) => {
          if (!closing) fail(`closed ${code} ${String(reason)}`);
          clearTimeout(timer);
          resolve();
        });
      }),
    );
  }
  await Promise.all(ready);
  return async () => {
    closing = true;
    for (const ws of sockets) {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ id: '1', type: 'complete' }));
      ws.close(1000);
    }
    return r;
  };
}
