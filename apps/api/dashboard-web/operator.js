// Operators' tools on the dashboard: upload a green-power forecast (preview on the capacity and
// green chart, then importGreenForecast in one transaction), revise the green supply (what the
// cluster really gets; the SLAs that broke, by hour) and set capacity for maintenance
// (setCapacity, listing the conflicting bookings when refused). For the cluster selected above.
import { gql } from './api.js';
import { columnOf, lineOfHour, parseForecast, supplyPoints } from './forecast-csv.js';
import { el, money, nameText, toUtcInput, utcInput, when } from './ui.js';

const IMPORT = `mutation Import($c: ID!, $f: DateTime!, $t: DateTime!, $rows: [GreenForecastRowInput!]!, $src: GreenSource) {
  importGreenForecast(clusterId: $c, from: $f, to: $t, rows: $rows, source: $src) { windowsReplaced windows { id } }
}`;
const SET_CAPACITY = `mutation SetCapacity($c: ID!, $f: DateTime!, $t: DateTime!, $p: Float!) { setCapacity(clusterId: $c, from: $f, to: $t, pflops: $p) { from to pflops } }`;
const REVISION = `id reason from to createdAt breaches bookings { bookingId breached creditAfter greenShareBefore greenShareAfter shortHours }`;
const REVISE = `mutation Revise($c: ID!, $f: DateTime!, $t: DateTime!, $mw: Float!, $why: String!) { reviseGreenSupply(clusterId: $c, from: $f, to: $t, megawatts: $mw, reason: $why) { ${REVISION} } }`;
const REVISIONS = `query Revisions($c: ID!, $f: DateTime!, $t: DateTime!) { greenRevisions(clusterId: $c, from: $f, to: $t, first: 10) { ${REVISION} } }`;

const $ = (id) => document.getElementById(id);
let ctx = null;
/** the parsed file being previewed */
let parsed = null;

export function startOperatorTools(dashboard) {
  ctx = dashboard;
  $('operator-tools').hidden = false;
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  $('maint-from').value = toUtcInput(hour + 24 * 3_600_000);
  $('maint-to').value = toUtcInput(hour + 30 * 3_600_000);
  $('forecast-file').addEventListener('change', async (ev) => {
    const f = ev.target.files?.[0];
    if (f) {
      $('forecast-text').value = await f.text();
      preview();
    }
  });
  $('forecast-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    preview();
  });
  $('forecast-save').addEventListener('click', save);
  // a range changed after the preview: the preview (and what Save sends) follows it
  for (const id of ['forecast-from', 'forecast-to'])
    $(id).addEventListener('change', () => {
      if (parsed) preview();
    });
  $('forecast-discard').addEventListener('click', () => clearPreview(''));
  // the selected cluster, whatever chose it (the select, a heat-map row, a region change)
  document.addEventListener('pflex:cluster-selected', () => {
    renderTarget();
    if (parsed) preview();
    loadRevisions().catch(() => undefined);
  });
  // a result stays only with the figures it was for
  $('maintenance-form').addEventListener('input', () => {
    $('maint-result').textContent = '';
    $('maint-conflicts').hidden = true;
  });
  $('maintenance-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    setCapacity();
  });
  $('revision-from').value = toUtcInput(hour + 3_600_000);
  $('revision-to').value = toUtcInput(hour + 7 * 3_600_000);
  $('revision-form').addEventListener('input', () => {
    $('revision-result').textContent = '';
  });
  $('revision-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    revise();
  });
  renderTarget();
  loadRevisions().catch(() => undefined);
}

function renderTarget() {
  const c = ctx.selected();
  // the tools act on the selected cluster: none without one (an operator with no cluster yet)
  $('operator-tools').hidden = !c;
  for (const id of ['forecast-target', 'maint-target', 'revision-target'])
    $(id).textContent = c ? c.name : 'no cluster';
}

// ---- forecast upload --------------------------------------------------------------------------

function showErrors(errors) {
  const box = $('forecast-errors');
  if (!errors.length) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    el(
      'p',
      {},
      `${errors.length === 50 ? '50 or more' : errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was saved:`,
    ),
    el(
      'ul',
      {},
      errors.map((e) =>
        el(
          'li',
          { dataset: { line: e.line, column: e.column ?? '' } },
          `line ${e.line}${e.column ? `, column ${e.column}${e.name ? ` (${e.name})` : ''}` : ''}: ${e.message}`,
        ),
      ),
    ),
  );
  box.hidden = false;
}

