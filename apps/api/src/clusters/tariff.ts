import { charCount, CLUSTER_LIMITS } from '@pflex/scheduler';

/** Which days a tariff period applies to, in the tariff's local time. */
export type TariffDays = 'ALL' | 'WEEKDAYS' | 'WEEKENDS';

/** A named period of a time-of-use tariff: its price and the local hours of day [from, to) it covers. */
export interface TariffPeriod {
  name: string;
  pricePerMwh: number;
  /** local hours of day, each [from, to) with 0 <= from < to <= 24 */
  hours: [number, number][];
  days: TariffDays;
}

/**
 * A time-of-use grid tariff (e.g. Guangdong's peak, flat and valley hours). Hours no period
 * covers are billed at the cluster's flat gridPricePerMwh, under the period name `FLAT_PERIOD`.
 */
export interface GridTariff {
  /** local time = UTC + this many hours (China: 8) */
  utcOffsetHours: number;
  periods: TariffPeriod[];
}

export const FLAT_PERIOD = 'flat';
/** the name of an hour whose price the operator posted (an hourly series) */
export const POSTED_PERIOD = 'posted';
const POSTED = -2;

/** Why a tariff is refused: the field (relative to the tariff) and what is wrong. */
export class TariffError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Checks a tariff: offset an integer in [-12, 14], 1..24 periods with distinct non-blank names
 * (not `flat` or `posted`), prices within the cluster grid price range, hour ranges inside the day, and no
 * hour of a day covered by two periods. Throws TariffError naming the field.
 */
export function checkTariff(t: GridTariff): void {
  if (!Number.isInteger(t.utcOffsetHours) || t.utcOffsetHours < -12 || t.utcOffsetHours > 14) {
    throw new TariffError('utcOffsetHours', `utcOffsetHours must be an integer in [-12, 14], got ${t.utcOffsetHours}`);
  }
  if (t.periods.length < 1 || t.periods.length > 24)
    throw new TariffError('periods', `a tariff has 1 to 24 periods, got ${t.periods.length}`);
  const names = new Set<string>();
  const owner = [new Array<number>(24).fill(-1), new Array<number>(24).fill(-1)];
  t.periods.forEach((p, i) => {
    const f = `periods[${i}]`;
    const name = p.name.trim();
    if (name.length === 0 || charCount(name) > 40)
      throw new TariffError(`${f}.name`, `${f}.name must be 1 to 40 characters, not blank`);
    if (name.toLowerCase() === FLAT_PERIOD)
      throw new TariffError(`${f}.name`, `${f}.name "${FLAT_PERIOD}" is reserved for the hours no period covers`);
    if (name.toLowerCase() === POSTED_PERIOD)
      throw new TariffError(`${f}.name`, `${f}.name "${POSTED_PERIOD}" is reserved for hours with a posted price`);
    if (names.has(name.toLowerCase())) throw new TariffError(`${f}.name`, `${f}.name "${name}" is used twice`);
    names.add(name.toLowerCase());
    const { min, max } = CLUSTER_LIMITS.gridPricePerMwh;
    if (!Number.isFinite(p.pricePerMwh) || p.pricePerMwh < min || p.pricePerMwh > max) {
      throw new TariffError(`${f}.pricePerMwh`, `${f}.pricePerMwh must be in [${min}, ${max}], got ${p.pricePerMwh}`);
    }
    if (p.hours.length === 0) throw new TariffError(`${f}.hours`, `${f}.hours must list at least one range of hours`);
    p.hours.forEach(([a, b], k) => {
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > 24 || b <= a) {
        throw new TariffError(
          `${f}.hours[${k}]`,
          `${f}.hours[${k}] must be whole hours [from, to) with 0 <= from < to <= 24, got [${a}, ${b})`,
        );
      }
      for (const d of dayKinds(p.days)) {
        for (let h = a; h < b; h++) {
          const o = owner[d][h];
          if (o === i)
            throw new TariffError(
              `${f}.hours[${k}]`,
              `${f}.hours[${k}] covers local hour ${h} again: the ranges of one period must not overlap`,
            );
          if (o >= 0) {
            const when =
              p.days === 'ALL' && t.periods[o].days === 'ALL' ? 'every day' : d === 0 ? 'on weekdays' : 'on weekends';
            throw new TariffError(
              `${f}.hours[${k}]`,
              `${f}.hours[${k}] puts local hour ${h} ${when} in ${name}, but periods[${o}] (${t.periods[o].name}) has it already: each hour belongs to one period`,
            );
          }
          owner[d][h] = i;
        }
      }
    });
  });
}

