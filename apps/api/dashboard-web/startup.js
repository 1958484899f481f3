// The startup's console: a request form checked as the API checks it, the three objective quotes
// side by side, booking with an idempotency key made here and reused on every retry (or submitting
// to the open clearing round), the startup's bookings and round requests live (bookingEvents), its
// vouchers and its access-rule headroom.
import { allNodes, gql, LIST_CAP, retryable, startLive } from './api.js';
import { FIELD_INPUT, readForm, showFieldErrors, validate } from './request-form.js';
import { OBJECTIVE_LABEL, renderQuotesTable } from './quotes-table.js';
import { loadWallet } from './wallet-panel.js';
import { el, fmt, money, moreRow, nameText, pct, toUtcInput, when } from './ui.js';

const HOUR = 3_600_000;
const POLL_MS = 10_000;
const OBJECTIVES = ['EARLIEST', 'GREENEST', 'CHEAPEST'];
const BOOK_ATTEMPTS = 4;

const PLACEMENT = `clusterId clusterName startsAt endsAt hours pflops greenShare greenMwh gridMwh energyMwh powerMw voucherId
  price { compute greenEnergy gridEnergy total voucher totalAfterVoucher }`;
const BOOKING = `id clusterId clusterName status startsAt endsAt hours pflops greenShare energyMwh objective price { total voucher totalAfterVoucher }`;
const QUOTES = `query Quotes($r: ComputeRequestInput!) { quotes(request: $r) { objective available reason message placement { ${PLACEMENT} } } }`;
const BOOK = `mutation Book($r: ComputeRequestInput!, $o: Objective!, $k: String!) { bookCompute(request: $r, objective: $o, idempotencyKey: $k) { ${BOOKING} } }`;
const CANCEL = `mutation Cancel($id: ID!) { cancelBooking(id: $id) { ${BOOKING} } }`;
const MINE = `query Mine($f: BookingFilterInput, $a: String) { bookings(first: 100, filter: $f, after: $a) { edges { node { ${BOOKING} } } pageInfo { hasNextPage endCursor } } }`;
const EVENTS = `subscription MyBookings { bookingEvents { type booking { ${BOOKING} } roundRequest { id } } }`;
const ROUND_REQUEST = `id status pflops hours objective submittedAt reason message booking { clusterName startsAt }`;
const SUBMIT = `mutation Submit($r: ComputeRequestInput!, $o: Objective!, $k: String!) { submitRoundRequest(request: $r, objective: $o, idempotencyKey: $k) { ${ROUND_REQUEST} } }`;
const WITHDRAW = `mutation Withdraw($id: ID!) { withdrawRoundRequest(id: $id) { ${ROUND_REQUEST} } }`;
const MY_ROUNDS = `query MyRounds($a: String) { roundRequests(first: 100, after: $a) { edges { node { ${ROUND_REQUEST} } } pageInfo { hasNextPage endCursor } } }`;

const $ = (id) => document.getElementById(id);
const s = {
  me: null,
  clusters: [],
  request: null,
  quotes: [],
  /** objective -> idempotency key of the quotes shown */
  keys: new Map(),
  /**
   * request and objective -> its idempotency key, kept over new quotes of the same request until a
   * booking with it is confirmed: a booking in flight, or one whose answer was lost, is never
   * made twice by quoting again and clicking Book
   */
  openKeys: new Map(),
  /** idempotency key -> promise of a booking in flight (a second click joins it) */
  inflight: new Map(),
  bookings: new Map(),
  /** round request id -> round request */
  rounds: new Map(),
};

export async function startStartupConsole({ me, setLive }) {
  s.me = me;
  const d = await gql('query Clusters { clusters(first: 100) { edges { node { id name region } } } }');
  s.clusters = d.clusters.edges.map((e) => e.node);
  renderClusterChoice();
  const start = Math.floor(Date.now() / HOUR) * HOUR + HOUR;
  $('req-start').value = toUtcInput(start);
  $('req-deadline').value = toUtcInput(start + 48 * HOUR);
  $('req-start').min = toUtcInput(start - HOUR);
  for (const id of ['req-pflops', 'req-hours', 'req-start', 'req-deadline', 'req-green']) {
    $(id).addEventListener('input', () => showFieldErrors(validate(readForm()).errors, true));
  }
  $('request-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    quote();
  });
  // a revoked key: say so, and stop the live updates and polling that can only fail from now on
  document.addEventListener('pflex:unauthenticated', () => {
    showBanner('error-banner', 'Your API key is no longer accepted; sign in again.');
    s.stopLive?.();
    setLive('stopped', 'stopped: key refused');
  });
  // quotes shown for another request than the form's now would book that other request
  $('request-form').addEventListener('input', () => {
    if (s.inflight.size === 0) $('quotes-card').hidden = true;
  });
  await Promise.all([loadBookings(), loadWallet(s.me.id), loadRoundRequests()]);
  goLive(setLive);
}

