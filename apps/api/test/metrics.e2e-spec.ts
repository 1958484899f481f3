import { bootTestApp, hour, TestApp } from './support/helpers';

/** Prometheus text format -> { 'name{labels}': value } (labels as printed, in prom-client's order). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe(`GET /metrics (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let app: TestApp;
  let op: { id: string; key: string };
  let startup: { id: string; key: string };
  let cluster: string;
  const scrape = async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await res.text());
  };
  const BOOK = `mutation($r: ComputeRequestInput!, $k: String!) { bookCompute(request: $r, objective: EARLIEST, idempotencyKey: $k) { id } }`;

  beforeAll(async () => {
    app = await bootTestApp();
    op = await app.createOrg('OPERATOR');
    startup = await app.createOrg('STARTUP');
    cluster = await app.registerCluster(op.key, { capacityPflops: 100 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
  });

  it('counts bookings confirmed and refused by reason, requests per operation, scheduler decisions', async () => {
    const before = await scrape();
    const get = (m: Map<string, number>, k: string) => m.get(k) ?? 0;
    // this hour, so the current-hour gauges see it: 25 of 100 PFLOPS
    await app.ok(
      BOOK,
      { r: { pflops: 25, hours: 2, earliestStart: hour(0), deadline: hour(2), clusterIds: [cluster] }, k: 'm1' },
      startup.key,
    );
    expect(
      (
        await app.code(
          BOOK,
          { r: { pflops: 500, hours: 1, earliestStart: hour(3), deadline: hour(4), clusterIds: [cluster] }, k: 'm2' },
          startup.key,
        )
      ).code,
    ).toBe('NO_CAPACITY');
    await app.ok(
      `query($r: ComputeRequestInput!) { quotes(request: $r) { available } }`,
      { r: { pflops: 1, hours: 1, earliestStart: hour(3), deadline: hour(4) } },
      startup.key,
    );
    await app.gql(`{ noSuchField }`, {}, startup.key);

    // the invalid document never becomes an operation: fixed labels, whatever the client sent
    // the confirmed count follows the commit notification; give it a moment
    let after = await scrape();
    for (
      let i = 0;
      i < 100 &&
      get(after, 'pflex_bookings_total{outcome="confirmed",reason=""}') ===
        get(before, 'pflex_bookings_total{outcome="confirmed",reason=""}');
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
      after = await scrape();
    }
    const delta = (k: string) => get(after, k) - get(before, k);
    expect(delta('pflex_bookings_total{outcome="confirmed",reason=""}')).toBe(1);
    expect(delta('pflex_bookings_total{outcome="refused",reason="NO_CAPACITY"}')).toBe(1);
    expect(delta('pflex_graphql_requests_total{operation="bookCompute",type="mutation",outcome="ok"}')).toBe(1);
    expect(delta('pflex_graphql_requests_total{operation="bookCompute",type="mutation",outcome="error"}')).toBe(1);
    expect(delta('pflex_graphql_requests_total{operation="quotes",type="query",outcome="ok"}')).toBe(1);
    expect(delta('pflex_graphql_requests_total{operation="invalid",type="unknown",outcome="error"}')).toBe(1);
    expect(delta('pflex_graphql_request_duration_seconds_count{operation="bookCompute",type="mutation"}')).toBe(2);
    expect(delta('pflex_scheduler_decision_seconds_count{kind="place"}')).toBe(2);
    expect(delta('pflex_scheduler_decision_seconds_count{kind="quote"}')).toBe(1);
    expect(get(after, `pflex_cluster_utilization_ratio{cluster_id="${cluster}",region="Zhuhai"}`)).toBeCloseTo(
      0.25,
      12,
    );
    expect(get(after, `pflex_cluster_booked_pflops{cluster_id="${cluster}",region="Zhuhai"}`)).toBe(25);
    expect(get(after, `pflex_cluster_capacity_pflops{cluster_id="${cluster}",region="Zhuhai"}`)).toBe(100);
    expect(after.has(`pflex_cluster_green_share_ratio{cluster_id="${cluster}",region="Zhuhai"}`)).toBe(true);
    expect(after.has('pflex_process_cpu_seconds_total')).toBe(true);
    // nothing is being sent to subscribers now
    expect(get(after, 'pflex_live_hours_in_flight')).toBe(0);
    expect(get(after, 'pflex_live_deliveries_waiting')).toBe(0);
  });

  it('reports the green share of the current hour per cluster', async () => {
    const c2 = await app.registerCluster(op.key, { capacityPflops: 10, kwPerPflops: 10, pue: 1 });
    // 10 PFLOPS draw 100 kW; 0.05 MW green in this hour -> share 0.5
    await app.ok(
      `mutation($c: ID!, $f: DateTime!, $t: DateTime!) { addGreenWindow(clusterId: $c, startsAt: $f, endsAt: $t, megawatts: 0.05, source: WIND, pricePerMwh: 100) { id } }`,
      { c: c2, f: hour(0), t: hour(1) },
      op.key,
    );
    await app.ok(
      BOOK,
      { r: { pflops: 10, hours: 1, earliestStart: hour(0), deadline: hour(1), clusterIds: [c2] }, k: 'g1' },
      startup.key,
    );
    const m = await scrape();
    expect(m.get(`pflex_cluster_green_share_ratio{cluster_id="${c2}",region="Zhuhai"}`)).toBeCloseTo(0.5, 12);
    expect(m.get(`pflex_cluster_utilization_ratio{cluster_id="${c2}",region="Zhuhai"}`)).toBe(1);
  });

  it('needs no API key and takes no GraphQL-controlled label values', async () => {
    const res = await fetch(`${app.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect((await app.ok(`query Evil${'x'.repeat(50)} { __typename }`, {}, startup.key)).__typename).toBe('Query');
    const again = await (await fetch(`${app.url}/metrics`)).text();
    expect(again).not.toContain('Evilxxx');
    expect(text).toContain('# TYPE pflex_bookings_total counter');
  });
});
