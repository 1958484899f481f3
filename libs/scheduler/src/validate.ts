import { SchedulerInputError } from './errors';
import { charCount } from './domain/text';
import { hasAtMost3Decimals } from './domain/units';

/** Boundary checks shared by Fleet, the instance loader and the CLI. `label` prefixes messages, `path` names the field. */

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  try {
    const s = JSON.stringify(v);
    return s === undefined ? typeof v : s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return typeof v;
  }
}

export function fail(label: string, path: string, what: string, v: unknown): never {
  throw new SchedulerInputError(path, `${label}${path} must be ${what}, got ${show(v)}`);
}

/** positive, finite, at most 3 decimals, at most `max` */
export function checkPositive3(label: string, path: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || !hasAtMost3Decimals(v) || Math.round(v * 1000) < 1)
    fail(label, path, 'a positive number with at most 3 decimals', v);
  if (v > max) fail(label, path, `at most ${max}`, v);
  return v;
}

/** >= 0, finite, at most 3 decimals, at most `max` */
export function checkNonNeg3(
  label: string,
  path: string,
  v: unknown,
  max: number,
  what = 'a non-negative number with at most 3 decimals',
): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || !hasAtMost3Decimals(v)) fail(label, path, what, v);
  if (v > max) fail(label, path, `at most ${max}`, v);
  return v;
}

export function checkNonNeg(label: string, path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(label, path, 'a finite non-negative number', v);
  return v;
}

export function checkPositiveFinite(label: string, path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) fail(label, path, 'a finite positive number', v);
  return v;
}

export function checkInt(label: string, path: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(label, path, `an integer in [${min}, ${max}]`, v);
  return v;
}

export function checkId(label: string, path: string, v: unknown): string {
  // at most 200 characters: code points, as the API counts its keys and names
  if (typeof v !== 'string' || v.length === 0 || (v.length > 200 && charCount(v) > 200))
    fail(label, path, 'a non-empty string (at most 200 characters)', v);
  return v;
}

export function checkObject(label: string, path: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(label, path, 'an object', v);
  return v as Record<string, unknown>;
}

export function checkArray(label: string, path: string, v: unknown): unknown[] {
  if (!Array.isArray(v)) fail(label, path, 'an array', v);
  return v;
}