// ---- the request form -------------------------------------------------------------------------

function renderClusterChoice() {
  const box = $('req-clusters');
  box.replaceChildren(
    ...s.clusters.map((c, i) =>
      el('label', { className: 'check' }, [
        el('input', { type: 'checkbox', value: c.id, id: `req-cluster-${i}`, name: 'clusterIds' }),
        el('span', { className: 'name', title: c.name }, c.name),
        el('span', { className: 'muted small name', title: c.region }, ` · ${c.region}`),
      ]),
    ),
  );
}

/** Shows each field's message under it; `touchedOnly`: only for fields with a value typed in. */

// ---- quotes ---------------------------------------------------------------------------------

async function quote() {
  // not while a booking runs: its outcome is shown with the quotes it was made from
  if (s.inflight.size > 0) return;
  const r = readForm();
  const v = validate(r);
  showFieldErrors(v.errors);
  $('quote-error').hidden = true;
  if (!v.ok) {
    $(FIELD_INPUT[Object.keys(v.errors)[0]]).focus();
    return;
  }
  $('quote-submit').disabled = true;
  try {
    const d = await gql(QUOTES, { r });
    s.request = r;
    s.quotes = OBJECTIVES.map((o) => d.quotes.find((q) => q.objective === o)).filter(Boolean);
    // the key of this request and objective while none of its bookings is confirmed, else a
    // fresh one (booking the same request again is then a new booking)
    s.keys = new Map(
      OBJECTIVES.map((o) => {
        const at = `${JSON.stringify(r)}|${o}`;
        if (!s.openKeys.has(at)) s.openKeys.set(at, `console-${crypto.randomUUID()}`);
        return [o, s.openKeys.get(at)];
      }),
    );
    renderQuotes();
  } catch (e) {
    const field = /^request\.(\w+)/.exec(e.extensions?.field ?? '')?.[1];
    if (field && FIELD_INPUT[field]) showFieldErrors({ [field]: e.message });
    else showBanner('quote-error', `Could not get quotes: ${e.message}`);
  } finally {
    $('quote-submit').disabled = false;
  }
}

function renderQuotes() {
  renderQuotesTable($('quotes-table'), s.quotes, { book, submitToRound });
  $('quotes-card').hidden = false;
  document.body.dataset.quotes = String(Number(document.body.dataset.quotes ?? 0) + 1);
}

// ---- booking --------------------------------------------------------------------------------

/** Books one quote's objective; a second click while it runs joins the same attempt. */
function book(objective) {
  const key = s.keys.get(objective);
  if (s.inflight.has(key)) return s.inflight.get(key);
  $('quote-submit').disabled = true;
  const run = bookWithRetries(objective, key).finally(() => {
    s.inflight.delete(key);
    if (s.inflight.size === 0) $('quote-submit').disabled = false;
  });
  s.inflight.set(key, run);
  return run;
}

async function bookWithRetries(objective, key) {
  const button = document.querySelector(`button[data-book="${objective}"]`);
  const status = $(`book-status-${objective}`);
  button.disabled = true;
  status.textContent = 'Booking…';
  for (let attempt = 1; ; attempt++) {
    try {
      const d = await gql(BOOK, { r: s.request, o: objective, k: key });
      const b = d.bookCompute;
      upsertBooking(b);
      // confirmed: quoting this request again makes a new booking, with a new key
      for (const [at, k] of s.openKeys) if (k === key) s.openKeys.delete(at);
      status.textContent = `Booked on ${nameText(b.clusterName)}, starts ${when(b.startsAt)} UTC`;
      button.textContent = 'Booked';
      button.setAttribute('aria-label', `Booked: the ${OBJECTIVE_LABEL[objective].toLowerCase()} option`);
      button.dataset.bookingId = b.id;
      return b;
    } catch (e) {
      if (retryable(e) && attempt < BOOK_ATTEMPTS) {
        status.textContent = `Connection problem (${e.code}); retrying with the same key…`;
        await new Promise((r) => setTimeout(r, 400 * attempt));
        continue;
      }
      // the same key again: if an earlier attempt did land, the API answers that booking
      status.textContent = retryable(e)
        ? `Not known whether it was booked: ${e.message}. Book again to find out: the same key is sent, so this option cannot be booked twice.`
        : `Not booked: ${e.message}`;
      // a refusal that names an access rule: the headroom beside it must be the one it was judged by
      if (e.code === 'QUOTA_EXCEEDED') loadWallet(s.me.id).catch(() => undefined);
      button.disabled = false;
      return null;
    }
  }
}

