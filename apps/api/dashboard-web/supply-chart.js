// The capacity chart of one cluster: capacity and booked PFLOPS, green supply and allocation, the
// grid its bookings draw and, behind a site, the site's grid drawn and reserved; plus an
// operator's forecast being previewed. Hours are UTC, steps cover each whole hour.
import { fmt } from './ui.js';

const HOUR = 3_600_000;
export const PREVIEW_SERIES = 'Forecast preview (MW)';
const dayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: '2-digit', month: 'short' });

/** The ECharts option for `rows` (utilization hours of one cluster); `preview`: [ms, MW] points or null. */
export function supplyOption(rows, preview) {
  const t = (r) => new Date(r.hour).getTime();
  // a point at the end of the last hour so steps cover the whole range
  const last = rows.length ? t(rows[rows.length - 1]) + HOUR : 0;
  const points = (pick) => {
    const pts = rows.map((r) => [t(r), pick(r)]);
    if (rows.length) pts.push([last, pick(rows[rows.length - 1])]);
    return pts;
  };
  /** one stepped line: on the PFLOPS axis, or the MW axis when `mw` */
  const step = (name, data, mw, style = {}) => ({
    name,
    type: 'line',
    step: 'end',
    showSymbol: false,
    ...(mw ? { yAxisIndex: 1 } : {}),
    ...style,
    data,
  });
  // the grid its site has reserved, where it has one (a cluster without a site draws uncapped)
  const sited = rows.some((r) => r.siteGridDrawnMw != null);
  const series = [
    step(
      'Capacity (PFLOPS)',
      points((r) => r.capacityPflops),
      false,
      { lineStyle: { type: 'dashed', width: 2 } },
    ),
    step(
      'Booked (PFLOPS)',
      points((r) => r.bookedPflops),
      false,
      { areaStyle: { opacity: 0.35 } },
    ),
    step(
      'Green available (MW)',
      points((r) => r.greenAvailableMw),
      true,
      {
        lineStyle: { width: 1 },
        areaStyle: { opacity: 0.18 },
      },
    ),
    step(
      'Green allocated (MW)',
      points((r) => r.greenAllocatedMw),
      true,
      {
        lineStyle: { width: 2 },
        areaStyle: { opacity: 0.45 },
      },
    ),
    step(
      'Grid drawn (MW)',
      points((r) => r.gridDrawnMw),
      true,
      { lineStyle: { width: 2 } },
    ),
  ];
  if (sited) {
    series.push(
      step(
        'Site grid drawn (MW)',
        points((r) => r.siteGridDrawnMw),
        true,
        { lineStyle: { width: 1 } },
      ),
      step(
        'Site grid reserved (MW)',
        points((r) => r.siteGridReservedMw),
        true,
        {
          lineStyle: { width: 2, type: 'dashed' },
        },
      ),
    );
  }
  if (preview) {
    series.push(
      step(PREVIEW_SERIES, preview, true, {
        lineStyle: { width: 2, type: 'dotted', color: '#b7791f' },
        itemStyle: { color: '#b7791f' },
      }),
    );
  }
  return {
    animation: false,
    color: ['#5b6b7f', '#2f6fed', '#37b26c', '#13693a', '#c0392b', '#8e44ad', '#b03a2e'],
    grid: { left: 64, right: 64, top: 40, bottom: 64 },
    // scrolls on one line where the series names do not fit (a phone), instead of covering the axes
    legend: { top: 0, type: 'scroll', data: series.map((s) => s.name) },
    tooltip: { trigger: 'axis', axisPointer: { type: 'cross' }, valueFormatter: (v) => fmt(v, 2) },
    // hours are UTC everywhere on this page, whatever the viewer's time zone
    useUTC: true,
    xAxis: {
      type: 'time',
      axisLabel: {
        hideOverlap: true,
        formatter: (v) =>
          new Date(v).getUTCHours() === 0
            ? dayFmt.format(new Date(v))
            : `${String(new Date(v).getUTCHours()).padStart(2, '0')}:00`,
      },
    },
    yAxis: [
      { type: 'value', name: 'PFLOPS', min: 0, axisLabel: { formatter: (v) => fmt(v, 0) } },
      { type: 'value', name: 'MW', min: 0, splitLine: { show: false }, axisLabel: { formatter: (v) => fmt(v, 1) } },
    ],
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
    series,
  };
}
