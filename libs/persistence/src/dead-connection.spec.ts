import { randomBytes } from 'node:crypto';
import { AddressInfo, createServer, Server, Socket, connect } from 'node:net';
import { DataSource } from 'typeorm';
import { databaseFailure, dropSchema, openDataSource } from './data-source';

const url = process.env.DATABASE_URL;
const onPostgres = url ? describe : describe.skip;

/** A TCP proxy to PostgreSQL that can cut its open connections silently (no FIN, no RST), as a partition does. */
function proxyTo(target: URL): Promise<{ server: Server; port: number; cut(): void; close(): void }> {
  const open: [Socket, Socket][] = [];
  const all: Socket[] = [];
  const server = createServer((client) => {
    const up = connect(Number(target.port || 5432), target.hostname);
    client.pipe(up).pipe(client);
    client.on('error', () => undefined);
    up.on('error', () => undefined);
    open.push([client, up]);
    all.push(client, up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        cut: () => {
          // stop forwarding on every open connection, without closing anything
          for (const [client, up] of open.splice(0)) {
            client.unpipe(up);
            up.unpipe(client);
            client.pause();
            up.pause();
          }
        },
        close: () => {
          for (const sock of all) sock.destroy();
          server.close();
        },
      }),
    ),
  );
}

onPostgres('a connection the server no longer answers on (PostgreSQL)', () => {
  const schema = `t_dead_${randomBytes(4).toString('hex')}`;
  let ds: DataSource;
  let proxy: Awaited<ReturnType<typeof proxyTo>>;
  beforeAll(async () => {
    const target = new URL(url!);
    proxy = await proxyTo(target);
    const via = new URL(url!);
    via.hostname = '127.0.0.1';
    via.port = String(proxy.port);
    ds = await openDataSource({ url: via.toString(), schema, statementTimeoutMs: 300, poolSize: 2 });
  }, 60_000);
  afterAll(async () => {
    proxy?.close();
    await ds?.destroy().catch(() => undefined);
    await dropSchema(url!, schema);
  });

  it('fails its query as unavailable after the statement timeout and a grace, and the pool goes on with a new connection', async () => {
    expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    proxy.cut();
    const t0 = Date.now();
    const e = await ds.query('SELECT 2 AS two').catch((err: unknown) => err);
    const waited = Date.now() - t0;
    expect(databaseFailure(e)).toBe('unavailable');
    // 300 ms statement timeout + 2 s grace, not the kernel's 15 minutes
    expect(waited).toBeGreaterThanOrEqual(2000);
    expect(waited).toBeLessThan(10_000);
    // new connections are forwarded again: the pool's other connection, cut too, fails the same
    // way once; then a fresh one answers
    let answer: unknown = null;
    for (let i = 0; i < 3 && answer === null; i++) {
      const r = await ds.query('SELECT 3 AS three').catch((err: unknown) => {
        expect(databaseFailure(err)).toBe('unavailable');
        return null;
      });
      answer = r;
    }
    expect(answer).toEqual([{ three: 3 }]);
  }, 40_000);
});