// ---- clearing rounds ---------------------------------------------------------------------------

/** Pools the request in the open round (its region's, else the fleet's) under the quote's key: a retry never submits twice. */
async function submitToRound(objective) {
  const button = document.querySelector(`button[data-round="${objective}"]`);
  const status = $(`book-status-${objective}`);
  button.disabled = true;
  try {
    const d = await gql(SUBMIT, { r: s.request, o: objective, k: `round-${s.keys.get(objective)}` });
    status.textContent = 'Submitted to the round: placed when it closes';
    upsertRoundRequest(d.submitRoundRequest);
  } catch (e) {
    status.textContent = `Not submitted: ${e.message}`;
    button.disabled = false;
  }
}

async function loadRoundRequests() {
  const { nodes, more } = await allNodes(MY_ROUNDS, {}, (d) => d.roundRequests);
  s.rounds = new Map(nodes.map((n) => [n.id, n]));
  s.roundsMore = more;
  renderRoundRequests();
}

function upsertRoundRequest(r) {
  s.rounds.set(r.id, r);
  renderRoundRequests();
}

function renderRoundRequests() {
  renderRoundRows();
  if (s.roundsMore) $('my-rounds-body').append(moreRow(7, LIST_CAP));
}

function renderRoundRows() {
  const body = $('my-rounds-body');
  const list = [...s.rounds.values()].sort((a, b) => Date.parse(b.submittedAt) - Date.parse(a.submittedAt));
  if (!list.length) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 7, className: 'empty' }, 'No round requests.')));
    return;
  }
  body.replaceChildren(
    ...list.map((r) =>
      el('tr', { dataset: { roundRequestId: r.id, status: r.status } }, [
        el('td', {}, when(r.submittedAt)),
        el('td', { className: 'num' }, fmt(r.pflops, 3)),
        el('td', { className: 'num' }, `${r.hours} h`),
        el('td', {}, OBJECTIVE_LABEL[r.objective]),
        el('td', {}, r.status.toLowerCase()),
        el(
          'td',
          { className: 'name' },
          r.booking
            ? `${nameText(r.booking.clusterName)}, ${when(r.booking.startsAt)}`
            : r.reason
              ? `${r.reason}: ${r.message ?? ''}`
              : '',
        ),
        el(
          'td',
          {},
          r.status === 'PENDING'
            ? el(
                'button',
                {
                  type: 'button',
                  className: 'secondary',
                  attrs: { 'aria-label': `Withdraw the round request of ${fmt(r.pflops, 3)} PFLOPS for ${r.hours} h` },
                  on: { click: (ev) => withdraw(r.id, ev.currentTarget) },
                },
                'Withdraw',
              )
            : '',
        ),
      ]),
    ),
  );
}

async function withdraw(id, button) {
  button.disabled = true;
  try {
    upsertRoundRequest((await gql(WITHDRAW, { id })).withdrawRoundRequest);
    showBanner('rounds-error', '');
  } catch (e) {
    showBanner('rounds-error', `Could not withdraw: ${e.message}`);
    button.disabled = false;
  }
}

// ---- the startup's bookings -------------------------------------------------------------------

async function loadBookings() {
  const { nodes, more } = await allNodes(MINE, { f: { from: new Date().toISOString() } }, (d) => d.bookings);
  s.bookings = new Map(nodes.map((n) => [n.id, n]));
  s.bookingsMore = more;
  renderBookings();
}

