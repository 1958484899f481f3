/** One region's published figures: aggregates only, never a startup, a booking or a name other than the region's. */
export interface PublicRegionKpis {
  region: string;
  clusters: number;
  pflopsHoursAvailable: number;
  pflopsHoursBooked: number;
  utilization: number;
  averageMegawattsCommitted: number;
  peakMegawattsCommitted: number;
  bookedEnergyMwh: number;
  greenMwhUsed: number;
  greenShare: number;
  voucherMoneySpent: number;
}

/** What /public/kpis.json answers. */
export interface PublicKpis {
  /** when the figures were read from the database (they are served from memory for a few seconds) */
  generatedAt: string;
  /** the range the figures cover: the next 7 days from the current UTC hour, `to` exclusive */
  from: string;
  to: string;
  regions: PublicRegionKpis[];
}

/** Columns of the CSV, in order (the JSON field names). */
export const PUBLIC_KPI_COLUMNS = [
  'region',
  'clusters',
  'pflopsHoursAvailable',
  'pflopsHoursBooked',
  'utilization',
  'averageMegawattsCommitted',
  'peakMegawattsCommitted',
  'bookedEnergyMwh',
  'greenMwhUsed',
  'greenShare',
  'voucherMoneySpent',
] as const satisfies readonly (keyof PublicRegionKpis)[];
