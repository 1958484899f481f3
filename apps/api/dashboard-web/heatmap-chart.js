// The dashboard's utilization heat map as an ECharts option: a row per cluster in view, a column
// per hour from `from`, day labels at midnight (UTC), names as text in the tooltip.
import { esc, fmt, nameText, pct, when } from './ui.js';

const HOUR = 3_600_000;
const hourFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: '2-digit', month: 'short', hour: '2-digit' });

/** A cluster's name, shortened for a row label. */
export function shortName(name) {
  return name.replace(' Intelligent Computing Center', ' ICC');
}

/**
 * The option for `days` days of hours from `from` (ms), rows `shown` (clusters), cells from
 * `util` (cluster id -> utilization rows), laid out for a chart `width` px wide; `region` and
 * `role` word the empty state.
 */
export function heatmapOption({ from, days, shown, util, width, region, role }) {
  const hours = days * 24;
  const xs = [];
  for (let i = 0; i < hours; i++) xs.push(hourFmt.format(new Date(from + i * HOUR)) + 'h');
  const data = [];
  shown.forEach((c, y) => {
    (util.get(c.id) ?? []).forEach((r, x) => data.push([x, y, Math.round(r.utilization * 1000) / 10]));
  });
  const names = shown.map((c) => shortName(c.name));
  // narrow screens: a narrower name column, and a day label only where there is room for one
  const left = width < 640 ? 96 : 190;
  const perDay = Math.max(1, (width - left - 24) / days);
  // a day's label at its midnight (UTC), every stepHours / 24 days
  const stepHours = Math.ceil(56 / perDay) * 24;
  const firstMidnight = (24 - new Date(from).getUTCHours()) % 24;
  const atMidnight = (i) => i >= firstMidnight && (i - firstMidnight) % stepHours === 0;
  return {
    animation: false,
    title: shown.length
      ? { show: false }
      : {
          show: true,
          text: region ? 'No clusters in this region' : 'No clusters in view yet',
          subtext: role === 'OPERATOR' ? 'clusters registered with registerCluster appear here' : '',
          left: 'center',
          top: 'middle',
          textStyle: { fontSize: 14, fontWeight: 'normal', color: '#5b6675' },
        },
    grid: { left, right: 24, top: 8, bottom: 62 },
    tooltip: {
      formatter: (p) => {
        const c = shown[p.value[1]];
        const r = c && util.get(c.id)?.[p.value[0]];
        if (!r) return '';
        return `<b>${esc(nameText(c.name))}</b><br>${when(r.hour)} UTC<br>${fmt(r.bookedPflops)} / ${fmt(r.capacityPflops)} PFLOPS · <b>${pct(r.utilization)} %</b><br>green ${fmt(r.greenAllocatedMw, 2)} / ${fmt(r.greenAvailableMw, 2)} MW`;
      },
    },
    xAxis: {
      type: 'category',
      data: xs,
      splitArea: { show: false },
      axisLabel: { interval: atMidnight, formatter: (v) => v.slice(0, 6) },
      axisTick: { interval: atMidnight },
    },
    yAxis: { type: 'category', data: names, inverse: true, axisLabel: { width: left - 15, overflow: 'truncate' } },
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
  };
}
