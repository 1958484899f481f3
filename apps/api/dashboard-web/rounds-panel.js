// The clearing rounds card of the dashboard: open rounds (requests waiting, close time), closed
// ones being cleared, and what the last cleared round placed against its first-come baseline.
import { gql } from './api.js';
import { esc, fmt, nameText, when } from './ui.js';

const $ = (id) => document.getElementById(id);

const ROUNDS_QUERY = `query Rounds {
  open: rounds(status: OPEN, first: 20) { id region pending closesAt }
  closed: rounds(status: CLOSED, first: 20) { id region pending closesAt }
  cleared: rounds(status: CLEARED, first: 1) { id region clearedAt outcome { requests placed pflopsHours gain firstCome { placed pflopsHours } } }
}`;

/** Open and clearing rounds (requests waiting, close time) and what the last cleared round won over first-come. */
export async function loadRounds() {
  const d = await gql(ROUNDS_QUERY);
  const region = (r) => (r.region == null ? 'whole fleet' : r.region);
  const row = (r, note) =>
    `<tr><td class="name">${esc(region(r))}</td><td class="num">${fmt(r.pending, 0)}</td><td>${esc(when(r.closesAt) + note)}</td></tr>`;
  const open = [...d.closed.map((r) => row(r, ' (closed: clearing)')), ...d.open.map((r) => row(r, ''))];
  $('rounds-body').innerHTML = open.length
    ? open.join('')
    : '<tr><td colspan="3" class="muted">no round is open</td></tr>';
  const last = d.cleared[0];
  const o = last?.outcome;
  $('rounds-last').textContent = o
    ? `Last cleared (${last.region == null ? 'whole fleet' : nameText(last.region)}, ${when(last.clearedAt)}): ${fmt(o.placed, 0)} of ${fmt(o.requests, 0)} requests, ${fmt(o.pflopsHours, 0)} PFLOPS·h, ` +
      `first-come ${fmt(o.firstCome.placed, 0)} and ${fmt(o.firstCome.pflopsHours, 0)} PFLOPS·h` +
      (o.gain == null ? '' : ` · pooling won ${fmt(o.gain, 2)}×`)
    : 'No round has cleared yet.';
}
