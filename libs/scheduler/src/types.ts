/**
 * Public types of the pflex scheduler. Units at this boundary are the domain's: PFLOPS,
 * hours (slots), MW, money per PFLOPS-hour / per MWh. Inside, the scheduler stores
 * integers: TFLOPS (1 PFLOPS = 1000 TFLOPS) and watts.
 *
 * Slots are hours counted from the fleet's horizon start; every range is half-open [start, end).
 */

export type Objective = 'EARLIEST' | 'GREENEST' | 'CHEAPEST';
export const OBJECTIVES: readonly Objective[] = ['EARLIEST', 'GREENEST', 'CHEAPEST'];

/** Why a request was not placed. INVALID requests are thrown as SchedulerInputError by the API of the library. */
export type RefusalReason = 'NO_CAPACITY' | 'GREEN_SHORTFALL' | 'GRID_LIMIT' | 'OUTSIDE_HORIZON' | 'INVALID';

/** A range reaching outside [0, slots) is clipped to the horizon. */
export interface CapacityChange {
  /** first slot, inclusive */
  start: number;
  /** last slot, exclusive */
  end: number;
  capacityPflops: number;
}

/** A window reaching outside [0, slots) is clipped to the horizon. */
export interface GreenWindow {
  start: number;
  end: number;
  /** megawatts available in every slot of [start, end); windows of one cluster add up */
  mw: number;
  pricePerMwh: number;
}

/** A range reaching outside [0, slots) is clipped; mw null = unlimited over the range. Later entries win where they overlap. */
export interface GridCapacityChange {
  start: number;
  end: number;
  mw: number | null;
}

/**
 * A site: a campus behind one grid connection. In every slot, the grid power drawn by the
 * bookings of all its clusters (each booking's draw minus the green it took there) must stay
 * within the reserved grid capacity.
 */
export interface SiteSpec {
  /** unique among sites; must not start with '#' (the implicit site of a cluster without one is '#' + cluster id) */
  id: string;
  /** reserved grid MW in every slot; null/absent = unlimited */
  gridMw?: number | null;
  gridChanges?: GridCapacityChange[];
}

/** An hourly grid price over [start, end), clipped to the horizon like green windows; later ranges win. */
export interface GridPriceRange {
  start: number;
  end: number;
  pricePerMwh: number;
}

export interface ClusterSpec {
  id: string;
  /** the site (SiteSpec.id) behind whose grid connection the cluster runs; absent or null = its own site, no cap */
  site?: string | null;
  capacityPflops: number;
  capacityChanges?: CapacityChange[];
  kwPerPflops: number;
  pue: number;
  pricePerPflopsHour: number;
  /** grid price per MWh in every slot not covered by `gridPrices` (a flat tariff without them) */
  gridPricePerMwh: number;
  /** time-of-use tariff: these ranges override gridPricePerMwh in their slots */
  gridPrices?: GridPriceRange[];
  green?: GreenWindow[];
}

export interface FleetSpec {
  /** number of hourly slots in the horizon */
  slots: number;
  /** sites with a reserved grid capacity; a cluster's `site` must name one of them */
  sites?: SiteSpec[];
  clusters: ClusterSpec[];
}

export interface JobRequest {
  id?: string;
  pflops: number;
  hours: number;
  /** first slot the job may start in */
  earliest: number;
  /** the job must end by this slot (exclusive end <= deadline) */
  deadline: number;
  /** cluster ids the job may run on, in tie-break order; all clusters (fleet order) when absent */
  clusters?: string[];
  /** in [0, 1]; 1 = green only */
  minGreenShare?: number;
  objective?: Objective;
}

export interface PriceBreakdown {
  compute: number;
  greenEnergy: number;
  gridEnergy: number;
  total: number;
}

export interface Placement {
  job?: string;
  cluster: string;
  clusterIndex: number;
  start: number;
  end: number;
  hours: number;
  pflops: number;
  /** integer TFLOPS drawn in each slot */
  tflops: number;
  /** facility power drawn in each slot, integer W */
  drawW: number;
  /** green power taken in each slot of [start, end), integer W (length = hours) */
  greenW: Int32Array;
  /**
   * grid power drawn in each slot of [start, end): drawW - greenW[i], integer W (length = hours).
   * A Float64Array of exact integers: a draw can reach 2e14 W, beyond Int32.
   */
  gridW: Float64Array;
  /**
   * grid price per MWh of each slot of [start, end) (length = hours): the cluster's flat price, or
   * each slot's price under a time-of-use tariff or posted prices. `price.gridEnergy` is
   * sum(gridW[i] x gridPricePerMwh[i]) / 1e6.
   */
  gridPricePerMwh: Float64Array;
  greenMwh: number;
  gridMwh: number;
  energyMwh: number;
  greenShare: number;
  price: PriceBreakdown;
}

export type Decision = { ok: true; placement: Placement } | { ok: false; reason: RefusalReason; message: string };

/** A job of an instance file (docs/scheduler-instance-format.md at the repository root). */
export interface InstanceJob extends JobRequest {
  id: string;
}

/** Instance file: a fleet and jobs. */
export interface InstanceFile {
  horizonStart?: string;
  slots: number;
  sites?: SiteSpec[];
  clusters: ClusterSpec[];
  jobs: InstanceJob[];
}

/** Result file written by the CLI. Every job appears once, placed or unplaced. */
export interface ResultFile {
  /** in commit order: each took its green (min(draw, green still free)) in the order listed */
  placements: { job: string; cluster: string; start: number; greenMwh: number; energyMwh: number; price: number }[];
  unplaced: { job: string; reason: RefusalReason }[];
  stats: {
    placed: number;
    unplaced: number;
    /** PFLOPS-hours placed / PFLOPS-hours of capacity over the horizon */
    utilization: number;
    /** green MWh / total MWh of the placements */
    greenShare: number;
    seconds: number;
    /** batch mode: which greedy pass won */
    strategy?: string;
  };
}
