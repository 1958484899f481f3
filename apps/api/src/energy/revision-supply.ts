import { GREEN_WINDOW_LIMITS, decimalPlaces, mwToWatts } from '@pflex/scheduler';
import type { ReviseGreenSupplyArgs } from './dtos/green-revision.dtos';
import { EnergyErrorCode, EnergyException } from './energy.exception';

/** Green windows, revisions and forecast imports span at most 93 days (2,232 hours). */
export const MAX_RANGE_HOURS = 93 * 24;

/** A change of green supply by windows (a forecast import, a window added), W per hour of its range: before it and after it. */
export interface ImportedSupply {
  beforeW: number[];
  afterW: number[];
}

/** A supply revision's supply W per hour of its `n` hours: exactly one of megawatts and hourlyMegawatts. */
export function revisedSupplyW(a: ReviseGreenSupplyArgs, n: number): number[] {
  const one = a.megawatts != null;
  const series = a.hourlyMegawatts != null;
  if (one === series)
    throw new EnergyException(
      EnergyErrorCode.INVALID_REVISION,
      'give exactly one of megawatts and hourlyMegawatts',
      one ? 'hourlyMegawatts' : 'megawatts',
    );
  if (one) return new Array<number>(n).fill(mwToWatts(a.megawatts!));
  const s = a.hourlyMegawatts!;
  if (s.length !== n)
    throw new EnergyException(
      EnergyErrorCode.INVALID_REVISION,
      `hourlyMegawatts must have one value per hour of [from, to): ${n}, got ${s.length}`,
      'hourlyMegawatts',
    );
  const max = GREEN_WINDOW_LIMITS.mw.max;
  return s.map((mw, i) => {
    if (!(mw >= 0 && mw <= max) || decimalPlaces(mw) > 3) {
      throw new EnergyException(
        EnergyErrorCode.INVALID_REVISION,
        `hourlyMegawatts[${i}] must be in [0, ${max}] MW with at most 3 decimals, got ${mw}`,
        `hourlyMegawatts[${i}]`,
      );
    }
    return mwToWatts(mw);
  });
}
