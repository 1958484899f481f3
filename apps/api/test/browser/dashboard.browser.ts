/**
 * Browser test of the dashboard (run by scripts/browser-test.sh after `npm run build`):
 * starts the built API with its demo data on an ephemeral port (PGlite in a temporary folder, or
 * a fresh schema of DATABASE_URL), drives Debian's Chromium through playwright-core, signs in
 * with a wrong key and then the demo operator key, checks the charts hold data, books as the demo
 * startup through the API and waits for the page to show it without a reload.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import {
  assert,
  chartSummary,
  check,
  CHROMIUM,
  CHROMIUM_ARGS,
  gql,
  HOUR,
  inPage,
  results,
  RESULTS,
  startServer,
  waitForTrue,
} from './browser-kit';

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  const t0 = Date.now();
  const server = await startServer();
  /**
   * The demo startup books (10 PFLOPS x 2 h by default) from `fromHour` hours on, by hour `toHour`,
   * through the API (another client); its id.
   */
  const bookElsewhere = async (
    fromHour: number,
    o: { pflops?: number; hours?: number; toHour?: number; clusterIds?: string[] } = {},
  ): Promise<string> => {
    const start = Math.floor(Date.now() / HOUR) * HOUR;
    const d = await gql<{ bookCompute: { id: string } }>(
      server.url,
      server.keys.startup,
      `mutation($k: String!, $r: ComputeRequestInput!) { bookCompute(idempotencyKey: $k, objective: EARLIEST, request: $r) { id } }`,
      {
        k: `browser-${randomBytes(6).toString('hex')}`,
        r: {
          pflops: o.pflops ?? 10,
          hours: o.hours ?? 2,
          earliestStart: new Date(start + fromHour * HOUR).toISOString(),
          deadline: new Date(start + (o.toHour ?? 12) * HOUR).toISOString(),
          ...(o.clusterIds ? { clusterIds: o.clusterIds } : {}),
        },
      },
    );
    return d.bookCompute.id;
  };
  console.log(
    `API at ${server.url} (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}), started in ${Date.now() - t0} ms`,
  );
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1 });
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    await check('GET / serves the sign-in page; /health and /graphql still answer', async () => {
      const res = await page.goto(`${server.url}/`);
      assert(res?.status() === 200, `GET / answered ${res?.status()}`);
      await page.locator('#signin').waitFor({ state: 'visible' });
      const health = await fetch(`${server.url}/health`);
      assert(health.status === 200, `/health answered ${health.status}`);
      const me = await gql<{ me: { role: string } }>(server.url, server.keys.operator, '{ me { role } }');
      assert(me.me.role === 'OPERATOR', `me.role is ${me.me.role}`);
    });

    await check('a wrong API key shows a clear error and no dashboard', async () => {
      await page.fill('#api-key', 'pflex_wrong_key_0000');
      await page.click('#signin-submit');
      const err = page.locator('#signin-error');
      await err.waitFor({ state: 'visible', timeout: 10_000 });
      const text = await err.textContent();
      assert(/unknown or revoked/i.test(text ?? ''), `error text: ${text}`);
      assert(await page.locator('#dashboard').isHidden(), 'dashboard visible after a wrong key');
      await page.screenshot({ path: join(RESULTS, 'signin-error.png') });
    });

    await check('the demo operator signs in and both charts render with data', async () => {
      await page.fill('#api-key', server.keys.operator);
      await page.click('#signin-submit');
      await page.waitForSelector('body[data-refreshes]', { timeout: 30_000 });
      const stored = await inPage<string | null>(page, `sessionStorage.getItem('pflex.apiKey')`);
      assert(stored === server.keys.operator, 'the key is not in sessionStorage');
      const heat = await chartSummary(page, '#heatmap');
      assert(heat && heat.canvases > 0, 'no ECharts canvas in #heatmap');
      assert(
        heat.series.length === 1 && heat.series[0].type === 'heatmap',
        `heatmap series: ${JSON.stringify(heat.series)}`,
      );
      assert(
        heat.series[0].points === 4 * 14 * 24,
        `heatmap points: ${heat.series[0].points} (4 demo clusters x 14 days x 24 h expected)`,
      );
      const supply = await chartSummary(page, '#supply');
      assert(supply && supply.canvases > 0, 'no ECharts canvas in #supply');
      // capacity, booked, green available and allocated, grid drawn (Zhuhai has no site: no reservation)
      assert(supply.series.length === 5, `supply series: ${JSON.stringify(supply.series)}`);
      assert(
        supply.series.some((s) => s.name === 'Grid drawn (MW)'),
        `no grid series: ${JSON.stringify(supply.series)}`,
      );
      for (const s of supply.series) assert(s.points > 14 * 24, `series ${s.name} has ${s.points} points`);
      const cap = supply.series.find((s) => s.name.startsWith('Capacity'));
      const green = supply.series.find((s) => s.name.startsWith('Green available'));
      assert(cap && cap.max === 2100, `capacity max ${cap?.max}, the demo Zhuhai cluster has 2,100 PFLOPS`);
      assert(green && green.max > 0, 'no green supply in the demo data');
      const kpis = await page.locator('#kpis .kpi').count();
      assert(kpis >= 5, `${kpis} KPI cards`);
      // a Pazhou hub sits behind the demo campus's grid connection: its reservation is drawn too
      const hub = await page.locator('#cluster-select option', { hasText: 'Pazhou AI Hub A' }).getAttribute('value');
      const first = await page.inputValue('#cluster-select');
      await page.selectOption('#cluster-select', hub);
      const sited = await chartSummary(page, '#supply');
      const reserved = sited?.series.find((s) => s.name === 'Site grid reserved (MW)');
      assert(reserved && reserved.max === 3.5, `site reservation series: ${JSON.stringify(sited?.series)}`);
      await page.selectOption('#cluster-select', first);
    });

    const bookingIds: string[] = [];
    let liveMode = '';
    let shownAfterMs = 0;
    await check('a booking made through the API appears without a reload', async () => {
      const start = Math.floor(Date.now() / HOUR) * HOUR;
      const iso = (h: number) => new Date(start + h * HOUR).toISOString();
      const clusters = await gql<{ clusters: { edges: { node: { id: string; name: string } }[] } }>(
        server.url,
        server.keys.startup,
        '{ clusters(first: 10) { edges { node { id name } } } }',
      );
      const ids = clusters.clusters.edges.map((e) => e.node.id);
      const markerBefore = await inPage<number>(page, 'Number(document.body.dataset.refreshes)');
      const booked0 = Date.now();
      // a few bookings so that the chart (and the committed screenshot) shows real load
      const requests = [
        { pflops: 1200, hours: 10, from: 0, to: 30, clusterIds: [ids[0]], objective: 'EARLIEST' },
        { pflops: 650, hours: 20, from: 20, to: 80, clusterIds: [ids[0]], objective: 'CHEAPEST' },
        { pflops: 900, hours: 30, from: 60, to: 140, clusterIds: [ids[0]], objective: 'GREENEST', minGreenShare: 0.3 },
        { pflops: 240, hours: 36, from: 5, to: 90, clusterIds: [ids[1]], objective: 'EARLIEST' },
        { pflops: 150, hours: 48, from: 30, to: 150, clusterIds: [ids[2]], objective: 'GREENEST' },
        { pflops: 90, hours: 24, from: 100, to: 200, clusterIds: [ids[3]], objective: 'CHEAPEST' },
      ];
      for (const r of requests) {
        const d = await gql<{ bookCompute: { id: string } }>(
          server.url,
          server.keys.startup,
          `mutation($k: String!, $o: Objective!, $r: ComputeRequestInput!) { bookCompute(idempotencyKey: $k, objective: $o, request: $r) { id } }`,
          {
            k: `browser-${randomBytes(6).toString('hex')}`,
            o: r.objective,
            r: {
              pflops: r.pflops,
              hours: r.hours,
              earliestStart: iso(r.from),
              deadline: iso(r.to),
              clusterIds: r.clusterIds,
              ...(r.minGreenShare ? { minGreenShare: r.minGreenShare } : {}),
            },
          },
        );
        bookingIds.push(d.bookCompute.id);
      }
      await page.waitForSelector(`tr[data-booking-id="${bookingIds[0]}"]`, { timeout: 45_000 });
      shownAfterMs = Date.now() - booked0;
      const markerAfter = await inPage<number>(page, 'Number(document.body.dataset.refreshes)');
      assert(markerAfter > markerBefore, 'the page did not refresh its data');
      // all six bookings (a later refresh may still be on its way)
      await waitForTrue(
        page,
        `document.querySelectorAll('tr[data-booking-id]').length >= ${bookingIds.length}`,
        45_000,
      );
      const supply = await chartSummary(page, '#supply');
      const booked = supply?.series.find((s) => s.name.startsWith('Booked'));
      assert(booked && booked.max >= 1200, `booked series max ${booked?.max}, expected the 1,200 PFLOPS booking`);
      const navigations = await inPage<number>(page, `performance.getEntriesByType('navigation').length`);
      assert(navigations === 1, 'the page was reloaded');
      liveMode = (await inPage<string | undefined>(page, 'document.body.dataset.live')) ?? '';
      assert(liveMode === 'subscription' || liveMode === 'polling', `live mode ${liveMode}`);
      if (liveMode === 'subscription') {
        // the charts were patched from utilizationChanged payloads, not only reloaded
        const changes = await inPage<number>(page, 'Number(document.body.dataset.liveChanges ?? 0)');
        assert(changes > 0, 'no utilizationChanged event reached the page');
      }
    });
    console.log(
      `  updates came by: ${liveMode === 'subscription' ? 'GraphQL subscription (graphql-ws)' : 'polling fallback (no subscription on this server)'}; ` +
        `first booking listed ${shownAfterMs} ms after the first bookCompute was sent (6 bookings)`,
    );

    await check('no errors in the browser console', async () => {
      // without a WebSocket the page falls back to polling: the refused upgrade is logged by
      // Chromium itself and is expected then
      const expected = liveMode === 'polling' ? /WebSocket connection to .* failed/ : null;
      const unexpected = consoleErrors.filter((m) => !(expected && expected.test(m)));
      assert(unexpected.length === 0, unexpected.join('\n'));
    });

    // settle the last refresh and the chart's layout before the picture
    await page.waitForTimeout(800);
    const shot = join(RESULTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`  screenshot: ${shot}`);

    await check('without a WebSocket the page says so and polls: a new booking still appears', async () => {
      const tab = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      // the upgrade is refused as by a server or proxy without subscriptions
      await tab.routeWebSocket(/\/graphql$/, (ws) => ws.close({ code: 1011, reason: 'no subscriptions here' }));
      await tab.goto(`${server.url}/`);
      await tab.fill('#api-key', server.keys.operator);
      await tab.click('#signin-submit');
      await tab.waitForSelector('body[data-live="polling"]', { timeout: 30_000 });
      const label = await tab.locator('#live').textContent();
      assert(/polling every 10 s/.test(label ?? ''), `live label: ${label}`);
      const id = await bookElsewhere(2);
      await tab.waitForSelector(`tr[data-booking-id="${id}"]`, { timeout: 30_000 });
      await tab.close();
    });

    await check(
      'sign out forgets the key; the demo bureau signs in, sees every cluster and filters a region',
      async () => {
        await page.click('#sign-out');
        await page.locator('#signin').waitFor({ state: 'visible', timeout: 15_000 });
        assert(
          (await inPage<string | null>(page, `sessionStorage.getItem('pflex.apiKey')`)) === null,
          'the key is still in sessionStorage',
        );
        await page.fill('#api-key', server.keys.bureau);
        await page.click('#signin-submit');
        await page.waitForSelector('body[data-role="BUREAU"][data-refreshes]', { timeout: 30_000 });
        const heat = await chartSummary(page, '#heatmap');
        assert(heat && heat.series[0]?.points === 4 * 14 * 24, `bureau heatmap: ${JSON.stringify(heat?.series)}`);
        await page.waitForSelector(`tr[data-booking-id="${bookingIds[0]}"]`, { timeout: 15_000 });
        // one region: three Haizhu clusters, no Zhuhai booking in the list, KPIs for that region
        const before = await inPage<number>(page, 'Number(document.body.dataset.refreshes)');
        await page.selectOption('#region-select', 'Guangzhou Haizhu');
        await waitForTrue(page, `Number(document.body.dataset.refreshes) > ${before}`, 15_000);
        const haizhu = await chartSummary(page, '#heatmap');
        assert(haizhu?.series[0]?.points === 3 * 14 * 24, `Haizhu heatmap: ${JSON.stringify(haizhu?.series)}`);
        assert(
          (await page.locator(`tr[data-booking-id="${bookingIds[0]}"]`).count()) === 0,
          'a Zhuhai booking is listed under Guangzhou Haizhu',
        );
        assert(
          (await page.locator(`tr[data-booking-id="${bookingIds[3]}"]`).count()) === 1,
          'the Haizhu Hub A booking is missing',
        );
        // the region change selected another cluster: the select, the chart and the operator tools agree
        const chosen = await inPage<string>(
          page,
          `document.getElementById('cluster-select').selectedOptions[0].textContent`,
        );
        assert(/Haizhu/.test(chosen), `selected after the region change: ${chosen}`);
        for (const id of ['maint-target', 'revision-target', 'forecast-target']) {
          const target = await page.locator(`#${id}`).textContent();
          assert(target === chosen, `#${id} names ${target}, the select ${chosen}`);
        }
        const title = await page.locator('#supply-title').textContent();
        assert((title ?? '').includes(chosen), `chart title ${title}, the select ${chosen}`);
        const source = await page.locator('#kpi-source').textContent();
        // the region's name is bidi-isolated inside the sentence (U+2068 … U+2069)
        assert(/3 clusters in \u2068Guangzhou Haizhu\u2069/.test(source ?? ''), `KPI source: ${source}`);
      },
    );

    await check('the next 28 days load (each utilization request stays under the query cost limit)', async () => {
      const before = await inPage<number>(page, 'Number(document.body.dataset.refreshes)');
      await page.selectOption('#range-select', '28');
      await waitForTrue(page, `Number(document.body.dataset.refreshes) > ${before}`, 30_000);
      const heat = await chartSummary(page, '#heatmap');
      assert(heat?.series[0]?.points === 3 * 28 * 24, `28-day heatmap: ${JSON.stringify(heat?.series)}`);
      assert(await page.locator('#error-banner').isHidden(), (await page.locator('#error-banner').textContent()) ?? '');
    });

    await check(
      'on a 390 px phone the dashboard fits the screen: nothing but wide tables scrolls sideways',
      async () => {
        const tab = await browser!.newPage({ viewport: { width: 390, height: 800 } });
        await tab.goto(`${server.url}/`);
        await tab.fill('#api-key', server.keys.operator);
        await tab.click('#signin-submit');
        await tab.waitForSelector('body[data-refreshes]', { timeout: 30_000 });
        const width = await inPage<number>(tab, 'document.documentElement.scrollWidth');
        assert(width <= 390, `the page is ${width} px wide`);
        const out = await inPage<string[]>(
          tab,
          `[...document.querySelectorAll('#sign-out, #region-select, #range-select, #cluster-select')]
          .filter((e) => e.getBoundingClientRect().right > 390).map((e) => e.id)`,
        );
        assert(out.length === 0, `off the screen: ${out.join(', ')}`);
        await tab.close();
        // the startup's console, with its three quotes shown
        const st = await browser!.newPage({ viewport: { width: 390, height: 800 } });
        await st.goto(`${server.url}/`);
        await st.fill('#api-key', server.keys.startup);
        await st.click('#signin-submit');
        await st.locator('#req-pflops').waitFor({ state: 'visible', timeout: 30_000 });
        await st.fill('#req-pflops', '10');
        await st.fill('#req-hours', '2');
        await st.click('#request-form button[type=submit]');
        await st.waitForSelector('#quotes-table tr', { timeout: 30_000 });
        const w = await inPage<number>(st, 'document.documentElement.scrollWidth');
        assert(w <= 390, `the startup console with quotes is ${w} px wide`);
        await st.close();
      },
    );

    await check('after the connection drops, what happened meanwhile shows and the page goes live again', async () => {
      const tab = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      // a relay in front of the WebSocket that can be cut: while `down`, upgrades are refused
      let down = false;
      const open: { close: () => Promise<void> }[] = [];
      await tab.routeWebSocket(/\/graphql$/, (ws) => {
        if (down) return void ws.close({ code: 1011, reason: 'network down' });
        ws.connectToServer();
        open.push(ws);
      });
      await tab.goto(`${server.url}/`);
      await tab.fill('#api-key', server.keys.operator);
      await tab.click('#signin-submit');
      await tab.waitForSelector('body[data-live="subscription"]', { timeout: 30_000 });
      down = true;
      await Promise.all(open.splice(0).map((ws) => ws.close()));
      const id = await bookElsewhere(3);
      await tab.waitForTimeout(1500);
      down = false;
      // re-queried on reconnecting (or on falling back to polling): no event is replayed
      await tab.waitForSelector(`tr[data-booking-id="${id}"]`, { timeout: 15_000 });
      // back to live: a fallback to polling tries the WebSocket again (every 30 s)
      await tab.waitForSelector('body[data-live="subscription"]', { timeout: 45_000 });
      await tab.close();
    });

    // last: it adds clusters to the fleet
    await check(
      'a fleet of more clusters than one connection may subscribe to goes live, and a cluster registered after the page loaded appears with its bookings',
      async () => {
        const register = async (name: string) =>
          (
            await gql<{ registerCluster: { id: string } }>(
              server.url,
              server.keys.operator,
              `mutation($i: RegisterClusterInput!) { registerCluster(input: $i) { id } }`,
              {
                i: {
                  name,
                  region: 'Browser test',
                  accelerator: 'H800',
                  capacityPflops: 50,
                  kwPerPflops: 10,
                  pue: 1.2,
                  pricePerPflopsHour: 2,
                  gridPricePerMwh: 600,
                },
              },
            )
          ).registerCluster.id;
        for (let i = 0; i < 20; i++) await register(`Extra ${i + 1}`);
        const tab = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
        await tab.goto(`${server.url}/`);
        await tab.fill('#api-key', server.keys.bureau);
        await tab.click('#signin-submit');
        await tab.waitForSelector('body[data-live="subscription"]', { timeout: 30_000 });
        const before = await tab.locator('#cluster-select option').count();
        assert(before >= 24, `the bureau's select lists ${before} clusters`);
        const late = await register('Registered late');
        const booked = await bookElsewhere(2, { pflops: 5, hours: 1, toHour: 3, clusterIds: [late] });
        // no reload: the live events bring the new cluster (select and heat-map row) and its booking
        await tab.waitForSelector(`#cluster-select option[value="${late}"]`, { state: 'attached', timeout: 15_000 });
        assert(booked, 'booked on the new cluster');
        // its heat-map row shows the booking: 5 of 50 PFLOPS, two hours from the page's first
        await waitForTrue(
          tab,
          `(() => { const y = window.pflex.state.clusters.findIndex((c) => c.id === ${JSON.stringify(late)}); const s = window.pflex.charts.heatmap.getOption().series[0].data; return y >= 0 && s.some((d) => (d[0] === 2 || d[0] === 1) && d[1] === y && d[2] === 10); })()`,
          15_000,
        );
        const rows = await inPage<number>(tab, `window.pflex.charts.heatmap.getOption().yAxis[0].data.length`);
        assert(rows === before + 1, `the heat map has ${rows} rows for ${before + 1} clusters`);
        assert(
          (await tab.getAttribute('body', 'data-live')) === 'subscription',
          'the page is still live after the new cluster',
        );
        await tab.close();
      },
    );
  } finally {
    await browser?.close();
    await server.stop();
  }
}

main().then(
  () => {
    console.log(`${results.passed} passed, ${results.failed} failed`);
    process.exit(results.failed ? 1 : 0);
  },
  (e) => {
    console.error(e);
    console.log(`${results.passed} passed, ${results.failed + 1} failed`);
    process.exit(1);
  },
);
