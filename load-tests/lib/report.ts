// The report tables of the load and fault runners: one formatter, markdown tables.

/** A number with thousands separators and `d` decimals: 12,345.6 */
export function fmt(n: number, d = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/**
 * A markdown table, columns padded to their widest cell. `align` per column: 'left' pads the end,
 * 'right' pads the start and marks the column `---:`; by default the first column is left and the
 * rest right (a label and its numbers).
 */
export function table(rows: string[][], align?: ('left' | 'right')[]): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const a = (i: number) => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (r: string[]) =>
    '| ' + r.map((c, i) => (a(i) === 'left' ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  const rule = '|' + w.map((x, i) => (a(i) === 'left' ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|';
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}
