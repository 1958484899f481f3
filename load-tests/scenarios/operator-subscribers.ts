// Operators watching utilization live: W WebSocket connections speaking the graphql-ws protocol
// (subprotocol "graphql-transport-ws"), each subscribed to utilizationChanged for one cluster,
// held open while another scenario books. Counts connections acknowledged, events received and
// errors; the event latency is not measured (the events carry no send time).
import WebSocket from 'ws';
import { DOCS, type Org } from '../lib/api';
import { openWsSubscription } from '../lib/graphql-ws-client';

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
    const op = o.clusterOwners[i % o.clusterIds.length];
    ready.push(
      openWsSubscription({
        base: o.targets[i % o.targets.length],
        apiKey: op.apiKey,
        query: DOCS.utilizationChanged,
        variables: { clusterId: o.clusterIds[i % o.clusterIds.length] },
        ackTimeoutMs: 10_000,
        next: (p) => (p.errors ? fail(JSON.stringify(p.errors[0]).slice(0, 200)) : r.events++),
        fail,
        closing: () => closing,
      }).then(({ ws, acknowledged }) => {
        sockets.push(ws);
        if (acknowledged) {
          r.acknowledged++;
          r.subscribed++;
        }
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
