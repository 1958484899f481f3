// pflex console: plain ES modules, no build step. Talks to /graphql with the API key kept in
// sessionStorage; live updates over graphql-ws (graphql-transport-ws on /graphql), with a visible
// polling fallback when no WebSocket connection can be made. Operators and the bureau get the
// dashboard (this file) and the operator tools (operator.js); startups get startup.js.
import { gql, savedKey, setKey, startLive } from './api.js';
import { startOperatorTools } from './operator.js';
import { startStartupConsole } from './startup.js';
import { dashboardKpiCards } from './kpi-cards.js';
import { loadRounds } from './rounds-panel.js';
import { heatmapOption, shortName } from './heatmap-chart.js';
import { supplyOption } from './supply-chart.js';
import { esc, fmt, money, nameText, pct, when } from './ui.js';

const HOUR = 3_600_000;
const POLL_MS = 10_000;
const BOOKINGS_SHOWN = 12;

const $ = (id) => document.getElementById(id);

const state = {
  key: null,
  me: null,
  clusters: [],
  /** the clusters as last read, to redraw the selects only when they change */
  clustersJson: null,
  selected: null,
  days: 14,
  region: '',
  from: 0,
  util: new Map(),
  kpis: null,
  seenBookings: null,
  stopLive: null,
  refreshTimer: null,
  slowTimer: null,
  renderTimer: null,
  loading: null,
  again: false,
};

// ---- formatting -------------------------------------------------------------------------

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
  // the name isolated: a right-to-left override in it must not turn the role around
  $('who').textContent = `${nameText(state.me.name)} · ${state.me.role.toLowerCase()}`;
  document.body.dataset.role = state.me.role;
  if (state.me.role === 'STARTUP') {
    $('startup-console').hidden = false;
    // the keyboard and screen reader start at the page's heading, not at the top of the body
    $('console-h1').focus();
    await startStartupConsole({ me: state.me, setLive });
    return;
  }
  $('dashboard').hidden = false;
  $('dashboard-h1').focus();
  // a revoked key: the banner says so (refresh); live updates and polling stop, they can only fail
  document.addEventListener('pflex:unauthenticated', () => {
    state.stopLive?.();
    clearInterval(state.slowTimer);
    setLive('stopped', 'stopped: key refused');
  });
  initCharts();
  await refresh();
  goLive();
  startOperatorTools({
    state,
    refresh,
    renderSupply,
    selected: () => state.clusters.find((c) => c.id === state.selected) ?? null,
  });
}

function signOut() {
  setKey(null);
  clearInterval(state.slowTimer);
  state.stopLive?.();
  location.reload();
}

// ---- data ----------------------------------------------------------------------------------

function visibleClusters() {
  return state.region ? state.clusters.filter((c) => c.region === state.region) : state.clusters;
}

const CLUSTERS_QUERY = `query Clusters($after: String) {
  clusters(first: 100, after: $after) { edges { node { id name region accelerator capacityPflops } } pageInfo { hasNextPage endCursor } }
}`;

/**
 * Reads every cluster in view (page by page), and redraws the region and cluster selects when
 * they changed (a cluster registered since the last read), keeping what is selected.
 */
