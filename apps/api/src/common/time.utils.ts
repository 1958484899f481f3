import { InputException } from './errors';

export const HOUR_MS = 3_600_000;

export function floorHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** Refuses anything that is not a valid date on a whole UTC hour; names the field. */
export function requireHour(field: string, d: Date | undefined | null): number {
  if (!(d instanceof Date) || Number.isNaN(d.getTime()))
    throw new InputException(field, `${field} must be a valid date-time`);
  const t = d.getTime();
  if (t % HOUR_MS !== 0)
    throw new InputException(
      field,
      `${field} must be on a whole UTC hour (e.g. 2026-12-01T08:00:00Z), got ${d.toISOString()}`,
    );
  return t;
}

/** Validates a half-open [from, to) range of whole hours. */
export function requireRange(
  fromField: string,
  from: Date,
  toField: string,
  to: Date,
  maxHours?: number,
): [number, number] {
  const a = requireHour(fromField, from);
  const b = requireHour(toField, to);
  if (b <= a) throw new InputException(toField, `${toField} must be after ${fromField}`);
  if (maxHours !== undefined && (b - a) / HOUR_MS > maxHours) {
    throw new InputException(
      toField,
      `${toField} - ${fromField} must be at most ${maxHours} hours, got ${(b - a) / HOUR_MS}`,
    );
  }
  return [a, b];
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