function dayKinds(days: TariffDays): number[] {
  return days === 'ALL' ? [0, 1] : days === 'WEEKDAYS' ? [0] : [1];
}

/**
 * A tariff compiled for lookups: the period of each local hour of a weekday (0..23) and of a
 * weekend day (24..47), -1 for the flat price.
 */
export class TariffTable {
  private readonly period = new Int8Array(48).fill(-1);
  readonly names: string[];
  private readonly prices: number[];

  constructor(
    readonly tariff: GridTariff | null,
    readonly flatPricePerMwh: number,
    /** prices posted hour by hour (epoch hour -> price per MWh): they take precedence */
    private readonly posted: ReadonlyMap<number, number> = new Map(),
  ) {
    this.names = tariff ? tariff.periods.map((p) => p.name.trim()) : [];
    this.prices = tariff ? tariff.periods.map((p) => p.pricePerMwh) : [];
    if (!tariff) return;
    tariff.periods.forEach((p, i) => {
      for (const d of dayKinds(p.days))
        for (const [a, b] of p.hours) for (let h = a; h < b; h++) this.period[d * 24 + h] = i;
    });
  }

  /** Period index of an epoch hour (-1: flat, -2: a posted price). 1970-01-01 was a Thursday. */
  periodAt(epochHour: number): number {
    if (this.posted.size > 0 && this.posted.has(epochHour)) return POSTED;
    if (!this.tariff) return -1;
    const local = epochHour + this.tariff.utcOffsetHours;
    const day = Math.floor(local / 24);
    const dow = (((day + 4) % 7) + 7) % 7;
    const weekend = dow === 0 || dow === 6 ? 1 : 0;
    return this.period[weekend * 24 + (local - day * 24)];
  }

  priceAt(epochHour: number): number {
    const p = this.periodAt(epochHour);
    if (p === POSTED) return this.posted.get(epochHour)!;
    return p < 0 ? this.flatPricePerMwh : this.prices[p];
  }

  nameOf(period: number): string {
    return period === POSTED ? POSTED_PERIOD : period < 0 ? FLAT_PERIOD : this.names[period];
  }

  /** Whether any hour's price differs from the flat price (a tariff or posted prices). */
  varies(): boolean {
    return this.tariff !== null || this.posted.size > 0;
  }

  /** The lowest price of the tariff's hours (a valley hour is priced at it). */
  lowestPrice(): number {
    let low = this.flatPricePerMwh;
    let flatUsed = !this.tariff;
    for (let i = 0; i < 48; i++) if (this.period[i] < 0) flatUsed = true;
    if (!flatUsed) low = Infinity;
    for (const p of this.prices) if (p < low) low = p;
    return low;
  }

  /**
   * The grid price as runs of equal price over epoch hours [fromH, toH), as slot ranges from
   * `base` (the scheduler's gridPrices).
   */
  ranges(base: number, fromH: number, toH: number): { start: number; end: number; pricePerMwh: number }[] {
    const out: { start: number; end: number; pricePerMwh: number }[] = [];
    for (let h = fromH; h < toH; h++) {
      const p = this.priceAt(h);
      const last = out[out.length - 1];
      if (last && last.end === h - base && last.pricePerMwh === p) last.end++;
      else out.push({ start: h - base, end: h - base + 1, pricePerMwh: p });
    }
    return out;
  }
}

/** A cluster's grid price hour by hour, from its catalogue row and the prices it posted (epoch hour, price). */
export function tariffOf(
  c: { gridTariff: unknown; gridPricePerMwh: number },
  posted: readonly (readonly [number, number])[] = [],
): TariffTable {
  return new TariffTable((c.gridTariff as GridTariff | null) ?? null, c.gridPricePerMwh, new Map(posted));
}
