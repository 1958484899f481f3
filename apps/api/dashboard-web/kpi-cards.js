// The dashboard's KPI cards: one card's markup, and the cards of the server's kpis query.
import { esc, fmt, money, pct } from './ui.js';

export function kpiCard(label, value, unit, sub, cls = '') {
  return `<div class="kpi ${cls}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}<span class="unit">${esc(unit)}</span></div><div class="sub">${esc(sub)}</div></div>`;
}

/** Cards from the kpis query's figures; `peak`: the highest hourly utilization in the range (from utilization). */
export function serverKpiCards(k, peak) {
  const median = k.medianQuoteToBookingSeconds;
  return [
    kpiCard(
      'Utilization',
      pct(k.utilization),
      '%',
      `${fmt(k.pflopsHoursBooked, 0)} of ${fmt(k.pflopsHoursAvailable, 0)} PFLOPS·h booked · peak hour ${pct(peak, 0)} %`,
    ),
    kpiCard(
      'Power committed',
      fmt(k.peakMegawattsCommitted, 1),
      'MW peak',
      `${fmt(k.averageMegawattsCommitted, 2)} MW average · ${fmt(k.bookedEnergyMwh, 0)} MWh`,
    ),
    kpiCard(
      'Green share',
      pct(k.greenShare),
      '%',
      `${fmt(k.greenMwhUsed, 1)} of ${fmt(k.greenMwhOffered, 0)} MWh green offered`,
      'green',
    ),
    kpiCard(
      'Bookings',
      fmt(k.bookings, 0),
      '',
      `${fmt(k.startupsServed, 0)} startup${k.startupsServed === 1 ? '' : 's'} served${median == null ? '' : ` · quote→book ${fmt(median, 0)} s`}`,
    ),
    kpiCard('Vouchers spent', money(k.voucherMoneySpent), '', `${money(k.voucherMoneyLeft)} left`),
    kpiCard(
      'Green SLAs met',
      k.slaAttainment == null ? '–' : pct(k.slaAttainment),
      k.slaAttainment == null ? '' : '%',
      `${fmt(k.slaBreaches, 0)} of ${fmt(k.slaBookings, 0)} in breach · ${money(k.slaCreditsOwed)} credits · green ${fmt(k.greenMwhDelivered, 1)} of ${fmt(k.greenMwhPromised, 1)} MWh promised`,
      'green',
    ),
    kpiCard(
      'Grid drawn',
      fmt(k.gridMwhDrawn, 0),
      'MWh',
      `peak ${fmt(k.peakGridMegawatts, 1)} MW${k.peakShareOfReservedGrid == null ? '' : ` · ${pct(k.peakShareOfReservedGrid)} % of a reservation at most`}${k.valleyShare == null ? '' : ` · ${pct(k.valleyShare)} % in valley hours`}`,
    ),
  ];
}

/**
 * From the clusters' utilization rows (cluster id -> hourly rows): capacity and booked in the
 * first hour, and the highest hourly utilization of the range.
 */
export function utilizationFigures(util, hours) {
  const f = { capNow: 0, bookedNow: 0, peak: 0 };
  for (let i = 0; i < hours; i++) {
    let c = 0;
    let b = 0;
    for (const rows of util.values()) {
      if (rows[i]) {
        c += rows[i].capacityPflops;
        b += rows[i].bookedPflops;
      }
    }
    if (i === 0) {
      f.capNow = c;
      f.bookedNow = b;
    }
    if (c > 0) f.peak = Math.max(f.peak, b / c);
  }
  return f;
}

/** The dashboard's cards: booked now (from utilization), then the kpis query's figures `k`. */
export function dashboardKpiCards(util, hours, k) {
  const { capNow, bookedNow, peak } = utilizationFigures(util, hours);
  return [
    kpiCard(
      'Booked now',
      fmt(bookedNow, 1),
      'PFLOPS',
      `of ${fmt(capNow, 0)} PFLOPS capacity (${pct(capNow ? bookedNow / capNow : 0)} %)`,
    ),
    ...serverKpiCards(k, peak),
  ];
}
