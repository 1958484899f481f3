/**
 * An integer setting from the environment: `def` when unset or empty, else decimal digits (an
 * optional minus) within [min, max]; anything else (`0x10`, `1e3`, `abc`, `12.5`) stops the start
 * with a message naming the variable, its range and what was given.
 */
export function intEnv(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const v = /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max)
    throw new Error(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return v;
}
