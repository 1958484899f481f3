// Reads a green-power forecast file for importGreenForecast. Two shapes, chosen by the header:
//   start,end,megawatts,pricePerMwh   one window per line, [start, end)
//   hour,megawatts,pricePerMwh        an hourly series (one line per hour)
// Times are ISO 8601 with a zone (2026-12-01T08:00:00Z or +08:00) on whole hours. Consecutive
// hours of equal MW and price become one window. Every problem is reported with its line and
// column (1-based, as an editor shows them); nothing is kept from a file with any error.

const HOUR = 3_600_000;
export const MAX_ROWS = 93 * 24;
const MAX_ERRORS = 50;
const SHAPES = {
  windows: ['start', 'end', 'megawatts', 'pricepermwh'],
  hourly: ['hour', 'megawatts', 'pricepermwh'],
};
const ALIASES = {
  startsat: 'start',
  endsat: 'end',
  mw: 'megawatts',
  price: 'pricepermwh',
  price_per_mwh: 'pricepermwh',
};

const decimals = (x) => {
  const [m, e = '0'] = String(Math.abs(x)).split('e');
  return Math.max(0, (m.split('.')[1]?.length ?? 0) - Number(e));
};

/**
 * @returns {{ shape: string|null, columns: string[], rows: { startsAt: string, endsAt: string, megawatts: number, pricePerMwh: number, line: number }[],
 *   errors: { line: number, column: number|null, name: string|null, message: string }[], from: number|null, to: number|null,
 *   headerLine: number, spans: [number, number, number][] }}
 *   (`spans`: each line's [start, end) in epoch ms and its line number, for lineOfHour)
 */
