import { toCsv } from './public-kpis.service';

describe('toCsv', () => {
  const row = (region: string) => ({
    region,
    clusters: 1,
    pflopsHoursAvailable: 168,
    pflopsHoursBooked: 0,
    utilization: 0,
    averageMegawattsCommitted: 0,
    peakMegawattsCommitted: 0,
    bookedEnergyMwh: 0,
    greenMwhUsed: 0,
    greenShare: 0,
    voucherMoneySpent: 0,
  });

  // found by a security review: a spreadsheet splitting on ; made `=cmd|...` a cell of its own
  it('quotes a text cell holding any separator a spreadsheet may split on, and defuses a leading formula', () => {
    const csv = toCsv({
      generatedAt: '',
      from: 'f',
      to: 't',
      regions: [row("R;=cmd|'/C calc'!A0;"), row('a\tb'), row('=1+1'), row('plain')],
    });
    const lines = csv.trimEnd().split('\r\n');
    expect(lines.slice(1).map((l) => l.split(',1,168,')[0])).toEqual([
      `f,t,"R;=cmd|'/C calc'!A0;"`,
      'f,t,"a\tb"',
      "f,t,'=1+1",
      'f,t,plain',
    ]);
  });
});
