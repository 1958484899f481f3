// Shared helpers of the console and the public page: number and time formats, HTML escaping for
// the few places that must build HTML (ECharts tooltips), and `el`, which builds elements whose
// text is always text: names from organizations and operators never become markup.

const nf = (digits) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
export const fmt = (v, digits = 1) => (Number.isFinite(v) ? nf(digits).format(v) : '–');
export const pct = (v, digits = 1) => (Number.isFinite(v) ? `${nf(digits).format(v * 100)}` : '–');
const moneyFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
/** Money in yuan: whole cents, always two decimals (¥6,356.40). */
export const money = (v) => (Number.isFinite(v) ? `¥${moneyFmt.format(v)}` : '–');
const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'short',
  day: '2-digit',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
export const when = (iso) => timeFmt.format(new Date(iso));
export const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 * A name from an organization or an operator (cluster, region, startup) for use inside a text:
 * on one line, at most `max` characters, and isolated (FSI … PDI, its own isolate marks dropped)
 * so that right-to-left override characters in it cannot turn the text around it.
 */
export function nameText(name, max = 60) {
  let t = String(name ?? '')
    .replace(/[\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (t.length > max) t = `${t.slice(0, max - 1)}…`;
  return `\u2068${t}\u2069`;
}

/**
 * An element with properties and children. Strings become text nodes; `dataset` and `attrs`
 * objects set data-* and other attributes; `on` adds event listeners.
 */
export function el(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'attrs') for (const [a, x] of Object.entries(v)) e.setAttribute(a, String(x));
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else e[k] = v;
  }
  for (const c of Array.isArray(children) ? children : [children]) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

/** ISO string of a `datetime-local` input's value read as UTC (the console works in UTC). */
export function utcInput(value) {
  if (!value) return null;
  const t = Date.parse(`${value}:00Z`);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** A `datetime-local` value (UTC) for an epoch ms. */
export function toUtcInput(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

/** A last table row saying a list was cut at `cap` rows (api.js allNodes). */
export function moreRow(columns, cap) {
  return el(
    'tr',
    {},
    el('td', { colSpan: columns, className: 'empty' }, `The first ${cap} are shown; the API pages through the rest.`),
  );
}