function upsertBooking(b) {
  s.bookings.set(b.id, b);
  renderBookings();
  // a quote booked and then cancelled (here or elsewhere) says so; a new booking needs new quotes
  const button = document.querySelector(`button[data-booking-id="${CSS.escape(b.id)}"]`);
  if (button && b.status === 'CANCELLED') {
    button.textContent = 'Cancelled';
    button.setAttribute('aria-label', 'Cancelled: get quotes again to book anew');
    const status = $(`book-status-${button.dataset.book}`);
    if (status) status.textContent = 'Cancelled; get quotes again to book anew';
  }
}

function renderBookings() {
  renderBookingRows();
  if (s.bookingsMore) $('my-bookings-body').append(moreRow(8, LIST_CAP));
}

function renderBookingRows() {
  const now = Date.now();
  const list = [...s.bookings.values()]
    .filter((b) => Date.parse(b.endsAt) > now)
    .sort((a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt));
  const body = $('my-bookings-body');
  if (!list.length) {
    body.replaceChildren(
      el('tr', {}, el('td', { colSpan: 8, className: 'empty' }, 'No current or upcoming bookings.')),
    );
    return;
  }
  body.replaceChildren(
    ...list.map((b) => {
      const cancellable = b.status === 'CONFIRMED' && Date.parse(b.startsAt) > now;
      return el(
        'tr',
        { dataset: { bookingId: b.id, status: b.status }, className: b.status === 'CANCELLED' ? 'cancelled' : '' },
        [
          el('td', {}, when(b.startsAt)),
          el('td', { className: 'name', title: b.clusterName }, b.clusterName),
          el('td', { className: 'num' }, fmt(b.pflops, 3)),
          el('td', { className: 'num' }, `${b.hours} h`),
          el('td', { className: 'num' }, `${pct(b.greenShare, 0)} %`),
          el('td', { className: 'num' }, money(b.price.totalAfterVoucher)),
          el('td', {}, b.status === 'CONFIRMED' ? 'confirmed' : 'cancelled'),
          el(
            'td',
            {},
            cancellable
              ? el(
                  'button',
                  {
                    type: 'button',
                    className: 'secondary',
                    dataset: { cancel: b.id },
                    attrs: {
                      'aria-label': `Cancel the booking on ${nameText(b.clusterName)} starting ${when(b.startsAt)}`,
                    },
                    on: { click: (ev) => cancel(b.id, ev.currentTarget) },
                  },
                  'Cancel',
                )
              : '',
          ),
        ],
      );
    }),
  );
}

async function cancel(id, button) {
  button.disabled = true;
  try {
    const d = await gql(CANCEL, { id });
    upsertBooking(d.cancelBooking);
    showBanner('bookings-error', '');
    loadWallet(s.me.id);
  } catch (e) {
    button.disabled = false;
    showBanner('bookings-error', `Could not cancel: ${e.message}`);
  }
}

// ---- live -----------------------------------------------------------------------------------

function goLive(setLive) {
  s.stopLive = startLive({
    onMode: (mode, why) => {
      if (mode === 'subscription') {
        setLive('subscription', 'live');
        $('live').title = 'live: bookings and round results arrive as they happen';
        return;
      }
      setLive('polling', `polling every ${POLL_MS / 1000} s`);
      $('live').title = `no live subscription (${why}); the page reloads its data every ${POLL_MS / 1000} s`;
    },
    pollMs: POLL_MS,
    // what events would have said: the bookings, the round requests and the wallet
    reload: () =>
      Promise.all([loadBookings(), loadRoundRequests(), loadWallet(s.me.id)]).then(
        () => showBanner('error-banner', ''),
        (e) => {
          if (e.code === 'UNAUTHENTICATED')
            showBanner('error-banner', 'Your API key is no longer accepted; sign in again.');
        },
      ),
    subscribe: (client, fail) =>
      client.subscribe(
        { query: EVENTS },
        {
          next: (msg) => {
            if (msg.errors?.length) return fail(msg.errors);
            const e = msg.data?.bookingEvents;
            // a round's outcome (CONFIRMED with a booking, or REFUSED): reload the round requests
            if (e?.roundRequest) loadRoundRequests().catch(() => undefined);
            const b = e?.booking;
            if (!b) return;
            upsertBooking(b);
            document.body.dataset.bookingEvents = String(Number(document.body.dataset.bookingEvents ?? 0) + 1);
            loadWallet(s.me.id).catch(() => undefined);
          },
          error: fail,
          complete: () => undefined,
        },
      ),
  });
}

function showBanner(id, msg) {
  $(id).textContent = msg;
  $(id).hidden = !msg;
}