function clearPreview(summary) {
  parsed = null;
  ctx.state.preview = null;
  ctx.renderSupply();
  $('forecast-save').disabled = true;
  $('forecast-discard').hidden = true;
  $('forecast-summary').textContent = summary;
}

function preview() {
  const c = ctx.selected();
  const p = parseForecast($('forecast-text').value);
  showErrors(p.errors);
  if (p.errors.length || !c) {
    clearPreview(c ? '' : 'Select a cluster first.');
    document.body.dataset.forecast = 'invalid';
    return;
  }
  // the range defaults to the file's own span; an operator can widen it to clear more hours, before
  // or after the preview (a range set before a new file is loaded is the file's span again)
  const from = utcInput($('forecast-from').value);
  const to = utcInput($('forecast-to').value);
  const useFile = (parsed && parsed.text !== $('forecast-text').value) || !from || !to;
  const range = useFile
    ? { from: p.from, to: p.to }
    : { from: Math.min(Date.parse(from), p.from), to: Math.max(Date.parse(to), p.to) };
  $('forecast-from').value = toUtcInput(range.from);
  $('forecast-to').value = toUtcInput(range.to);
  parsed = { ...p, ...range, text: $('forecast-text').value, clusterId: c.id };
  ctx.state.preview = { clusterId: c.id, points: supplyPoints(p.rows, range.from, range.to) };
  ctx.renderSupply();
  const peak = Math.max(...ctx.state.preview.points.map((x) => x[1]));
  $('forecast-summary').textContent =
    `Preview: ${p.rows.length} window${p.rows.length === 1 ? '' : 's'} (${p.shape === 'hourly' ? 'hourly series' : 'windows'}), ` +
    `peak ${peak} MW, replacing the green windows of ${nameText(c.name)} from ${when(range.from)} to ${when(range.to)} UTC. Not saved yet.`;
  $('forecast-save').disabled = false;
  $('forecast-discard').hidden = false;
  document.body.dataset.forecast = 'preview';
}

async function save() {
  if (!parsed) return;
  // what is saved is what the page shows now: the file and the range in the fields
  preview();
  if (!parsed) return;
  $('forecast-save').disabled = true;
  try {
    const d = await gql(IMPORT, {
      c: parsed.clusterId,
      f: new Date(parsed.from).toISOString(),
      t: new Date(parsed.to).toISOString(),
      rows: parsed.rows.map((r) => ({ ...r, line: undefined })),
      src: $('forecast-source').value,
    });
    const n = d.importGreenForecast.windows.length;
    clearPreview(`Saved: ${n} window${n === 1 ? '' : 's'} posted, ${d.importGreenForecast.windowsReplaced} replaced.`);
    document.body.dataset.forecast = 'saved';
    await ctx.refresh();
  } catch (e) {
    // the API names rows[i].field, or an hour: back to the file's line (and column); a refusal of
    // the range itself points at the header
    const m = /^rows\[(\d+)\]\.(\w+)/.exec(e.extensions?.field ?? '');
    const row = m ? parsed.rows[Number(m[1])] : null;
    showErrors([
      {
        line: row?.line ?? lineOfHour(parsed, Date.parse(e.extensions?.hour ?? '')),
        column: row ? columnOf(parsed.shape, m[2]) : null,
        name: row ? parsed.columns[columnOf(parsed.shape, m[2]) - 1] : null,
        message: e.message,
      },
    ]);
    $('forecast-save').disabled = false;
    document.body.dataset.forecast = 'refused';
  }
}

// ---- maintenance ------------------------------------------------------------------------------

