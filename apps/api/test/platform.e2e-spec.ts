import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { ClusterEntity, GreenWindowEntity, OrganizationEntity } from '@pflex/persistence';
import { lexicographicSortSchema, parse, printSchema, validate } from 'graphql';
import { DataSource } from 'typeorm';
import { depthLimitRule } from '../src/common/query-limits';
import { DemoSeedService } from '../src/seed/demo-seed.service';
import { collect, wsClient } from './support/events-helpers';
import { bootTestApp, hour, TestApp } from './support/helpers';

const SCHEMA_FILE = join(__dirname, '..', 'schema.graphql');

describe('platform: health, limits, schema, demo seed, graceful shutdown', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ config: { demoSeed: true } });
  }, 90_000);
  afterAll(() => t?.close());

  it('GET /health reports liveness and database readiness without a key', async () => {
    const res = await fetch(`${t.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', live: true, database: 'up' });
  });

  it('the committed schema.graphql matches the generated schema (UPDATE_SCHEMA=1 rewrites it)', () => {
    const generated = printSchema(lexicographicSortSchema(t.running.app.get(GraphQLSchemaHost).schema)) + '\n';
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(SCHEMA_FILE, generated);
    expect(generated).toBe(readFileSync(SCHEMA_FILE, 'utf8'));
  });

  it('limits query depth and cost', async () => {
    const deep = await t.gql(`{ bookings { edges { node { price { total } } } pageInfo { endCursor } } me { id } }`);
    expect(deep.errors).toBeUndefined();
    const withFragment = await t.gql(
      `fragment F on Query { me { id } } query { ...F bookings { edges { node { price { total } } } } }`,
    );
    expect(withFragment.errors).toBeUndefined();
    const limited = bootlessDepth(t, 'query { bookings { edges { node { price { total } } } } }', 3);
    expect(limited).toMatch(/depth 5 exceeds the limit of 3/);
    const fields =
      'id status startsAt endsAt hours pflops greenShare greenMwh gridMwh energyMwh powerMw clusterId clusterName objective createdAt idempotencyKey organizationId price { compute greenEnergy gridEnergy total }';
    // each alias costs 1 + 100 x 24 = 2401: two fit under 5000, three do not
    const two = await t.gql(
      `{ a: bookings(first: 100) { edges { node { ${fields} } } } b: bookings(first: 100) { edges { node { ${fields} } } } }`,
    );
    expect(two.errors).toBeUndefined();
    const costly = await t.gql(
      `{ a: bookings(first: 100) { edges { node { ${fields} } } } b: bookings(first: 100) { edges { node { ${fields} } } } c: bookings(first: 100) { edges { node { ${fields} } } } }`,
    );
    expect(costly.status).toBe(400);
    expect(costly.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(costly.errors?.[0].message).toMatch(/query cost \d+ exceeds the limit of 5000/);
    // utilization costs one row per hour of its range: a month of all 6 fields fits (4465), a second copy does not
    const c = (await t.ok(`{ clusters(first: 1) { edges { node { id } } } }`)).clusters.edges[0].node.id;
    const U = `query($c: ID!, $f: DateTime!, $t: DateTime!) { utilization(clusterId: $c, from: $f, to: $t) { hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw } }`;
    expect((await t.gql(U, { c, f: hour(1), t: hour(745) })).errors).toBeUndefined();
    const month = await t.gql(
      `query($c: ID!, $f: DateTime!, $t: DateTime!) { a: utilization(clusterId: $c, from: $f, to: $t) { hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw } b: utilization(clusterId: $c, from: $f, to: $t) { hour } }`,
      { c, f: hour(1), t: hour(745) },
    );
    expect(month.errors?.[0].message).toMatch(/query cost \d+ exceeds/);
  });

  it('costs kpis by its range and quotes by the request window, so aliased long ranges cannot stall the server', async () => {
    const K = (n: number) =>
      `query($f: DateTime!, $t: DateTime!) { ${Array.from({ length: n }, (_, i) => `k${i}: kpis(from: $f, to: $t) { bookings utilization }`).join(' ')} }`;
    // a year of KPIs costs 1 + 2 + 8,760 / 2 = 4,383: one fits, two do not; a month costs 375
    const year = { f: hour(1), t: hour(8761) };
    expect((await t.gql(K(1), year)).errors).toBeUndefined();
    const two = await t.gql(K(2), year);
    expect(two.status).toBe(400);
    expect(two.errors?.[0].message).toBe(
      'query cost 8766 exceeds the limit of 5000; ask for fewer items (first) or fewer fields',
    );
    expect((await t.gql(K(13), { f: hour(1), t: hour(745) })).errors).toBeUndefined();
    // quotes: 1 + its fields + one per day of the window; 300 quotes over 59 days do not fit, one does
    const Q = (n: number) =>
      `query($r: ComputeRequestInput!) { ${Array.from({ length: n }, (_, i) => `q${i}: quotes(request: $r) { objective available }`).join(' ')} }`;
    const r = { pflops: 1, hours: 100, earliestStart: hour(1), deadline: hour(1 + 59 * 24) };
    const startup = t.running.demoKeys!.startup;
    expect((await t.gql(Q(1), { r }, startup)).errors).toBeUndefined();
    const many = await t.gql(Q(300), { r }, startup);
    expect(many.status).toBe(400);
    expect(many.errors?.[0].message).toMatch(/query cost \d+ exceeds the limit of 5000/);
    // a day's window costs 4: many quotes of ordinary requests still fit
    expect((await t.gql(Q(300), { r: { ...r, deadline: hour(101) } }, startup)).errors).toBeUndefined();
  }, 60_000);

  it("a supply revision's hours, bookings and short hours count the rows they serve against the limit, over HTTP and WebSocket", async () => {
    const op = t.running.demoKeys!.operator;
    const c = await t.registerCluster(op, { capacityPflops: 100 });
    await t.ok(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { reviseGreenSupply(clusterId: $c, from: $f, to: $t, megawatts: 1, reason: "a month", pricePerMwh: 10) { id } }`,
      { c, f: hour(1), t: hour(745) },
      op,
    );
    const R = (n: number) =>
      `query($c: ID!, $f: DateTime!, $t: DateTime!) { ${Array.from({ length: n }, (_, i) => `r${i}: greenRevisions(clusterId: $c, from: $f, to: $t, first: 1) { id hours { hour } }`).join(' ')} }`;
    const vars = { c, f: hour(1), t: hour(745) };
    // the estimate counts each list as one item: six copies of 744 hours (4,464 rows) are served,
    // seven (5,208) are refused
    const six = await t.gql(R(6), vars, op);
    expect(six.errors).toBeUndefined();
    expect(six.data.r5[0].hours).toHaveLength(744);
    const seven = await t.gql(R(7), vars, op);
    expect(seven.data).toBeNull();
    expect(seven.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(seven.errors?.[0].message).toMatch(
      /^query cost: the lists of GreenRevision\.hours and the like come to 5208 rows in this request, more than the limit of 5000/,
    );
    // a revision without its hours costs nothing more
    expect((await t.gql(R(7).replaceAll('hours { hour }', 'reason'), vars, op)).errors).toBeUndefined();
    const ws = wsClient(t.url, op);
    try {
      const e = await collect(ws, R(7), vars, 'r0').waitError();
      expect(e.message).toMatch(/^query cost: the lists of GreenRevision\.hours/);
    } finally {
      await ws.dispose();
    }
  }, 60_000);

  it('never leaks internals in errors', async () => {
    const r = await t.gql(`{ nope }`);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r)).not.toMatch(/stacktrace|node_modules|SELECT/i);
  });

  it('seeds the demo data once: Zhuhai 2,100 PFLOPS with solar and wind, Haizhu clusters, working demo keys', async () => {
    const keys = t.running.demoKeys!;
    expect((await t.ok(`{ me { role } }`, {}, keys.startup)).me.role).toBe('STARTUP');
    expect((await t.ok(`{ me { role } }`, {}, keys.operator)).me.role).toBe('OPERATOR');
    const clusters = (
      await t.ok(`{ clusters { edges { node { id name region capacityPflops } } } }`, {}, keys.startup)
    ).clusters.edges.map((e: any) => e.node);
    const zhuhai = clusters.find((c: any) => c.region === 'Zhuhai Hengqin');
    expect(zhuhai.capacityPflops).toBe(2100);
    expect(clusters.filter((c: any) => c.region === 'Guangzhou Haizhu').length).toBeGreaterThanOrEqual(2);
    const windows = (
      await t.ok(
        `query($c: ID!, $f: DateTime!, $t: DateTime!) { greenWindows(clusterId: $c, from: $f, to: $t, first: 500) { source } }`,
        { c: zhuhai.id, f: hour(0), t: hour(24 * 28) },
        keys.startup,
      )
    ).greenWindows;
    expect(new Set(windows.map((w: any) => w.source))).toEqual(new Set(['SOLAR', 'WIND']));
    // a first booking with the demo key, as in the README
    const b = (
      await t.ok(
        `mutation($r: ComputeRequestInput!) { bookCompute(request: $r, objective: GREENEST, idempotencyKey: "readme-1") { id status clusterName greenShare } }`,
        { r: { pflops: 100, hours: 4, earliestStart: hour(2), deadline: hour(48), clusterIds: [zhuhai.id] } },
        keys.startup,
      )
    ).bookCompute;
    expect(b.status).toBe('CONFIRMED');
    expect(b.greenShare).toBeGreaterThan(0);
    const ds = t.running.app.get(DataSource);
    const counts = async () => [
      await ds.manager.count(OrganizationEntity),
      await ds.manager.count(ClusterEntity),
      await ds.manager.count(GreenWindowEntity),
    ];
    const before = await counts();
    await t.running.app.get(DemoSeedService).seed();
    expect(await counts()).toEqual(before);
  });

  it('seeds the grid site on a database seeded before it existed, whose hubs already draw more than the reservation', async () => {
    const keys = t.running.demoKeys!;
    const SITES = `{ sites { id name clusterIds } }`;
    const [site] = (await t.ok(SITES, {}, keys.operator)).sites;
    // the database as an older demo left it: the hubs on no site
    for (const c of site.clusterIds)
      await t.ok(`mutation($c: ID!) { setClusterSite(clusterId: $c, siteId: null) { id } }`, { c }, keys.operator);
    const ds = t.running.app.get(DataSource);
    await ds.query(`DELETE FROM site_hours WHERE site_id = $1`, [site.id]);
    await ds.query(`DELETE FROM sites WHERE id = $1`, [site.id]);
    // 320 + 180 PFLOPS in hours without green (solar 01-09, wind 14-22 UTC): 4.891 MW of grid
    const day = Math.floor(Date.parse(hour(0)) / 86_400_000) * 86_400_000 + 2 * 86_400_000;
    const at = (h: number) => new Date(day + h * 3_600_000).toISOString();
    for (const [c, pflops] of [
      [site.clusterIds[0], 320],
      [site.clusterIds[1], 180],
    ])
      await t.ok(
        `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id } }`,
        { r: { pflops, hours: 3, earliestStart: at(10), deadline: at(13), clusterIds: [c] }, k: `old-demo-${c}` },
        keys.startup,
      );
    // a start seeds the site: the reservation begins when those bookings have ended
    await t.running.app.get(DemoSeedService).seed();
    const [seeded] = (await t.ok(SITES, {}, keys.operator)).sites;
    expect(seeded).toMatchObject({ name: site.name, clusterIds: site.clusterIds });
    const grid = (
      await t.ok(
        `query($s: ID!, $f: DateTime!, $t: DateTime!) { siteGrid(siteId: $s, from: $f, to: $t) { drawnMw reservedMw } }`,
        { s: seeded.id, f: at(10), t: at(15) },
        keys.operator,
      )
    ).siteGrid;
    expect(grid.map((g: any) => g.reservedMw)).toEqual([null, null, null, 3.5, 3.5]);
    expect(grid[0].drawnMw).toBeGreaterThan(3.5);
  });

  it('on shutdown it stops accepting, finishes in-flight requests, then closes the database', async () => {
    const body = JSON.stringify({ query: '{ me { role } }' });
    const { port } = new URL(t.url);
    const head = `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nauthorization: Bearer ${t.bureauKey}\r\n\r\n`;
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(head + body.slice(0, 5)); // the request is in flight: headers sent, body incomplete
    await new Promise((r) => setTimeout(r, 100));
    let closed = false;
    const shutdown = t.running.shutdown(10_000).then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    await expect(fetch(`${t.url}/health`)).rejects.toThrow();
    // the in-flight request completes; a second one on the same connection (pipelined) is told
    // to go elsewhere, with a GraphQL error body (retryable), and the connection is closed
    socket.write(body.slice(5) + head + body);
    await ended;
    await shutdown;
    const [first, second] = text.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(
      JSON.parse(first.slice(first.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '')).data.me.role,
    ).toBe('BUREAU');
    expect(second).toMatch(/^HTTP\/1\.1 503/);
    expect(second.toLowerCase()).toContain('connection: close');
    const err = JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4));
    expect(err.errors[0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(second.toLowerCase()).toContain('retry-after: 1');
    expect(err.errors[0].message).toMatch(/shutting down; retry/);
    expect(t.running.app.get(DataSource).isInitialized).toBe(false);
  });
});

/** Depth limit with a low limit: a second app would cost a boot, so check the rule directly. */
function bootlessDepth(t: TestApp, query: string, max: number): string {
  const schema = t.running.app.get(GraphQLSchemaHost).schema;
  return validate(schema, parse(query), [depthLimitRule(max)])
    .map((e) => e.message)
    .join('\n');
}