export function parseForecast(text) {
  const out = { shape: null, columns: [], rows: [], errors: [], from: null, to: null, headerLine: 1, spans: [] };
  const err = (line, column, message) => {
    if (out.errors.length < MAX_ERRORS)
      out.errors.push({ line, column, name: column ? (out.columns[column - 1] ?? null) : null, message });
  };
  const lines = String(text)
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  let i = 0;
  while (i < lines.length && (lines[i].trim() === '' || lines[i].trim().startsWith('#'))) i++;
  if (i >= lines.length) {
    err(
      1,
      null,
      'the file is empty: expected a header line start,end,megawatts,pricePerMwh or hour,megawatts,pricePerMwh',
    );
    return out;
  }
  out.headerLine = i + 1;
  const header = lines[i].split(',').map((h) => h.trim());
  const norm = header.map((h) => ALIASES[h.toLowerCase()] ?? h.toLowerCase());
  out.shape =
    Object.keys(SHAPES).find((k) => SHAPES[k].length === norm.length && SHAPES[k].every((c, j) => norm[j] === c)) ??
    null;
  out.columns = header;
  if (!out.shape) {
    err(
      i + 1,
      null,
      `the header must be start,end,megawatts,pricePerMwh or hour,megawatts,pricePerMwh, got ${header.join(',').slice(0, 80)}`,
    );
    return out;
  }
  const hourly = out.shape === 'hourly';
  const parsed = [];
  for (let n = i + 1; n < lines.length; n++) {
    const raw = lines[n];
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const line = n + 1;
    const cells = raw.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      err(line, null, `expected ${header.length} columns (${header.join(',')}), got ${cells.length}`);
      continue;
    }
    const time = (col) => {
      const v = cells[col - 1];
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) {
        err(
          line,
          col,
          `${header[col - 1]} must be an ISO 8601 time with a zone, like 2026-12-01T08:00:00Z, got "${v.slice(0, 40)}"`,
        );
        return null;
      }
      const t = Date.parse(v);
      // the day and time as written must exist (Date.parse moves 2026-11-31 to 1 December)
      const [y, mo, d, h, mi] = [v.slice(0, 4), v.slice(5, 7), v.slice(8, 10), v.slice(11, 13), v.slice(14, 16)].map(
        Number,
      );
      const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
      if (!Number.isFinite(t) || mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59)
        return (err(line, col, `${header[col - 1]} is not a valid date, got "${v.slice(0, 40)}"`), null);
      if (t % HOUR !== 0) return (err(line, col, `${header[col - 1]} must be on a whole hour, got ${v}`), null);
      return t;
    };
    const number = (col, min, max, places) => {
      const v = cells[col - 1];
      // plain decimals only: Number() also reads 0x10, 0b1, 1e3 and the empty string
      const x = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(x))
        return (err(line, col, `${header[col - 1]} must be a number, got "${v.slice(0, 40)}"`), null);
      if (x < min) return (err(line, col, `${header[col - 1]} must not be less than ${min}, got ${v}`), null);
      if (x > max) return (err(line, col, `${header[col - 1]} must not be greater than ${max}, got ${v}`), null);
      if (places !== undefined && decimals(x) > places)
        return (err(line, col, `${header[col - 1]} must have at most ${places} decimals, got ${v}`), null);
      return x;
    };
    const s = time(1);
    const e = hourly ? (s === null ? null : s + HOUR) : time(2);
    const mw = number(hourly ? 2 : 3, 0, 2000, 3);
    const price = number(hourly ? 3 : 4, 0, 100_000);
    if (s === null || e === null || mw === null || price === null) continue;
    if (e <= s) {
      err(line, 2, `${header[1]} must be after ${header[0]}`);
      continue;
    }
    parsed.push({ s, e, mw, price, line });
  }
  if (parsed.length === 0 && out.errors.length === 0) err(i + 2, null, 'no forecast lines after the header');
  if (hourly) {
    parsed.sort((a, b) => a.s - b.s);
    for (let k = 1; k < parsed.length; k++)
      if (parsed[k].s === parsed[k - 1].s)
        err(
          parsed[k].line,
          1,
          `${header[0]} ${new Date(parsed[k].s).toISOString()} appears twice (first on line ${parsed[k - 1].line})`,
        );
  }
  if (out.errors.length) return out;
  out.spans = parsed.map((r) => [r.s, r.e, r.line]);
  // consecutive hours with the same figures travel as one window
  const merged = [];
  for (const r of parsed) {
    const last = merged[merged.length - 1];
    if (hourly && last && last.e === r.s && last.mw === r.mw && last.price === r.price) last.e = r.e;
    else merged.push({ ...r });
  }
  if (merged.length > MAX_ROWS) {
    err(
      merged[MAX_ROWS].line,
      null,
      `at most ${MAX_ROWS} windows per import (93 days of hourly values); split the file`,
    );
    return out;
  }
  out.rows = merged.map((r) => ({
    startsAt: new Date(r.s).toISOString(),
    endsAt: new Date(r.e).toISOString(),
    megawatts: r.mw,
    pricePerMwh: r.price,
    line: r.line,
  }));
  out.from = Math.min(...merged.map((r) => r.s));
  out.to = Math.max(...merged.map((r) => r.e));
  return out;
}

/** The line of the file whose hours cover epoch ms `t` (an API error naming an hour), else the header's. */
export function lineOfHour(p, t) {
  const span = Number.isFinite(t) ? p.spans.find(([s, e]) => s <= t && t < e) : undefined;
  return span ? span[2] : p.headerLine;
}

/** The column (1-based) of an API field name (rows[i].megawatts) in this file's shape. */
export function columnOf(shape, field) {
  const k = { startsAt: 'start', endsAt: 'end', megawatts: 'megawatts', pricePerMwh: 'pricepermwh' }[field];
  if (shape === 'hourly' && k === 'start') return 1;
  if (shape === 'hourly' && k === 'end') return 1;
  const i = SHAPES[shape]?.indexOf(k) ?? -1;
  return i >= 0 ? i + 1 : null;
}

/** MW per hour over [from, to) after the import: the sum of the rows covering each hour. */
export function supplyPoints(rows, from, to) {
  const n = Math.round((to - from) / HOUR);
  const mw = new Float64Array(Math.max(0, n));
  for (const r of rows) {
    const a = Math.max(0, Math.round((Date.parse(r.startsAt) - from) / HOUR));
    const b = Math.min(n, Math.round((Date.parse(r.endsAt) - from) / HOUR));
    for (let k = a; k < b; k++) mw[k] += r.megawatts;
  }
  const pts = [];
  for (let k = 0; k < n; k++) pts.push([from + k * HOUR, Math.round(mw[k] * 1000) / 1000]);
  if (n > 0) pts.push([to, pts[n - 1][1]]);
  return pts;
}
