// pflex console: plain ES modules, no build step. Talks to /graphql with the API key kept in
// sessionStorage; live updates over graphql-ws (graphql-transport-ws on /graphql), with a visible
// polling fallback when no WebSocket connection can be made. Operators and the bureau get the
// dashboard (this file) and the operator tools (operator.js); startups get startup.js.
import { gql, savedKey, setKey } from './api.js';
import { startOperatorTools } from './operator.js';
import { startStartupConsole } from './startup.js';
import { dashboardKpiCards } from './kpi-cards.js';
import { loadRounds } from './rounds-panel.js';
import { supplyOption } from './supply-chart.js';
import { esc, fmt, money, pct, when } from './ui.js';

const HOUR = 3_600_000;
const POLL_MS = 10_000;
const BOOKINGS_SHOWN = 12;

const $ = (id) => document.getElementById(id);

const state = {
  key: null,
  me: null,
  clusters: [],
  selected: null,
  days: 14,
  region: '',
  from: 0,
  util: new Map(),
  kpis: null,
  kpiMode: 'unknown', // 'server' once kpis answers, 'local' when it does not exist
  seenBookings: null,
  live: null,
  pollTimer: null,
  refreshTimer: null,
  slowTimer: null,
  renderTimer: null,
  loading: null,
  again: false,
};

// ---- formatting -------------------------------------------------------------------------

const hourFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: '2-digit', month: 'short', hour: '2-digit' });

function showError(msg) {
  const el = $('error-banner');
  el.textContent = msg;
  el.hidden = !msg;
}

// ---- sign in / out ------------------------------------------------------------------------

async function signIn(key) {
  state.key = key;
  setKey(key);
  try {
    const d = await gql('query Me { me { id name role } }');
    state.me = d.me;
  } catch (e) {
    state.key = null;
    setKey(null);
    const msg =
      e.code === 'UNAUTHENTICATED'
        ? 'This API key is unknown or revoked. Check it and try again.'
        : `Sign-in failed: ${e.message}`;
    $('signin-error').textContent = msg;
    $('signin-error').hidden = false;
    $('signin').hidden = false;
    $('dashboard').hidden = true;
    return;
  }
  $('signin-error').hidden = true;
  $('signin').hidden = true;
  $('session').hidden = false;
  $('who').textContent = `${state.me.name} · ${state.me.role.toLowerCase()}`;
  document.body.dataset.role = state.me.role;
  if (state.me.role === 'STARTUP') {
    $('startup-console').hidden = false;
    await startStartupConsole({ me: state.me, setLive });
    return;
  }
  $('dashboard').hidden = false;
  initCharts();
  await loadClusters();
  await refresh();
  startLive();
  startOperatorTools({
    state,
    refresh,
    renderSupply,
    selected: () => state.clusters.find((c) => c.id === state.selected) ?? null,
  });
}

function signOut() {
  setKey(null);
  stopLive();
  location.reload();
}

// ---- data ----------------------------------------------------------------------------------

function visibleClusters() {
  return state.region ? state.clusters.filter((c) => c.region === state.region) : state.clusters;
}