async function loadClusters() {
  const all = [];
  for (let after = null; ;) {
    const d = await gql(CLUSTERS_QUERY, { after });
    all.push(...d.clusters.edges.map((e) => e.node));
    if (!d.clusters.pageInfo.hasNextPage) break;
    after = d.clusters.pageInfo.endCursor;
  }
  const json = JSON.stringify(all);
  state.clusters = all;
  if (json === state.clustersJson) return;
  state.clustersJson = json;
  const regions = [...new Set(all.map((c) => c.region))].sort();
  $('region-select').innerHTML = [
    '<option value="">all regions</option>',
    ...regions.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`),
  ].join('');
  $('region-select').value = regions.includes(state.region) ? state.region : '';
  renderClusterSelect();
}

function renderClusterSelect() {
  const shown = visibleClusters();
  const sel = $('cluster-select');
  sel.innerHTML = shown.map((c) => `<option value="${esc(c.id)}">${esc(c.name)}</option>`).join('');
  const keep = state.selected && shown.some((c) => c.id === state.selected);
  selectCluster(keep ? state.selected : (shown[0]?.id ?? null));
}

const UTIL_QUERY = `query Utilization($clusterId: ID!, $from: DateTime!, $to: DateTime!) {
  utilization(clusterId: $clusterId, from: $from, to: $to) { hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw gridDrawnMw siteGridDrawnMw siteGridReservedMw }
}`;

/** Hours of one utilization request: 14 days of rows stay under the server's query cost limit (MAX_QUERY_COST). */
const UTIL_CHUNK_HOURS = 14 * 24;

async function loadUtilization() {
  const from = Math.floor(Date.now() / HOUR) * HOUR;
  const to = from + state.days * 24 * HOUR;
  state.from = from;
  const iso = (t) => new Date(t).toISOString();
  const chunks = [];
  for (let t = from; t < to; t += UTIL_CHUNK_HOURS * HOUR)
    chunks.push({ from: iso(t), to: iso(Math.min(to, t + UTIL_CHUNK_HOURS * HOUR)) });
  // requests per cluster and 14 days, at once: each stays well under the query cost limit
  const shown = visibleClusters();
  const rows = await Promise.all(
    shown.map((c) =>
      Promise.all(chunks.map((r) => gql(UTIL_QUERY, { clusterId: c.id, ...r }).then((d) => d.utilization))).then(
        (parts) => parts.flat(),
      ),
    ),
  );
  state.util = new Map(shown.map((c, i) => [c.id, rows[i]]));
  return { from: iso(from), to: iso(to) };
}

const BOOKINGS_QUERY = `query Upcoming($first: Int!, $filter: BookingFilterInput) {
  bookings(first: $first, filter: $filter) { edges { node { id clusterId clusterName startsAt endsAt hours pflops powerMw greenShare status price { total } } } }
}`;

async function loadBookings() {
  // the region is filtered by the server: filtering a fleet-wide page here lost the region's
  // bookings behind other regions' earlier ones
  const d = await gql(BOOKINGS_QUERY, {
    first: BOOKINGS_SHOWN + 1,
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

/** The kpis of the range over the clusters in view (an operator's own, the bureau's all, or a region's). */
async function loadKpis(range) {
  return (await gql(KPIS_QUERY, { ...range, region: state.region || null })).kpis;
}

/** Reloads everything the page shows; calls that arrive while one runs are merged into the next. */
function refresh() {
  if (state.loading) {
    state.again = true;
    return state.loading;
  }
  state.loading = (async () => {
    try {
      await loadClusters();
      const range = await loadUtilization();
      const [bookings, kpis] = await Promise.all([loadBookings(), loadKpis(range), loadRounds()]);
      state.kpis = kpis;
      renderHeatmap();
      renderSupply();
      renderKpis();
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
  window.addEventListener('resize', () => {
    Object.values(charts).forEach((c) => c.resize());
    if (state.util.size) renderHeatmap();
  });
  // for the browser test and for curious operators: window.pflex.charts.supply.getOption()
  window.pflex = { charts, state };
}

function renderHeatmap() {
  const option = heatmapOption({
    from: state.from,
    days: state.days,
    shown: visibleClusters(),
    util: state.util,
    width: $('heatmap').clientWidth || 1000,
    region: state.region,
    role: state.me?.role,
  });
  charts.heatmap.setOption(option, true);
}

function renderSupply() {
  const c = state.clusters.find((x) => x.id === state.selected);
  const rows = (c && state.util.get(c.id)) || [];
  $('supply-title').textContent = c
    ? `${nameText(c.name)} — capacity, bookings, green supply and grid`
    : 'Capacity, green supply and grid';
  // an operator's forecast being previewed: green supply per hour as it would be after saving
  const preview = c && state.preview?.clusterId === c.id ? state.preview.points : null;
  charts.supply.setOption(supplyOption(rows, preview), true);
}

// ---- KPIs and bookings ---------------------------------------------------------------------

function renderKpis() {
  $('kpis').innerHTML = dashboardKpiCards(state.util, state.days * 24, state.kpis).join('');
  const n = visibleClusters().length;
  $('kpi-source').textContent =
    `Next ${state.days} days · ${n} cluster${n === 1 ? '' : 's'}${state.region ? ` in ${nameText(state.region)}` : ''} · ` +
    'figures from the kpis query, booked now and the peak hour from utilization';
}

function renderBookings(page) {
  // one more than shown is read, to tell whether more follow
  const more = page.length > BOOKINGS_SHOWN;
  const bookings = page.slice(0, BOOKINGS_SHOWN);
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
          <td class="name">${esc(nameText(shortName(b.clusterName)))}</td>
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
  $('bookings-note').textContent =
    `${more ? `the next ${BOOKINGS_SHOWN}, ` : ''}${scope}${state.region ? ` in ${nameText(state.region)}` : ''}, by start time (UTC)${more ? '; more follow' : ''}`;
}

/**
 * Selects cluster `id`, whatever chose it (the select, a heat-map row, a region change): the
 * select, the chart and the operator tools (told by a 'pflex:cluster-selected' event) follow.
 */
function selectCluster(id) {
  const changed = id !== state.selected;
  state.selected = id;
  if (id) $('cluster-select').value = id;
  if (charts.supply) renderSupply();
  if (changed) document.dispatchEvent(new CustomEvent('pflex:cluster-selected'));
}

// ---- live updates --------------------------------------------------------------------------

function setLive(mode, text) {
  const el = $('live');
  el.dataset.mode = mode;
  el.textContent = text;
  document.body.dataset.live = mode;
}

function goLive() {
  state.stopLive = startLive({
    onMode: (mode, why) => {
      clearInterval(state.slowTimer);
      if (mode === 'subscription') {
        setLive('subscription', 'live');
        $('live').title = 'live: bookings and utilization changes arrive as they happen';
        // events carry the changes; a slow reload still moves the range on as hours pass
        state.slowTimer = setInterval(refresh, 5 * 60_000);
        return;
      }
      setLive('polling', `polling every ${POLL_MS / 1000} s`);
      $('live').title = `no live subscription (${why}); the page reloads its data every ${POLL_MS / 1000} s`;
    },
    pollMs: POLL_MS,
    reload: refresh,
    subscribe: (client, fail) => {
      const sink = (onData) => ({
        next: (msg) => {
          if (msg.errors?.length) fail(msg.errors);
          else onData(msg.data);
        },
        error: fail,
        complete: () => undefined,
      });
      // a booking changes the list and the KPIs: reload them (and utilization, cheap) once
      client.subscribe(
        { query: 'subscription BookingEvents { bookingEvents { type booking { id } } }' },
        sink(refreshSoon),
      );
      // one subscription for every cluster in view, those registered later included (the
      // server allows a few subscriptions per connection, not one per cluster of a fleet)
      client.subscribe(
        { query: UTIL_SUBSCRIPTION },
        sink((d) => applyUtilizationChanges(d.utilizationChanged)),
      );
    },
  });
}

const UTIL_SUBSCRIPTION = `subscription UtilizationChanged {
  utilizationChanged { clusterId hour capacityPflops bookedPflops utilization greenAvailableMw greenAllocatedMw gridDrawnMw siteGridDrawnMw siteGridReservedMw }
}`;

/** Patches the changed cluster hours into what the charts show, without asking the server. */
function applyUtilizationChanges(changes) {
  let touched = false;
  for (const ch of Array.isArray(changes) ? changes : [changes]) {
    if (ch && !state.clusters.some((c) => c.id === ch.clusterId)) {
      // a cluster registered since the page loaded: read the clusters again, then everything
      refreshSoon();
      continue;
    }
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
    // said here: an empty key would do nothing, and one the browser cannot put in a header
    // would come back as "the server could not be reached"
    const wrong = !key
      ? 'Enter your API key.'
      : /[^\x21-\x7e]/.test(key)
        ? 'An API key has only letters, digits and punctuation, no spaces or other characters: check what you pasted.'
        : '';
    $('signin-error').textContent = wrong;
    $('signin-error').hidden = !wrong;
    if (!wrong) signIn(key);
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