async function setCapacity() {
  const c = ctx.selected();
  const out = $('maint-result');
  const list = $('maint-conflicts');
  const button = $('maintenance-form').querySelector('button[type=submit]');
  // one change at a time: a double click sends it once
  if (button.disabled) return;
  list.replaceChildren();
  list.hidden = true;
  const f = utcInput($('maint-from').value);
  const t = utcInput($('maint-to').value);
  const p = $('maint-pflops').value.trim() === '' ? NaN : Number($('maint-pflops').value);
  if (!c || !f || !t || !Number.isFinite(p)) {
    out.textContent = 'Fill in from, to and PFLOPS.';
    return;
  }
  button.disabled = true;
  try {
    const d = await gql(SET_CAPACITY, { c: c.id, f, t, p });
    out.textContent = `Capacity of ${nameText(c.name)} set to ${d.setCapacity.pflops} PFLOPS from ${when(d.setCapacity.from)} to ${when(d.setCapacity.to)} UTC.`;
    await ctx.refresh();
  } catch (e) {
    out.textContent = `Refused: ${e.message.split('; conflicting bookings:')[0]}`;
    const conflicts = e.extensions?.conflictingBookings ?? [];
    if (conflicts.length) {
      list.replaceChildren(
        el('caption', {}, conflictCaption(e.extensions?.conflictingBookingCount ?? conflicts.length, conflicts.length)),
        el(
          'thead',
          {},
          el('tr', {}, [
            el('th', { scope: 'col' }, 'Booking'),
            el('th', { scope: 'col' }, 'Start (UTC)'),
            el('th', { scope: 'col' }, 'End (UTC)'),
          ]),
        ),
        el(
          'tbody',
          {},
          conflicts.map((b) =>
            el('tr', { dataset: { bookingId: b.id } }, [
              el('td', { className: 'mono' }, b.id),
              el('td', {}, when(b.startsAt)),
              el('td', {}, when(b.endsAt)),
            ]),
          ),
        ),
      );
      list.hidden = false;
    }
  } finally {
    button.disabled = false;
  }
}

// ---- supply revisions -------------------------------------------------------------------------

async function revise() {
  const c = ctx.selected();
  const out = $('revision-result');
  const f = utcInput($('revision-from').value);
  const t = utcInput($('revision-to').value);
  const mw = $('revision-mw').value.trim() === '' ? NaN : Number($('revision-mw').value);
  const why = $('revision-reason').value.trim();
  if (!c || !f || !t || !Number.isFinite(mw) || !why) {
    out.textContent = 'Fill in from, to, MW and a reason.';
    return;
  }
  try {
    const r = (await gql(REVISE, { c: c.id, f, t, mw, why })).reviseGreenSupply;
    out.textContent = `Supply of ${nameText(c.name)} set to ${mw} MW from ${when(r.from)} to ${when(r.to)} UTC: ${r.bookings.length} booking${r.bookings.length === 1 ? '' : 's'} changed, ${r.breaches} SLA${r.breaches === 1 ? '' : 's'} broken.`;
    await Promise.all([ctx.refresh(), loadRevisions()]);
  } catch (e) {
    out.textContent = `Refused: ${e.message}`;
  }
}

/** The selected cluster's last revisions around now, each with the SLAs it broke and their short hours. */
async function loadRevisions() {
  const c = ctx.selected();
  const body = $('revisions-body');
  if (!c) return body.replaceChildren();
  // whole hours, at most 93 days: the last 3 days and the next 90
  const from = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3 * 86_400_000;
  const d = await gql(REVISIONS, {
    c: c.id,
    f: new Date(from).toISOString(),
    t: new Date(from + 93 * 86_400_000).toISOString(),
  });
  const list = d.greenRevisions;
  if (!list.length) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 5, className: 'empty' }, 'No supply revisions.')));
    return;
  }
  body.replaceChildren(
    ...list.map((r) => {
      const broken = r.bookings.filter((b) => b.breached);
      return el('tr', { dataset: { revisionId: r.id } }, [
        el('td', {}, when(r.createdAt)),
        el('td', {}, `${when(r.from)} – ${when(r.to)}`),
        el('td', { className: 'name', title: r.reason }, r.reason),
        el('td', { className: 'num' }, String(r.bookings.length)),
        el(
          'td',
          {},
          broken.length
            ? el(
                'ul',
                { className: 'plain' },
                broken.map((b) =>
                  el(
                    'li',
                    { className: 'small' },
                    `${b.bookingId.slice(0, 8)}: ${Math.round(b.greenShareAfter * 100)} % green (was ${Math.round(b.greenShareBefore * 100)} %), credit ${money(b.creditAfter)}, short ${b.shortHours.map((h) => when(h)).join(', ')}`,
                  ),
                ),
              )
            : 'none',
        ),
      ]);
    }),
  );
}

/** "3 bookings would no longer fit", and which of them the list shows when it is cut. */
function conflictCaption(total, listed) {
  const head = `${total} booking${total === 1 ? '' : 's'} would no longer fit`;
  return total > listed ? `${head} (the first ${listed} by start)` : head;
}