async function loadClusters() {
  const d = await gql(
    'query Clusters { clusters(first: 100) { edges { node { id name region accelerator capacityPflops } } } }',
  );
  state.clusters = d.clusters.edges.map((e) => e.node);
  const regions = [...new Set(state.clusters.map((c) => c.region))].sort();
  $('region-select').innerHTML = [
    '<option value="">all regions</option>',
    ...regions.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`),
  ].join('');
  renderClusterSelect();
}

function renderClusterSelect() {
  const shown = visibleClusters();
  const sel = $('cluster-select');
  sel.innerHTML = shown.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('');
  if (!state.selected || !shown.some((c) => c.id === state.selected)) state.selected = shown[0]?.id ?? null;
  if (state.selected) sel.value = state.selected;
}

const UTIL_QUERY = `query Utilization($clusterId: ID!, $from: DateTime!, $to: DateTime!) {
  utilization(clusterId: $clusterId, from: $from, to: $to) { hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw gridDrawnMw siteGridDrawnMw siteGridReservedMw }
}`;

async function loadUtilization() {
  const from = Math.floor(Date.now() / HOUR) * HOUR;
  const to = from + state.days * 24 * HOUR;
  state.from = from;
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  // one request per cluster: each stays well under the server's query cost limit
  const shown = visibleClusters();
  const rows = await Promise.all(
    shown.map((c) => gql(UTIL_QUERY, { clusterId: c.id, ...range }).then((d) => d.utilization)),
  );
  state.util = new Map(shown.map((c, i) => [c.id, rows[i]]));
  return range;
}

const BOOKINGS_QUERY = `query Upcoming($first: Int!, $filter: BookingFilterInput) {
  bookings(first: $first, filter: $filter) { edges { node { id clusterId clusterName startsAt endsAt hours pflops powerMw greenShare status price { total } } } }
}`;

async function loadBookings() {
  // the region is filtered by the server: filtering a fleet-wide page here lost the region's
  // bookings behind other regions' earlier ones
  const d = await gql(BOOKINGS_QUERY, {
    first: BOOKINGS_SHOWN,
    filter: { from: new Date().toISOString(), status: 'CONFIRMED', ...(state.region ? { region: state.region } : {}) },
  });
  return d.bookings.edges.map((e) => e.node);
}

const KPIS_QUERY = `query Kpis($from: DateTime!, $to: DateTime!, $region: String) {
  kpis(from: $from, to: $to, region: $region) {
    clusters pflopsHoursAvailable pflopsHoursBooked utilization peakMegawattsCommitted averageMegawattsCommitted
    bookedEnergyMwh greenShare greenMwhUsed greenMwhOffered bookings startupsServed medianQuoteToBookingSeconds
    voucherMoneySpent voucherMoneyLeft greenMwhPromised greenMwhDelivered slaBookings slaBreaches slaAttainment slaCreditsOwed
    gridMwhDrawn peakGridMegawatts peakShareOfReservedGrid valleyShare
  }
}`;

/** The server's kpis when the schema has them; null (and local figures) when it does not. */
async function loadKpis(range) {
  if (state.kpiMode === 'local') return null;
  try {
    const d = await gql(KPIS_QUERY, { ...range, region: state.region || null });
    state.kpiMode = 'server';
    return d.kpis;
  } catch (e) {
    // no kpis query (or other fields) on this server, or not for this role: figures from utilization
    if (e.code === 'GRAPHQL_VALIDATION_FAILED' || e.code === 'FORBIDDEN' || /Cannot query field/.test(e.message)) {
      state.kpiMode = 'local';
      return null;
    }
    throw e;
  }
}

/** Reloads everything the page shows; calls that arrive while one runs are merged into the next. */
function refresh() {
  if (state.loading) {
    state.again = true;
    return state.loading;
  }
  state.loading = (async () => {
    try {
      const range = await loadUtilization();
      const [bookings, kpis] = await Promise.all([loadBookings(), loadKpis(range), loadRounds()]);
      state.kpis = kpis;
      renderHeatmap();
      renderSupply();
      renderKpis(bookings);
      renderBookings(bookings);
      $('updated-at').textContent = `updated ${new Date().toISOString().slice(11, 19)} UTC`;
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes ?? 0) + 1);
      showError('');
    } catch (e) {
      showError(
        e.code === 'UNAUTHENTICATED'
          ? 'Your API key is no longer accepted; sign in again.'
          : `Could not load data: ${e.message}`,
      );
    } finally {
      state.loading = null;
      if (state.again) {
        state.again = false;
        refresh();
      }
    }
  })();
  return state.loading;
}

function refreshSoon() {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(refresh, 250);
}

// ---- charts --------------------------------------------------------------------------------

const charts = {};

function initCharts() {
  if (charts.heatmap) return;
  charts.heatmap = echarts.init($('heatmap'), null, { renderer: 'canvas' });
  charts.supply = echarts.init($('supply'), null, { renderer: 'canvas' });
  charts.heatmap.on('click', (p) => {
    const c = visibleClusters()[p.value?.[1]];
    if (c) selectCluster(c.id);
  });
  window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));
  // for the browser test and for curious operators: window.pflex.charts.supply.getOption()
  window.pflex = { charts, state };
}

function renderHeatmap() {
  const hours = state.days * 24;
  const xs = [];
  for (let i = 0; i < hours; i++) xs.push(hourFmt.format(new Date(state.from + i * HOUR)) + 'h');
  const shown = visibleClusters();
  const data = [];
  shown.forEach((c, y) => {
    (state.util.get(c.id) ?? []).forEach((r, x) => data.push([x, y, Math.round(r.utilization * 1000) / 10]));
  });
  const names = shown.map((c) => shortName(c.name));
  charts.heatmap.setOption(
    {
      animation: false,
      grid: { left: 190, right: 24, top: 8, bottom: 62 },
      tooltip: {
        formatter: (p) => {
          const c = visibleClusters()[p.value[1]];
          const r = c && state.util.get(c.id)?.[p.value[0]];
          if (!r) return '';
          return `<b>${esc(c.name)}</b><br>${when(r.hour)} UTC<br>${fmt(r.bookedPflops)} / ${fmt(r.capacityPflops)} PFLOPS · <b>${pct(r.utilization)} %</b><br>green ${fmt(r.greenAllocatedMw, 2)} / ${fmt(r.greenAvailableMw, 2)} MW`;
        },
      },
      xAxis: {
        type: 'category',
        data: xs,
        splitArea: { show: false },
        axisLabel: { interval: 23, formatter: (v) => v.slice(0, 6) },
        axisTick: { interval: 23 },
      },
      yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: 175, overflow: 'truncate' } },
      visualMap: {
        min: 0,
        max: 100,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 220,
        itemWidth: 10,
        text: ['100 %', '0 %'],
        inRange: { color: ['#eef3fb', '#9ec5f8', '#2f6fed', '#7b2cbf', '#c62f3b'] },
      },
      series: [
        {
          name: 'utilization %',
          type: 'heatmap',
          data,
          progressive: 0,
          emphasis: { itemStyle: { borderColor: '#1b2430', borderWidth: 1 } },
        },
      ],
    },
    true,
  );
}

function renderSupply() {
  const c = state.clusters.find((x) => x.id === state.selected);
  const rows = (c && state.util.get(c.id)) || [];
  $('supply-title').textContent = c
    ? `${c.name} — capacity, bookings, green supply and grid`
    : 'Capacity, green supply and grid';
  // an operator's forecast being previewed: green supply per hour as it would be after saving
  const preview = c && state.preview?.clusterId === c.id ? state.preview.points : null;
  charts.supply.setOption(supplyOption(rows, preview), true);
}

function shortName(name) {
  return name.replace(' Intelligent Computing Center', ' ICC');
}

// ---- KPIs and bookings ---------------------------------------------------------------------

function renderKpis(bookings) {
  const k = state.kpis;
  const cards = dashboardKpiCards(state.util, state.days * 24, k, bookings, BOOKINGS_SHOWN);
  $('kpis').innerHTML = cards.join('');
  document.body.dataset.kpis = k ? 'server' : 'local';
  const n = visibleClusters().length;
  $('kpi-source').textContent =
    `Next ${state.days} days · ${n} cluster${n === 1 ? '' : 's'}${state.region ? ` in ${state.region}` : ''} · ` +
    (k ? 'figures from the kpis query' : 'computed from utilization (no kpis on this server for this key)');
}

function renderBookings(bookings) {
  const body = $('bookings-body');
  const seen = state.seenBookings;
  state.seenBookings = new Set(bookings.map((b) => b.id));
  if (!bookings.length) {
    body.innerHTML = `<tr><td colspan="7" class="empty">No upcoming bookings in view.</td></tr>`;
  } else {
    body.innerHTML = bookings
      .map(
        (b) => `<tr data-booking-id="${esc(b.id)}" class="${seen && !seen.has(b.id) ? 'fresh' : ''}">
          <td>${esc(when(b.startsAt))}</td>
          <td>${esc(shortName(b.clusterName))}</td>
          <td class="num">${fmt(b.pflops, 3)}</td>
          <td class="num">${fmt(b.hours, 0)} h</td>
          <td class="num">${fmt(b.powerMw, 2)} MW</td>
          <td class="num">${pct(b.greenShare, 0)} %</td>
          <td class="num">${money(b.price.total)}</td>
        </tr>`,
      )
      .join('');
  }
  const scope = { OPERATOR: 'on your clusters', STARTUP: 'your bookings', BUREAU: 'all clusters' }[state.me.role] ?? '';
  $('bookings-note').textContent = `${scope}${state.region ? ` in ${state.region}` : ''}, by start time (UTC)`;
}

function selectCluster(id) {
  state.selected = id;
  $('cluster-select').value = id;
  renderSupply();
}

// ---- live updates --------------------------------------------------------------------------

function setLive(mode, text) {
  const el = $('live');
  el.dataset.mode = mode;
  el.textContent = text;
  document.body.dataset.live = mode;
}

function startPolling(reason) {
  if (state.pollTimer) return;
  setLive('polling', `polling every ${POLL_MS / 1000} s`);
  $('live').title = `no live subscription (${reason}); the page reloads its data every ${POLL_MS / 1000} s`;
  state.pollTimer = setInterval(refresh, POLL_MS);
}

function stopLive() {
  clearInterval(state.slowTimer);
  clearInterval(state.pollTimer);
  state.pollTimer = null;
  state.live?.dispose();
  state.live = null;
}

async function startLive() {
  let createClient;
  try {
    ({ createClient } = await import('/assets/vendor/graphql-ws/client.js'));
  } catch {
    startPolling('graphql-ws client not available');
    return;
  }
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const key = state.key;
  let failed = false;
  const fail = (why) => {
    if (failed) return;
    failed = true;
    state.live?.dispose();
    state.live = null;
    startPolling(why);
  };
  const client = createClient({
    url,
    connectionParams: () => ({ authorization: `Bearer ${key}` }),
    retryAttempts: 2,
    lazy: false,
    onNonLazyError: (e) => fail(e?.reason || 'connection refused'),
    on: {
      connected: () => {
        if (failed) return;
        setLive('subscription', 'live');
        // events carry the changes; a slow reload still moves the range on as hours pass
        clearInterval(state.slowTimer);
        state.slowTimer = setInterval(refresh, 5 * 60_000);
      },
    },
  });
  state.live = client;
  const sink = (onData) => ({
    next: (msg) => {
      if (msg.errors?.length) fail(msg.errors[0].message);
      else onData(msg.data);
    },
    error: (err) => fail(Array.isArray(err) ? err[0]?.message : err?.reason || err?.message || 'subscription error'),
    complete: () => undefined,
  });
  // a booking changes the list and the KPIs: reload them (and utilization, cheap) once
  client.subscribe(
    { query: 'subscription BookingEvents { bookingEvents { type booking { id } } }' },
    sink(refreshSoon),
  );
  for (const c of state.clusters) {
    client.subscribe(
      { query: UTIL_SUBSCRIPTION, variables: { id: c.id } },
      sink((d) => applyUtilizationChanges(d.utilizationChanged)),
    );
  }
}

const UTIL_SUBSCRIPTION = `subscription UtilizationChanged($id: ID!) {
  utilizationChanged(clusterId: $id) { clusterId hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw gridDrawnMw siteGridDrawnMw siteGridReservedMw }
}`;

/** Patches the changed cluster hours into what the charts show, without asking the server. */
function applyUtilizationChanges(changes) {
  let touched = false;
  for (const ch of Array.isArray(changes) ? changes : [changes]) {
    const rows = ch && state.util.get(ch.clusterId);
    if (!rows) continue;
    const i = Math.round((new Date(ch.hour).getTime() - state.from) / HOUR);
    if (i < 0 || i >= rows.length) continue;
    rows[i] = { ...ch, clusterId: undefined };
    touched = true;
  }
  if (!touched) return;
  document.body.dataset.liveChanges = String(Number(document.body.dataset.liveChanges ?? 0) + 1);
  clearTimeout(state.renderTimer);
  state.renderTimer = setTimeout(() => {
    renderHeatmap();
    renderSupply();
  }, 100);
}

// ---- wiring --------------------------------------------------------------------------------

function main() {
  $('signin-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const key = $('api-key').value.trim();
    if (key) signIn(key);
  });
  $('sign-out').addEventListener('click', signOut);
  $('cluster-select').addEventListener('change', (ev) => selectCluster(ev.target.value));
  $('region-select').addEventListener('change', (ev) => {
    state.region = ev.target.value;
    renderClusterSelect();
    refresh();
  });
  $('range-select').addEventListener('change', (ev) => {
    state.days = Number(ev.target.value);
    refresh();
  });
  const saved = savedKey();
  if (saved) signIn(saved);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
