import type { GridTariff } from '../../clusters/tariff';
import { gridFigures, GridRow, kpiFigures, KpiRow } from './kpi-figures';

const row = (over: Partial<KpiRow> = {}): KpiRow => ({
  clusters: 3,
  cap: 2_400_000,
  booked: 600_000,
  gsup: 20_000_000,
  galloc: 9_000_000,
  n: 7,
  startups: 2,
  wh: 36_000_000,
  voucher: 12.345,
  peak_w: 1_500_000,
  secs: 42.5,
  remaining: 0.285,
  promised: 2_500_000,
  delivered: 2_000_000,
  sla_n: 4,
  breaches: 1,
  credits: 1.005,
  ...over,
});

describe('kpiFigures: the KPI row in the API’s units', () => {
  it('converts TFLOPS-hours, W and Wh, shares and money (whole cents) over the range', () => {
    expect(kpiFigures(row(), 24)).toEqual({
      clusters: 3,
      pflopsHoursAvailable: 2400,
      pflopsHoursBooked: 600,
      utilization: 0.25,
      peakMegawattsCommitted: 1.5,
      averageMegawattsCommitted: 1.5,
      bookedEnergyMwh: 36,
      greenShare: 0.25,
      greenMwhUsed: 9,
      greenMwhOffered: 20,
      bookings: 7,
      startupsServed: 2,
      medianQuoteToBookingSeconds: 42.5,
      voucherMoneySpent: 12.35,
      voucherMoneyLeft: 0.29,
      greenMwhPromised: 2.5,
      greenMwhDelivered: 2,
      slaBookings: 4,
      slaBreaches: 1,
      slaAttainment: 0.75,
      slaCreditsOwed: 1.01,
    });
  });

  it('an empty scope: no division by zero, no SLA attainment, no median', () => {
    const f = kpiFigures(
      row({
        clusters: 0,
        cap: 0,
        booked: 0,
        gsup: 0,
        galloc: 0,
        n: 0,
        startups: 0,
        wh: 0,
        voucher: 0,
        peak_w: 0,
        secs: null,
        remaining: 0,
        promised: 0,
        delivered: 0,
        sla_n: 0,
        breaches: 0,
        credits: 0,
      }),
      1,
    );
    expect([
      f.utilization,
      f.greenShare,
      f.averageMegawattsCommitted,
      f.slaAttainment,
      f.medianQuoteToBookingSeconds,
    ]).toEqual([0, 0, 0, null, null]);
  });
});

describe('gridFigures: grid drawn, its peak, the reserved share and the valley share', () => {
  // Guangdong-like, local time UTC+8: valley 0-8 every day at 300, peak 10-12 on weekdays at 900, flat 600 otherwise
  const tou: GridTariff = {
    utcOffsetHours: 8,
    periods: [
      { name: 'valley', pricePerMwh: 300, hours: [[0, 8]], days: 'ALL' },
      { name: 'peak', pricePerMwh: 900, hours: [[10, 12]], days: 'WEEKDAYS' },
    ],
  };
  // a weekend-only valley tells weekdays from weekends (0 = Sunday, 6 = Saturday)
  const weekend: GridTariff = {
    utcOffsetHours: -5,
    periods: [{ name: 'cheap', pricePerMwh: 100, hours: [[0, 24]], days: 'WEEKENDS' }],
  };
  const g = (over: Partial<GridRow>): GridRow => ({
    wk: null,
    tariffs: null,
    peak: 0,
    share: null,
    capped: 0,
    ...over,
  });

  it('counts the valley hours of tariffed clusters only, in their local time', () => {
    const f = gridFigures(
      g({
        wk: [
          ['tou', 1, 3, 1000], // Monday 03:00 local: valley
          ['tou', 1, 10, 500], // Monday 10:00: peak
          ['tou', 0, 10, 250], // Sunday 10:00: flat (the peak is for weekdays)
          ['tou', 6, 7, 250], // Saturday 07:00: valley
          ['flat', 1, 3, 10_000], // no tariff: drawn, not in the share
        ],
        tariffs: { tou: [tou, 600] },
        peak: 2_500_000,
      }),
    );
    expect(f).toEqual({
      gridMwhDrawn: 0.012,
      peakGridMegawatts: 2.5,
      peakShareOfReservedGrid: null,
      valleyShare: 1250 / 2000,
    });
  });

  it('tells weekdays from weekends with a negative offset', () => {
    const wk: [string, number, number, number][] = [0, 1, 2, 3, 4, 5, 6].map((dow) => ['w', dow, 23, 10 ** dow]);
    const f = gridFigures(g({ wk, tariffs: { w: [weekend, 200] } }));
    // Sunday (1) and Saturday (1,000,000) are valley hours of the 1,111,111 Wh
    expect(f.valleyShare).toBe(1_000_001 / 1_111_111);
  });

  it('null valley share without tariffed draw; the reserved share only where some site-hour is capped', () => {
    expect(gridFigures(g({ wk: [['flat', 2, 2, 5]], tariffs: { tou: [tou, 600] } }))).toEqual({
      gridMwhDrawn: 0.000005,
      peakGridMegawatts: 0,
      peakShareOfReservedGrid: null,
      valleyShare: null,
    });
    expect(gridFigures(g({ capped: 3, share: 0.8 })).peakShareOfReservedGrid).toBe(0.8);
    expect(gridFigures(g({ capped: 3, share: null })).peakShareOfReservedGrid).toBe(0);
    expect(gridFigures(g({ capped: 0, share: 0.8 })).peakShareOfReservedGrid).toBeNull();
  });
});
