// The startup console's quotes side by side: a row per figure, a column per objective, the cells
// that differ highlighted and the best of each row starred, and Book / Submit to round under each.
import { el, fmt, money, pct, when } from './ui.js';

export const OBJECTIVE_LABEL = { EARLIEST: 'Earliest start', GREENEST: 'Greenest', CHEAPEST: 'Cheapest' };

/** Rows of the comparison: label, value of a placement, text, and which way is better. */
const ROWS = [
  ['Cluster', (p) => p.clusterName, (v) => v, null],
  ['Start (UTC)', (p) => Date.parse(p.startsAt), (v) => when(v), 'min'],
  ['End (UTC)', (p) => Date.parse(p.endsAt), (v) => when(v), 'min'],
  ['Green share', (p) => p.greenShare, (v) => `${pct(v)} %`, 'max'],
  ['Green energy', (p) => p.greenMwh, (v) => `${fmt(v, 3)} MWh`, 'max'],
  ['Total energy', (p) => p.energyMwh, (v) => `${fmt(v, 3)} MWh`, null],
  ['Price', (p) => p.price.total, (v) => money(v), 'min'],
  // not ranked: a larger cover of a dearer option is no better (the price after it is)
  ['Voucher cover', (p) => p.price.voucher, (v) => money(v), null],
  ['Price after voucher', (p) => p.price.totalAfterVoucher, (v) => money(v), 'min'],
];

export function renderQuotesTable(table, quotes, { book, submitToRound }) {
  const avail = quotes.filter((q) => q.available);
  const sameRefusal =
    avail.length === 0 && new Set(quotes.map((q) => `${q.reason}\u0000${q.message}`)).size === 1 && quotes.length > 1;
  const head = el('tr', {}, [
    el('th', { scope: 'col' }, el('span', { className: 'visually-hidden' }, 'Figure')),
    ...quotes.map((q) => el('th', { scope: 'col', dataset: { objective: q.objective } }, OBJECTIVE_LABEL[q.objective])),
  ]);
  const rows = ROWS.map(([label, get, show, better]) => {
    const values = avail.map((q) => get(q.placement));
    const differ = new Set(values.map(String)).size > 1;
    const best = better && values.length ? (better === 'min' ? Math.min(...values) : Math.max(...values)) : null;
    return el('tr', { className: differ ? 'differs' : '' }, [
      el('th', { scope: 'row' }, label),
      ...quotes.map((q) => {
        if (!q.available) return el('td', { className: 'muted' }, '–');
        const v = get(q.placement);
        const isBest = differ && best !== null && v === best;
        return el(
          'td',
          {
            className: [differ ? 'diff' : '', isBest ? 'best' : '', label === 'Cluster' ? 'name' : ''].join(' ').trim(),
            title: label === 'Cluster' ? v : undefined,
          },
          [show(v), isBest ? el('span', { className: 'visually-hidden' }, ' (best)') : null],
        );
      }),
    ]);
  });
  const actions = el('tr', { className: 'actions' }, [
    el('th', { scope: 'row' }, el('span', { className: 'visually-hidden' }, 'Book')),
    ...quotes.map((q) =>
      el(
        'td',
        { dataset: { objective: q.objective } },
        q.available
          ? [
              el(
                'button',
                {
                  type: 'button',
                  dataset: { book: q.objective },
                  attrs: { 'aria-label': `Book the ${OBJECTIVE_LABEL[q.objective].toLowerCase()} option` },
                  on: { click: () => book(q.objective) },
                },
                'Book',
              ),
              ' ',
              el(
                'button',
                {
                  type: 'button',
                  className: 'secondary',
                  dataset: { round: q.objective },
                  attrs: { 'aria-label': `Submit to round: ${OBJECTIVE_LABEL[q.objective].toLowerCase()}` },
                  on: { click: () => submitToRound(q.objective) },
                },
                'Submit to round',
              ),
              el('p', {
                className: 'book-status small',
                id: `book-status-${q.objective}`,
                attrs: { 'aria-live': 'polite' },
              }),
            ]
          : el('p', { className: 'refusal small' }, [
              el('strong', {}, q.reason ?? 'Not available'),
              // the same refusal under every objective is said once, under the first
              ...(sameRefusal && q !== quotes[0] ? [] : [el('br'), q.message ?? '']),
            ]),
      ),
    ),
  ]);
  table.replaceChildren(
    el(
      'caption',
      { className: 'visually-hidden' },
      'Quotes under each objective; differences highlighted, the best of each row marked',
    ),
    el('thead', {}, head),
    // nothing to compare when every objective was refused: only the refusals
    el('tbody', {}, avail.length === 0 ? [actions] : [...rows, actions]),
  );
}
