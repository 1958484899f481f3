// pflex public KPI page: reads /public/kpis.json (no key) and renders a table and a chart.
// Region names come from operators: they are only ever set as text, never as HTML.
import { el, esc, fmt, money, nameText, pct } from './ui.js';

const $ = (id) => document.getElementById(id);

async function load() {
  const res = await fetch('/public/kpis.json');
  if (!res.ok)
    throw new Error(
      res.status === 429
        ? 'Too many requests from this address; try again in a minute.'
        : `The server answered HTTP ${res.status}.`,
    );
  return res.json();
}

function render(k) {
  $('public-range').textContent =
    `${new Date(k.from).toISOString().slice(0, 16).replace('T', ' ')} to ${new Date(k.to).toISOString().slice(0, 16).replace('T', ' ')} UTC · read ${new Date(k.generatedAt).toISOString().slice(11, 19)} UTC`;
  const body = $('public-body');
  body.replaceChildren(
    ...k.regions.map((r) =>
      el('tr', { dataset: { region: r.region } }, [
        el('th', { scope: 'row', className: 'name-cell', title: r.region }, r.region),
        el('td', { className: 'num' }, fmt(r.clusters, 0)),
        el('td', { className: 'num' }, fmt(r.pflopsHoursAvailable, 0)),
        el('td', { className: 'num' }, fmt(r.pflopsHoursBooked, 0)),
        el('td', { className: 'num' }, `${pct(r.utilization)} %`),
        el('td', { className: 'num' }, `${fmt(r.averageMegawattsCommitted, 2)} / ${fmt(r.peakMegawattsCommitted, 2)}`),
        el('td', { className: 'num' }, `${pct(r.greenShare)} %`),
        el('td', { className: 'num' }, money(r.voucherMoneySpent)),
      ]),
    ),
  );
  if (!k.regions.length)
    body.replaceChildren(el('tr', {}, [el('td', { colSpan: 8, className: 'empty' }, 'No clusters yet.')]));
  if (!window.echarts) return;
  const chart = window.echarts.getInstanceByDom($('public-chart')) ?? window.echarts.init($('public-chart'));
  chart.setOption({
    animation: false,
    grid: { left: 56, right: 24, top: 36, bottom: 40 },
    legend: { top: 0 },
    tooltip: {
      trigger: 'axis',
      // the region name is escaped: ECharts puts tooltip text in as HTML
      formatter: (ps) =>
        `<b>${esc(nameText(k.regions[ps[0].dataIndex]?.region ?? ''))}</b><br>` +
        ps.map((p) => `${esc(p.seriesName)}: ${fmt(p.value, 1)} %`).join('<br>'),
    },
    xAxis: { type: 'category', data: k.regions.map((r) => r.region), axisLabel: { width: 160, overflow: 'truncate' } },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value} %' } },
    series: [
      {
        name: 'Utilization',
        type: 'bar',
        data: k.regions.map((r) => Math.round(r.utilization * 1000) / 10),
        itemStyle: { color: '#2f6fed' },
      },
      {
        name: 'Green share',
        type: 'bar',
        data: k.regions.map((r) => Math.round(r.greenShare * 1000) / 10),
        itemStyle: { color: '#1f9d55' },
      },
    ],
  });
}

async function refresh() {
  try {
    render(await load());
    $('public-error').hidden = true;
    document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
  } catch (e) {
    $('public-error').textContent = e.message;
    $('public-error').hidden = false;
  }
}

function main() {
  refresh();
  setInterval(refresh, 30_000);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
